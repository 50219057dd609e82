"""The setup script installs exactly the names the concerns list (lab/packages.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from lab.packages import PackageListError, concern_packages, parse

ROOT = Path(__file__).resolve().parents[2]


def test_a_trailing_comment_leaves_no_padding_on_the_name() -> None:
    # the defect that stopped CI: "mmdebstrap   " reached apt-get
    text = "# heading\nmmdebstrap               # why\n\n  umoci\t\nlibc6:amd64\n"
    assert parse(text, "x") == ["mmdebstrap", "umoci", "libc6:amd64"]


@pytest.mark.parametrize("line", ["two names", "Upper", "a", "bad_name", "x;rm -rf /"])
def test_a_line_that_is_not_one_package_name_is_refused_with_file_and_line(line: str) -> None:
    with pytest.raises(PackageListError, match=r"lab/images/debian-packages.txt:2: .* one package a line"):
        parse(f"umoci\n{line}  # comment\n", "lab/images/debian-packages.txt")


def test_concerns_are_read_in_file_order_each_name_once(tmp_path: Path) -> None:
    for concern, text in (("b", "skopeo\ncurl\n"), ("a", "curl\numoci\n"), ("c", "")):
        (tmp_path / concern).mkdir()
        (tmp_path / concern / "debian-packages.txt").write_text(text)
    assert concern_packages(tmp_path) == ["curl", "umoci", "skopeo"]


def test_the_projects_own_lists_parse_and_print_one_name_a_line() -> None:
    # the setup script's exact call, with the machine's python3 (no virtualenv yet)
    printed = subprocess.run(["python3", "-m", "lab.packages"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.splitlines()
    assert printed == concern_packages()
    assert {"mmdebstrap", "openjdk-17-jdk-headless", "skopeo"} <= set(printed)
    assert all(name == name.strip() and name for name in printed)
