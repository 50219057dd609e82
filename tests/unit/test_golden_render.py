"""Golden renders: every file ``render`` produces for the dev and prod stacks, committed
in tests/golden/<stack>.yaml (path -> content, scripts as literal blocks, so a diff reads
line by line; one file per stack rather than a tree, because most nodes' scripts are
alike and a tree would repeat them file after file) and compared byte for byte
(KubeOne's golden files).

Why: a change to a template, a default or a manifest shows up here as a reviewed diff of
what lands on hosts and in the cluster, not only as whichever property a unit test
happened to check. After an intended change, rewrite the trees and review the diff:

    SOM_UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/unit/test_golden_render.py
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from components import render
from components.stack import load_stack_file

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
STACKS = ("dev", "prod")
UPDATE = os.environ.get("SOM_UPDATE_GOLDEN") == "1"
DIFF_LINES = 60


class LiteralDumper(yaml.SafeDumper):
    """Multi-line strings as ``|`` blocks (PyYAML falls back to quoting where a block
    could not hold the text exactly, e.g. trailing spaces)."""


def _string(dumper: yaml.SafeDumper, text: str) -> Any:
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None)


LiteralDumper.add_representer(str, _string)


def committed(path: Path) -> dict[str, str]:
    return yaml.safe_load(path.read_text()) if path.is_file() else {}


def rewrite(path: Path, files: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.dump(dict(sorted(files.items())), Dumper=LiteralDumper, sort_keys=False,
                              allow_unicode=True, width=1_000_000))


def first_differences(expected: dict[str, str], actual: dict[str, str]) -> str:
    """A reviewer's view of what changed: file lists, then the first lines of each diff."""
    lines = [f"only in the golden tree: {p}" for p in sorted(set(expected) - set(actual))]
    lines += [f"only in the render: {p}" for p in sorted(set(actual) - set(expected))]
    for path in sorted(set(expected) & set(actual)):
        if expected[path] != actual[path]:
            lines += difflib.unified_diff(expected[path].splitlines(), actual[path].splitlines(),
                                          f"golden/{path}", f"render/{path}", lineterm="")
    shown = "\n".join(lines[:DIFF_LINES])
    return shown + (f"\n... ({len(lines) - DIFF_LINES} more lines)" if len(lines) > DIFF_LINES else "")


@pytest.mark.parametrize("stack", STACKS)
def test_the_render_is_the_committed_golden_tree(stack: str) -> None:
    actual = render.tree(load_stack_file(stack))
    golden = GOLDEN / f"{stack}.yaml"
    if UPDATE:
        rewrite(golden, actual)
    expected = committed(golden)
    assert expected, f"no golden tree for {stack}: SOM_UPDATE_GOLDEN=1 writes it"
    assert expected == actual, (
        f"render --stack {stack} differs from tests/golden/{stack}.yaml (if intended: SOM_UPDATE_GOLDEN=1):\n"
        + first_differences(expected, actual))


def test_the_comparison_names_what_changed() -> None:
    """The failure text is what a reviewer reads: it must point at the file and the line."""
    expected = {"a.yaml": "kind: Pod\nname: x\n", "gone.sh": "#!/bin/sh\n"}
    actual = {"a.yaml": "kind: Pod\nname: y\n", "new.md": "# new\n"}
    text = first_differences(expected, actual)
    assert "only in the golden tree: gone.sh" in text and "only in the render: new.md" in text
    assert "-name: x" in text and "+name: y" in text and "golden/a.yaml" in text
