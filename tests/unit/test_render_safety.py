"""`render --out DIR` replaces only what a previous render wrote, and never ends in a traceback.

Why: `--out` is typed by hand, and `render --stack dev --out components` once emptied the
project's own `components/manifests`. Render now marks a directory it writes with
`.spark-on-metal-render` (a format line, then every file it wrote) and replaces only the
files a marker lists; anything else is refused with one line naming the path and the fix,
before a byte is written. Every way of failing to read the stack file or to use `--out`
ends in one line on stderr and exit 2 (issue 14, items 1 and 2).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from components import render, stack
from components.__main__ import main
from components.config import Platform
from components.render import OutputProblem
from components.stack import PROJECT_DIR, StackFileUnreadable, load_stack_file
from tests.factories import files_under, load, stack_document, valid_config, write_project

MARKER = ".spark-on-metal-render"
FORMAT_LINE = "spark-on-metal render 1: python -m components render wrote the files below; the next render deletes exactly these"
OUT_FIX = "fix: give --out an empty or new directory, or a previous render's"
WRITABLE_FIX = "fix: give --out a directory you can write on an ordinary disk: an empty or new one, or a previous render's"
NOBODY = 65534


@pytest.fixture(scope="module")
def platform() -> Platform:
    """The reference config: cp, w1, w2 (tenant spark on w1 and w2)."""
    return load(valid_config())


@pytest.fixture(scope="module")
def without_w2() -> Platform:
    """The same stack after w2 left it."""
    config = valid_config(nodes=valid_config()["nodes"][:2], tenants=[{"name": "spark", "nodes": ["w1"], "nodeLabel": "spark=spark"}])
    return load(config)


def refusal(platform: Platform, out: Path) -> str:
    """The one-line refusal, after checking it left ``out`` (and its parents' listing) as it was."""
    before = files_under(out) if out.is_dir() else None
    with pytest.raises(OutputProblem) as refused:
        render.write(platform, out)
    assert (files_under(out) if out.is_dir() else None) == before, "a refused render changed the directory"
    message = str(refused.value)
    assert "\n" not in message
    return message


def marker_lines(out: Path) -> list[str]:
    return (out / MARKER).read_text().splitlines()


# ---- replacing a previous render ---------------------------------------------------------


def test_a_new_directory_gets_the_render_and_a_marker_listing_exactly_its_files(platform: Platform, tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "render"
    count = render.write(platform, out)
    written = files_under(out)
    lines = marker_lines(out)
    assert lines[0] == FORMAT_LINE
    assert lines[1:] == sorted(lines[1:]) == sorted(set(written) - {MARKER})
    assert count == len(written) - 1 == 90
    assert "network.md" in lines and "nodes/w2/steps/01-prepare-host.sh" in lines


def test_an_empty_existing_directory_is_taken(platform: Platform, tmp_path: Path) -> None:
    assert render.write(platform, tmp_path) == 90
    assert (tmp_path / "network.md").is_file()


def test_a_second_render_replaces_its_own_files_and_keeps_everything_else(platform: Platform, tmp_path: Path) -> None:
    render.write(platform, tmp_path)
    (tmp_path / "README.reviewer").write_text("mine\n")
    (tmp_path / "manifests" / "notes.txt").write_text("my notes\n")
    (tmp_path / "network.md").write_text("edited by hand\n")  # listed: render owns it
    first = {path: content for path, content in files_under(tmp_path).items() if path not in ("README.reviewer", "manifests/notes.txt")}
    render.write(platform, tmp_path)
    second = files_under(tmp_path)
    assert second.pop("README.reviewer") == b"mine\n"
    assert second.pop("manifests/notes.txt") == b"my notes\n"
    assert set(second) == set(first)
    assert second["network.md"].startswith(b"# Network plan: stack `test`")


def test_a_render_after_a_node_left_removes_what_it_no_longer_writes(platform: Platform, without_w2: Platform, tmp_path: Path) -> None:
    render.write(platform, tmp_path)
    assert (tmp_path / "nodes" / "w2" / "steps").is_dir()
    assert (tmp_path / "manifests" / "node_w2.yaml").is_file()
    count = render.write(without_w2, tmp_path)
    assert not (tmp_path / "nodes" / "w2").exists(), "the directories left empty go too"
    assert not (tmp_path / "manifests" / "node_w2.yaml").exists()
    assert sorted(path for path in files_under(tmp_path) if path != MARKER) == marker_lines(tmp_path)[1:]
    assert count == len(marker_lines(tmp_path)) - 1
    assert not any("w2" in line for line in marker_lines(tmp_path))


def test_a_file_of_the_users_inside_a_directory_render_emptied_stays(platform: Platform, without_w2: Platform, tmp_path: Path) -> None:
    render.write(platform, tmp_path)
    (tmp_path / "nodes" / "w2" / "retired.txt").write_text("w2 went to the scrap yard\n")
    render.write(without_w2, tmp_path)
    assert [p.name for p in (tmp_path / "nodes" / "w2").rglob("*") if p.is_file()] == ["retired.txt"]
    assert not (tmp_path / "nodes" / "w2" / "steps").exists()


def test_an_interrupted_render_leaves_every_file_it_wrote_listed(
    platform: Platform, without_w2: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk halfway through: the marker still covers both renders' files, so the
    next render (disk freed) deletes the stale ones instead of refusing them."""
    render.write(platform, tmp_path)
    real_write_text = Path.write_text
    budget = iter(range(10))

    def failing_write_text(self: Path, *args: object, **kwargs: object) -> int:
        if self.name != f"{MARKER}.partial" and next(budget, None) is None:
            raise OSError(28, "No space left on device", str(self))
        return real_write_text(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "write_text", failing_write_text)
    with pytest.raises(OutputProblem, match=r"^cannot write .* \(No space left on device\); " + WRITABLE_FIX + "$"):
        render.write(without_w2, tmp_path)
    assert "nodes/w2/steps/01-prepare-host.sh" in marker_lines(tmp_path)
    monkeypatch.undo()
    render.write(without_w2, tmp_path)
    assert not (tmp_path / "nodes" / "w2").exists()
    assert files_under(tmp_path) == render_of(without_w2, tmp_path.parent / f"{tmp_path.name}-fresh")


def render_of(platform: Platform, out: Path) -> dict[str, bytes]:
    render.write(platform, out)
    return files_under(out)


# ---- refusals: nothing written, one line naming the path and the fix ----------------------


def test_the_projects_own_sources_are_refused(platform: Platform, tmp_path: Path) -> None:
    """`--out components`: a directory with manifests/ that no render marked."""
    out = tmp_path / "components"
    shutil.copytree(PROJECT_DIR / "components" / "manifests", out / "manifests")
    assert refusal(platform, out) == (
        f"--out {out} holds {out}/manifests but no {MARKER}, so render did not write it and will not replace it; {OUT_FIX}"
    )
    assert not (out / MARKER).exists()


@pytest.mark.parametrize("owned", ["nodes", "network.md"])
def test_any_unmarked_path_render_would_own_is_refused(platform: Platform, tmp_path: Path, owned: str) -> None:
    (tmp_path / "nodes" / "gone").mkdir(parents=True) if owned == "nodes" else (tmp_path / owned).write_text("mine\n")
    assert refusal(platform, tmp_path) == (
        f"--out {tmp_path} holds {tmp_path}/{owned} but no {MARKER}, so render did not write it and will not replace it; {OUT_FIX}"
    )


def test_a_file_the_marker_does_not_list_is_never_overwritten(platform: Platform, tmp_path: Path) -> None:
    render.write(platform, tmp_path)
    lines = marker_lines(tmp_path)
    lines.remove("network.md")  # as if the user had put network.md there themselves
    (tmp_path / MARKER).write_text("\n".join(lines) + "\n")
    (tmp_path / "network.md").write_text("the user's own page\n")
    assert refusal(platform, tmp_path) == (
        f"{tmp_path}/network.md exists and no previous render wrote it ({MARKER} does not list it), so render will not overwrite it; "
        f"fix: move it out of {tmp_path}, or give --out an empty or new directory, or a previous render's"
    )
    assert (tmp_path / "network.md").read_text() == "the user's own page\n"


def test_a_file_where_render_needs_a_directory_is_refused(platform: Platform, tmp_path: Path) -> None:
    render.write(platform, tmp_path)
    lines = [line for line in marker_lines(tmp_path) if not line.startswith("nodes/w1/")]
    (tmp_path / MARKER).write_text("\n".join(lines) + "\n")
    shutil.rmtree(tmp_path / "nodes" / "w1")
    (tmp_path / "nodes" / "w1").write_text("not a directory\n")
    assert refusal(platform, tmp_path).startswith(f"{tmp_path}/nodes/w1 exists and no previous render wrote it")


def test_a_listed_file_that_became_a_directory_is_refused(platform: Platform, tmp_path: Path) -> None:
    render.write(platform, tmp_path)
    (tmp_path / "network.md").unlink()
    (tmp_path / "network.md").mkdir()
    (tmp_path / "network.md" / "draft.md").write_text("the user's drafts\n")
    assert refusal(platform, tmp_path) == (
        f"{tmp_path}/network.md is listed in {tmp_path}/{MARKER} as a file render wrote, but it is a directory now; fix: move it out of {tmp_path}"
    )


@pytest.mark.parametrize("linked", ["manifests", "nodes/w2"])
def test_a_symbolic_link_cannot_carry_a_delete_outside_the_directory(
    platform: Platform, without_w2: Platform, tmp_path: Path, linked: str
) -> None:
    """`manifests` is written again; `nodes/w2` only has files to delete (w2 left the stack)."""
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    render.write(platform, out)
    shutil.move(out / linked, elsewhere)
    (out / linked).symlink_to(elsewhere)
    kept = files_under(elsewhere)
    assert refusal(without_w2, out) == (
        f"{out}/{linked} is a symbolic link; render writes only inside real directories; "
        f"fix: move it out of {out}, or give --out an empty or new directory, or a previous render's"
    )
    assert files_under(elsewhere) == kept


MARKER_DAMAGE = {
    "wrong format line": ("spark-on-metal render 0\nnetwork.md\n", f"its first line is not {FORMAT_LINE!r}"),
    "not UTF-8": (FORMAT_LINE + "\nnetwork.md\udcff\n", "not UTF-8"),
    "cut short": (FORMAT_LINE + "\nnetwork.md", "its last line does not end"),
    "parent directory": (FORMAT_LINE + "\nnodes/../../victim\n", "line 2 is not a path under nodes, manifests, network.md, pipeline.md"),
    "absolute": (FORMAT_LINE + "\nnetwork.md\n/etc/hostname\n", "line 3 is not a path under nodes, manifests, network.md, pipeline.md"),
    "not render's": (FORMAT_LINE + "\nREADME.reviewer\n", "line 2 is not a path under nodes, manifests, network.md, pipeline.md"),
    "not normal": (FORMAT_LINE + "\nnodes//cp\n", "line 2 is not a path under nodes, manifests, network.md, pipeline.md"),
    "twice": (FORMAT_LINE + "\nnetwork.md\nnetwork.md\n", "a path is listed twice"),
}


@pytest.mark.parametrize("damage", sorted(MARKER_DAMAGE))
def test_a_marker_that_does_not_parse_is_refused(platform: Platform, tmp_path: Path, damage: str) -> None:
    text, why = MARKER_DAMAGE[damage]
    out = tmp_path / "out"
    out.mkdir()
    (out / "README.reviewer").write_text("mine\n")
    (tmp_path / "victim").write_text("outside\n")
    (out / MARKER).write_bytes(text.encode("utf-8", "surrogateescape"))
    assert refusal(platform, out) == f"{out}/{MARKER} is not a render marker ({why}); {OUT_FIX}"
    assert (tmp_path / "victim").read_text() == "outside\n"


def test_a_marker_that_is_a_directory_is_refused(platform: Platform, tmp_path: Path) -> None:
    (tmp_path / MARKER).mkdir()
    assert refusal(platform, tmp_path) == f"{tmp_path}/{MARKER} is not a render marker (not a regular file); {OUT_FIX}"


def test_out_naming_a_file_is_refused(platform: Platform, tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("a file\n")
    assert refusal(platform, tmp_path / "README.md") == f"--out {tmp_path}/README.md exists and is not a directory; {OUT_FIX}"
    assert (tmp_path / "README.md").read_text() == "a file\n"


def test_out_under_a_file_is_refused(platform: Platform, tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("a file\n")
    out = tmp_path / "README.md" / "render" / "dev"
    assert refusal(platform, out) == f"--out {out} is under {tmp_path}/README.md, which is a file, not a directory; {OUT_FIX}"
    assert files_under(tmp_path) == {"README.md": b"a file\n"}


def test_a_place_in_proc_is_refused(platform: Platform) -> None:
    assert refusal(platform, Path("/proc/self/som-render")) == (
        f"--out /proc/self/som-render cannot be written: /proc/self is read-only for this user; {WRITABLE_FIX}"
    )
    with pytest.raises(OutputProblem) as refused:
        render.write(platform, Path("/proc/som-render"))
    assert str(refused.value) == f"cannot write /proc/som-render (No such file or directory); {WRITABLE_FIX}"
    assert not os.path.lexists("/proc/som-render")


# ---- the command line: one line on stderr, exit 2, never a traceback ---------------------


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project directory the command reads its stack files from (the real one is shared)."""
    directory = write_project(tmp_path / "project", "good", stack_document(valid_config()))
    monkeypatch.setattr(stack, "load_stack_file", functools.partial(load_stack_file, project_dir=directory))
    return directory


def run_render(stack_name: str, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["render", "--stack", stack_name, "--out", str(out)])
    return code, capsys.readouterr().err


def test_the_command_refuses_the_projects_own_directory_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "components"
    shutil.copytree(PROJECT_DIR / "components" / "manifests", out / "manifests")
    before = files_under(out)
    assert run_render("dev", out, capsys) == (
        2, f"render: --out {out} holds {out}/manifests but no {MARKER}, so render did not write it and will not replace it; {OUT_FIX}\n"
    )
    assert files_under(out) == before


def test_the_command_refuses_out_naming_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_text("x\n")
    assert run_render("dev", tmp_path / "file", capsys) == (2, f"render: --out {tmp_path}/file exists and is not a directory; {OUT_FIX}\n")


@pytest.mark.parametrize(
    "name, make, expected",
    [
        ("missing", None, "{path} does not exist; fix: create it (pulumi stack init missing), or pick one of: good"),
        ("folder", "directory", "{path} is a directory, not a stack file; fix: move the directory away and create it (pulumi stack init folder), or pick one of: folder, good"),
        ("latin1", "latin-1", "{path} is not UTF-8 text (byte 0xe9 at offset 34); fix: save it as UTF-8, as Pulumi reads it"),
        ("loop", "symlink loop", "{path} cannot be read (Too many levels of symbolic links); fix: make it a readable regular file"),
    ],
)
def test_a_stack_file_that_cannot_be_read_is_one_line(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, make: str | None, expected: str
) -> None:
    path = project / f"Pulumi.{name}.yaml"
    if make == "directory":
        path.mkdir()
    elif make == "latin-1":
        path.write_bytes("config:\n  spark-on-metal:note: caf\xe9\n".encode("latin-1"))
    elif make == "symlink loop":
        path.symlink_to(path.name)
    with pytest.raises(StackFileUnreadable) as unreadable:
        load_stack_file(name, project)
    assert str(unreadable.value) == expected.format(path=path)
    assert run_render(name, tmp_path / "out", capsys) == (2, f"render: {expected.format(path=path)}\n")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", ["../good", "org/spark-on-metal/good", "..", ""])
def test_a_stack_name_that_is_a_path_is_refused(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    """A name with a slash would read a stack file outside the project."""
    stacks = ", ".join(sorted(path.name[len("Pulumi.") : -len(".yaml")] for path in PROJECT_DIR.glob("Pulumi.*.yaml")))
    assert "dev" in stacks
    assert run_render(name, tmp_path / "out", capsys) == (
        2, f"render: --stack {name!r} is not a stack name (letters, digits, '-', '_', '.'); "
        f"fix: give the short name from Pulumi.<stack>.yaml, one of: {stacks}\n"
    )


def test_the_command_writes_a_good_stack_into_a_new_directory(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The fixture above really reads its project: the happy path through it renders."""
    assert main(["render", "--stack", "good", "--out", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().out == f"rendered stack good: 90 files in {tmp_path}/out\n"
    assert marker_lines(tmp_path / "out")[0] == FORMAT_LINE


# ---- as a user without write permission (root is not refused by file modes) ---------------


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory outside pytest's private tmp, which an unprivileged user can traverse."""
    directory = Path(tempfile.mkdtemp(prefix="som-render-safety-"))
    directory.chmod(0o755)
    try:
        yield directory
    finally:
        for path in [directory, *directory.rglob("*")]:
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(directory)


def unprivileged(command: list[str]) -> subprocess.CompletedProcess[str]:
    """Run ``command`` as a user file modes apply to: root drops to nobody, anyone else is themselves."""
    prefix = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"] if os.geteuid() == 0 else []
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(prefix + command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120)


def read_only(directory: Path) -> None:
    """Read-only for the unprivileged user: root owns it (as root), or its mode says so."""
    directory.chmod(0o555)


def test_a_read_only_place_is_refused_in_one_line(shared_dir: Path) -> None:
    place = shared_dir / "read-only"
    place.mkdir()
    read_only(place)
    out = place / "render" / "dev"
    done = unprivileged([sys.executable, "-m", "components", "render", "--stack", "dev", "--out", str(out)])
    assert (done.returncode, done.stderr) == (
        2, f"render: --out {out} cannot be written: {place} is read-only for this user; {WRITABLE_FIX}\n"
    )
    assert list(place.iterdir()) == []


def test_a_stack_file_the_user_cannot_read_is_one_line(shared_dir: Path) -> None:
    write_project(shared_dir, "locked", stack_document(valid_config()))
    locked = shared_dir / "Pulumi.locked.yaml"
    locked.chmod(0o600 if os.geteuid() == 0 else 0o000)
    code = (
        "import sys; from pathlib import Path; from components.stack import StackFileUnreadable, load_stack_file\n"
        f"try: load_stack_file('locked', Path({str(shared_dir)!r}))\n"
        "except StackFileUnreadable as error: print(error)\n"
    )
    done = unprivileged([sys.executable, "-c", code])
    assert (done.returncode, done.stdout, done.stderr) == (
        0, f"{locked} cannot be read (permission denied); fix: make it readable by this user (chmod u+r {locked})\n", ""
    )


def test_no_traceback_from_a_real_process(tmp_path: Path) -> None:
    """The whole command in its own process: one line on stderr, exit 2, nothing else."""
    (tmp_path / "file").write_text("x\n")
    done = subprocess.run(
        [sys.executable, "-m", "components", "render", "--stack", "dev", "--out", str(tmp_path / "file" / "under")],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120,
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        2, "", f"render: --out {tmp_path}/file/under is under {tmp_path}/file, which is a file, not a directory; {OUT_FIX}\n"
    )
