"""Shell that lands on hosts: it parses, it lints clean, and its file writes are idempotent.

Every rendered step script and host script must pass `bash -n` and shellcheck at style
severity with no exclusions beyond what the templates declare inline. ``som_install``
(components/steps/lib.sh) is run with real bash: it writes only when the content or
mode differs, records what it wrote, and carries any text through its heredoc verbatim.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from components import shell
from components.paths import STEP_TEMPLATES, shell_templates
from tests.conftest import RenderedStack

STACKS = ("dev", "prod")
LIB = STEP_TEMPLATES / "lib.sh"
OLD = 946684800  # 2000-01-01: an mtime no write during the test can produce


def host_scripts(root: Path) -> list[Path]:
    """Every rendered `*.sh` (step scripts and host files) and every file in libexec."""
    scripts = set(root.glob("nodes/**/*.sh")) | {p for p in root.glob("nodes/*/usr/local/libexec/**/*") if p.is_file()}
    assert any(p.parent.name == "steps" for p in scripts), f"no step script under {root}"
    assert any("libexec" in p.parts for p in scripts), f"no libexec script under {root}"
    return sorted(scripts)


def shellcheck(paths: list[Path]) -> None:
    result = subprocess.run(
        ["shellcheck", "--severity=style", "--format=gcc", *map(str, paths)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("stack", STACKS)
def test_rendered_scripts_parse(stack: str, rendered_stack: RenderedStack) -> None:
    """`bash -n` accepts every rendered script (a syntax error would stop a step half-way)."""
    for path in host_scripts(rendered_stack(stack)):
        result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, f"{path}: {result.stderr}"


@pytest.mark.parametrize("stack", STACKS)
def test_rendered_scripts_pass_shellcheck(stack: str, rendered_stack: RenderedStack) -> None:
    """shellcheck finds nothing, not even style notes, in any rendered script."""
    shellcheck(host_scripts(rendered_stack(stack)))


def test_templates_pass_shellcheck_with_only_their_declared_directives() -> None:
    """The templates lint clean too, with no exclusions beyond their own header lines."""
    shellcheck(shell_templates())


# ---------------------------------------------------------------------------- som_install


def run_with_lib(body: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``body`` after lib.sh, as a step script has it; stdout prints what som_install recorded."""
    script = "".join(
        [
            "set -Eeuo pipefail\n",
            shell.assignments({"SOM_NODE": "n1", "SOM_RUNS_ON": "n1", "SOM_STEP": "test"}),
            shell.template(LIB),
            body,
            'printf "changed:%s\\n" "${SOM_CHANGED[@]}"\n',
        ]
    )
    return subprocess.run(["bash", "-c", script], cwd=cwd, capture_output=True, text=True, timeout=30, check=True)


def install(path: Path, content: str, mode: str, cwd: Path) -> list[str]:
    """Run ``som_install`` once; the paths it recorded as changed."""
    result = run_with_lib(shell.heredoc(f"som_install {path} {mode}", content), cwd)
    return [line.removeprefix("changed:") for line in result.stdout.splitlines() if line != "changed:"]


def test_som_install_creates_a_missing_file_and_records_it(tmp_path: Path) -> None:
    """A new file is written, with its mode and parent directories, and counted as a change."""
    target = tmp_path / "etc" / "spark-on-metal" / "file.conf"
    assert install(target, "one\n", "0640", tmp_path) == [str(target)]
    assert target.read_text() == "one\n"
    assert oct(target.stat().st_mode & 0o777) == "0o640"


@pytest.mark.parametrize("mode", ["0644", "0600", "0755"])
def test_som_install_leaves_an_identical_file_alone(mode: str, tmp_path: Path) -> None:
    """Same content and mode: no write (mtime unchanged), no change recorded, no temp file
    left behind; otherwise every run would restart what depends on the file."""
    target = tmp_path / "file.conf"
    target.write_text("same\n")
    target.chmod(int(mode, 8))
    os.utime(target, (OLD, OLD))
    assert install(target, "same\n", mode, tmp_path) == []
    assert target.stat().st_mtime == OLD
    assert [path.name for path in tmp_path.iterdir()] == ["file.conf"]


@pytest.mark.parametrize(
    "before, before_mode, after, after_mode",
    [
        pytest.param("old\n", "0644", "new\n", "0644", id="content-differs"),
        pytest.param("same\n", "0600", "same\n", "0644", id="mode-differs"),
    ],
)
def test_som_install_rewrites_a_differing_file_and_records_it(
    before: str, before_mode: str, after: str, after_mode: str, tmp_path: Path
) -> None:
    """A differing file is replaced (content and mode) and recorded for som_changed."""
    target = tmp_path / "file.conf"
    target.write_text(before)
    target.chmod(int(before_mode, 8))
    assert install(target, after, after_mode, tmp_path) == [str(target)]
    assert target.read_text() == after
    assert target.stat().st_mode & 0o777 == int(after_mode, 8)


def test_som_install_heredoc_keeps_special_characters_verbatim(tmp_path: Path) -> None:
    """Content is never expanded: $, `...`, $(...), backslashes, quotes, tabs and a line
    that merely starts with the delimiter arrive byte for byte."""
    content = (
        'echo "$HOME" ${UNSET:-default} $((1 + 1))\n'
        "`id -u` $(date) \\$ \\\\ \\n\n"
        "'single' \"double\" \"mixed 'quotes'\"\n"
        "\tindented with a tab\n"
        "SOM_EOF is not alone on this line\n"
        "\n"
    )
    target = tmp_path / "special"
    install(target, content, "0644", tmp_path)
    assert target.read_bytes() == content.encode()


def test_som_changed_reports_only_this_runs_writes(tmp_path: Path) -> None:
    """som_changed answers for the file written in this run, not for another one."""
    written, untouched = tmp_path / "written", tmp_path / "untouched"
    body = shell.heredoc(f"som_install {written} 0644", "x\n") + (
        f"som_changed {written} && echo yes-written\nsom_changed {untouched} || echo no-untouched\n"
    )
    assert run_with_lib(body, tmp_path).stdout.splitlines()[:2] == ["yes-written", "no-untouched"]


# ---------------------------------------------------------------------------- shell.py


def test_assignments_carry_any_value_unchanged_into_bash(tmp_path: Path) -> None:
    """Values enter scripts only as quoted readonly assignments; bash reads back the exact value."""
    value = "a b $HOME `id` \"q\" 'q' \\ ;rm -rf /"
    script = shell.assignments({"VALUE": value}) + 'printf "%s" "$VALUE"'
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True, timeout=30)
    assert result.stdout == value


@pytest.mark.parametrize(
    "content, error",
    [
        pytest.param("no newline", "must end with a newline", id="no-trailing-newline"),
        pytest.param("a\nSOM_EOF\nb\n", "delimiter line", id="delimiter-inside"),
    ],
)
def test_heredoc_refuses_content_it_could_not_carry(content: str, error: str) -> None:
    """A heredoc that would end early or mangle its last line is refused at render time."""
    with pytest.raises(ValueError, match=error):
        shell.heredoc("cat", content)


def test_kube_reset_deletes_kube_proxy_rules_whose_comments_hold_spaces(tmp_path: Path) -> None:
    """kube-proxy's rules carry quoted comments with spaces (seen on a real node:
    ``Bad argument `load'`); each must be deleted as one rule, its comment one argument."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    fake = bin_dir / "iptables"
    fake.write_text(
        "#!/bin/bash\n"
        f'printf "%s|" "$@" >>{calls}; echo >>{calls}\n'
        'if [ "$4" = -S ] && [ "$3" = filter ]; then\n'
        "  echo '-A INPUT -m comment --comment \"kubernetes load balancer firewall\" -j KUBE-PROXY-FIREWALL'\n"
        "fi\n"
    )
    fake.chmod(0o755)
    (bin_dir / "kubeadm").write_text("#!/bin/sh\nexit 0\n")  # never the machine's kubeadm
    (bin_dir / "kubeadm").chmod(0o755)
    script = "".join(["set -Eeuo pipefail\n", shell.assignments({"SOM_NODE": "n1", "SOM_RUNS_ON": "n1", "SOM_STEP": "test"}),
                      shell.template(LIB), shell.template(STEP_TEMPLATES / "kube-common.sh"), "som_kube_reset\n"])
    env = {**os.environ, "PATH": f"{bin_dir}:/usr/bin:/bin"}
    subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30, check=True)
    deletes = [line for line in calls.read_text().splitlines() if "-D|" in line]
    assert deletes == ["-w|-t|filter|-D|INPUT|-m|comment|--comment|kubernetes load balancer firewall|-j|KUBE-PROXY-FIREWALL|"]
