"""Writing a render into ``--out``: replace only what a previous render wrote there.

Why so strict: ``--out`` is typed by hand, and ``render --stack dev --out components``
once emptied the project's own ``components/manifests``. Render marks a directory it
writes with ``.spark-on-metal-render`` (a format line, then every file it wrote) and
replaces only the files a marker lists; anything else is refused with one line naming
the path and the fix, before a byte is written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

OWNED = ("nodes", "manifests", "network.md", "pipeline.md")
# Render owns an out directory only through this file: the list of what it wrote there.
MARKER = ".spark-on-metal-render"
MARKER_FORMAT = "spark-on-metal render 1: python -m components render wrote the files below; the next render deletes exactly these"
OUT_FIX = "give --out an empty or new directory, or a previous render's"
WRITABLE_FIX = "give --out a directory you can write on an ordinary disk: an empty or new one, or a previous render's"


class OutputProblem(Exception):
    """``--out`` cannot take this render: one line naming the path and the fix.

    Raised by the checks before anything is written, or when the disk refuses a write.
    """


@dataclass(frozen=True)
class WritePlan:
    """What writing a render into ``out`` does: delete what the previous render listed, write ``files``."""

    out: Path
    previous: frozenset[str]
    files: dict[str, str]


def write_files(files: dict[str, str], out: Path) -> int:
    """Write ``files`` into ``out``, replacing only what a previous render wrote there.

    Everything that can refuse is checked before the first byte is written, so a refused
    ``out`` is left exactly as it was.
    """
    plan = plan_write(out, files)
    try:
        apply(plan)
    except OSError as error:
        raise OutputProblem(
            f"cannot write {error.filename or out} ({error.strerror or error}); fix: {WRITABLE_FIX}"
        ) from None
    return len(files)


def plan_write(out: Path, files: dict[str, str]) -> WritePlan:
    """Check that ``out`` may take ``files``, touching nothing; refuse with one line otherwise.

    Why so strict: ``out`` is typed by hand, and ``--out components`` once emptied the
    project's own ``components/manifests``. Render replaces only files its marker lists.
    """
    try:
        previous = _previous_render(out)
        _refuse_foreign(out, files, previous)
    except OSError as error:
        raise OutputProblem(
            f"--out {out} cannot be inspected ({error.strerror or error}: {error.filename or out}); fix: {WRITABLE_FIX}"
        ) from None
    return WritePlan(out=out, previous=previous, files=files)


def _previous_render(out: Path) -> frozenset[str]:
    """The files the previous render in ``out`` wrote (none for a new or empty directory)."""
    if not os.path.lexists(out):
        base = next(parent for parent in out.absolute().parents if os.path.lexists(parent))
        if not base.is_dir():
            raise OutputProblem(f"--out {out} is under {base}, which is a file, not a directory; fix: {OUT_FIX}")
        _refuse_read_only(out, base)
        return frozenset()
    if not out.is_dir():
        raise OutputProblem(f"--out {out} exists and is not a directory; fix: {OUT_FIX}")
    _refuse_read_only(out, out)
    marker = out / MARKER
    if os.path.lexists(marker):
        return _listed(marker)
    for owned in OWNED:
        if os.path.lexists(out / owned):
            raise OutputProblem(
                f"--out {out} holds {out / owned} but no {MARKER}, so render did not write it and will not replace it; fix: {OUT_FIX}"
            )
    return frozenset()


def _refuse_read_only(out: Path, directory: Path) -> None:
    if not os.access(directory, os.W_OK | os.X_OK):
        raise OutputProblem(f"--out {out} cannot be written: {directory} is read-only for this user; fix: {WRITABLE_FIX}")


def _listed(marker: Path) -> frozenset[str]:
    """The paths a marker lists, each checked to be one render could have written."""

    def refuse(why: str) -> OutputProblem:
        return OutputProblem(f"{marker} is not a render marker ({why}); fix: {OUT_FIX}")

    if marker.is_symlink() or not marker.is_file():
        raise refuse("not a regular file")
    try:
        lines = marker.read_bytes().decode("utf-8").split("\n")
    except UnicodeDecodeError:
        raise refuse("not UTF-8") from None
    if lines[0] != MARKER_FORMAT:
        raise refuse(f"its first line is not {MARKER_FORMAT!r}")
    if lines[-1] != "":
        raise refuse("its last line does not end")
    listed = lines[1:-1]
    for number, line in enumerate(listed, start=2):
        path = PurePosixPath(line)
        if str(path) != line or path.is_absolute() or ".." in path.parts or path.parts[:1] == () or path.parts[0] not in OWNED:
            raise refuse(f"line {number} is not a path under {', '.join(OWNED)}")
    if len(set(listed)) != len(listed):
        raise refuse("a path is listed twice")
    return frozenset(listed)


def _refuse_foreign(out: Path, files: dict[str, str], previous: frozenset[str]) -> None:
    """Refuse when a write or a delete would touch something the previous render did not write."""
    for relative in sorted(previous):
        _refuse_links_above(out, relative)
        path = out / relative
        if path.is_dir() and not path.is_symlink():
            raise OutputProblem(f"{path} is listed in {out / MARKER} as a file render wrote, but it is a directory now; fix: move it out of {out}")
    for relative in sorted(files):
        _refuse_links_above(out, relative)
        parts = PurePosixPath(relative).parts
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            path = out / prefix
            if prefix in previous or not os.path.lexists(path):
                continue
            if depth == len(parts) or not path.is_dir():
                raise OutputProblem(
                    f"{path} exists and no previous render wrote it ({MARKER} does not list it), so render will not overwrite it; "
                    f"fix: move it out of {out}, or {OUT_FIX}"
                )


def _refuse_links_above(out: Path, relative: str) -> None:
    """A symbolic link to a directory would carry a delete or a write outside ``out``."""
    parts = PurePosixPath(relative).parts
    for depth in range(1, len(parts)):
        path = out.joinpath(*parts[:depth])
        if path.is_symlink():
            raise OutputProblem(f"{path} is a symbolic link; render writes only inside real directories; fix: move it out of {out}, or {OUT_FIX}")


def apply(plan: WritePlan) -> None:
    """Delete the previous render's files, write the new ones, prune directories left empty.

    The marker is written first listing both renders' files, so an interruption (a full
    disk) still leaves every file render wrote listed, and the next render cleans it up.
    """
    out = plan.out
    out.mkdir(parents=True, exist_ok=True)
    _write_marker(out, plan.previous | set(plan.files))
    for relative in sorted(plan.previous):
        (out / relative).unlink(missing_ok=True)
    for relative, content in sorted(plan.files.items()):
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    _prune_empty(out, plan.previous - set(plan.files))
    _write_marker(out, set(plan.files))


def marker_text(files: set[str] | frozenset[str]) -> str:
    return "\n".join([MARKER_FORMAT, *sorted(files)]) + "\n"


def _write_marker(out: Path, files: set[str] | frozenset[str]) -> None:
    """Replace the marker in one rename, so it is never seen half-written."""
    partial = out / f"{MARKER}.partial"
    partial.write_text(marker_text(files), encoding="utf-8")
    os.replace(partial, out / MARKER)


def _prune_empty(out: Path, removed: frozenset[str]) -> None:
    """Remove the directories the deleted files leave empty (deepest first), never ``out`` itself."""
    parents = {parent for relative in removed for parent in PurePosixPath(relative).parents if parent != PurePosixPath(".")}
    for parent in sorted(parents, key=lambda p: len(p.parts), reverse=True):
        directory = out / parent
        if directory.is_dir() and not directory.is_symlink() and not any(directory.iterdir()):
            directory.rmdir()
