"""Turn the `diff -ruN base head` of a stack's rendered files into a pull request comment.

A reviewer should see what lands on the hosts and in the cluster. GitHub rejects comments
over 65,536 characters, and a new node or a version bump easily renders more than that, so
the comment always lists every changed file with its line counts, then shows whole file
diffs while they fit, and says what it left out and where the full diff is (the run's
artifact). Pure standard library: runs on any runner's Python.

Usage: python render_diff_comment.py --stack dev --diff render.diff --base-status ok
                                     [--details-url URL] > comment.md
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

COMMENT_LIMIT = 65_536
# Room for the marker line upsert-comment.sh prepends and for GitHub counting differently.
BUDGET = COMMENT_LIMIT - 4_096
MAX_TABLE_ROWS = 150


@dataclass(frozen=True)
class FileDiff:
    """One file's section of a recursive diff."""

    path: str
    text: str

    @property
    def added(self) -> int:
        return sum(1 for line in self.text.splitlines() if line.startswith("+") and not line.startswith("+++ "))

    @property
    def removed(self) -> int:
        return sum(1 for line in self.text.splitlines() if line.startswith("-") and not line.startswith("--- "))


def split_files(diff: str) -> list[FileDiff]:
    """Sections of ``diff -ruN base head`` output, one per file (headers start with 'diff ')."""
    sections = [part for part in re.split(r"(?m)^(?=diff )", diff) if part.strip()]
    return [FileDiff(_path_of(section), section) for section in sections]


def _path_of(section: str) -> str:
    header = section.splitlines()[0].split()
    last = header[-1] if header else "?"
    return last.split("/", 1)[1] if "/" in last else last


def fence_for(text: str) -> str:
    """A code fence longer than any backtick run in ``text``, so the diff cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def summary_table(files: list[FileDiff]) -> str:
    rows = [f"| `{f.path}` | +{f.added} | -{f.removed} |" for f in files[:MAX_TABLE_ROWS]]
    if len(files) > MAX_TABLE_ROWS:
        rows.append(f"| ... and {len(files) - MAX_TABLE_ROWS} more files | | |")
    return "\n".join(["| file | added | removed |", "|---|---:|---:|", *rows])


def fit(files: list[FileDiff], budget: int) -> tuple[str, int]:
    """Whole file sections while they fit in ``budget`` characters.

    Returns the text and how many files it shows. When not even the first file fits, the
    text is that file's first lines (count 0), so a huge change still shows how it starts.
    """
    shown, used = [], 0
    for file in files:
        if used + len(file.text) > budget:
            break
        shown.append(file.text)
        used += len(file.text)
    if not shown and files:
        start = files[0].text[:budget]
        return start[: start.rfind("\n") + 1], 0
    return "".join(shown), len(shown)


def render_comment(stack: str, diff: str, base_ok: bool, details_url: str | None = None, budget: int = BUDGET) -> str:
    """The comment's markdown, at most ``budget`` characters plus a short tail."""
    files = split_files(diff)
    where = f" Full diff: [run artifact `render-diff-{stack}`]({details_url})." if details_url else ""
    parts = [f"### Rendered files and manifests: stack `{stack}`", ""]
    if not base_ok:
        parts += ["> The base branch could not be rendered; every file of the head is shown as added.", ""]
    if not files:
        parts.append("No change to any file put on the hosts, any manifest or `network.md`.")
        return "\n".join(parts) + "\n"
    parts += [
        f"{len(files)} file(s) changed, +{sum(f.added for f in files)} -{sum(f.removed for f in files)} lines.{where}",
        "",
        summary_table(files),
        "",
    ]
    head = "\n".join(parts)
    body, complete = fit(files, budget - len(head) - 200)
    fence = fence_for(body)
    partial = f" (and the first lines of `{files[0].path}`)" if complete == 0 else ""
    note = "" if complete == len(files) else (
        f"\n_Shown in full: {complete} of {len(files)} files{partial}; the comment size limit cut the rest.{where}_\n"
    )
    return f"{head}<details><summary>diff</summary>\n\n{fence}diff\n{body}{fence}\n\n</details>\n{note}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--diff", required=True, type=Path)
    parser.add_argument("--base-status", required=True, help='"ok" when the base branch rendered')
    parser.add_argument("--details-url")
    args = parser.parse_args(argv)
    diff = args.diff.read_text(encoding="utf-8", errors="replace")
    sys.stdout.write(render_comment(args.stack, diff, args.base_status == "ok", args.details_url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
