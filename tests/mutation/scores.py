"""The mutation score per module of a finished mutmut run, and the mutants that were not killed.

``mutmut results`` lists mutants but gives no score; the README and reviews need
killed/total per module. Every mutant counts in the total: one that no selected test
even runs ("no tests") is a change no test protects, so it counts as not killed.

Run from the directory mutmut ran in (``scripts/mutation.sh`` does):
``python -m tests.mutation.scores components/taints.py ...``
"""

from __future__ import annotations

import sys
from collections import Counter

from mutmut.mutation.data import SourceFileMutationData
from mutmut.stats import status_by_exit_code

CAUGHT = ("killed", "timeout", "caught by type check")


def statuses(module: str) -> dict[str, str]:
    """mutant name -> mutmut's status for it (killed, survived, no tests, timeout, ...)."""
    data = SourceFileMutationData(path=module)
    data.load()
    return {name: status_by_exit_code[code] for name, code in data.exit_code_by_key.items()}


def report(modules: list[str]) -> str:
    lines = [f"{'module':<36} {'killed':>6} {'total':>6} {'score':>7}  not killed"]
    missed: list[str] = []
    for module in modules:
        found = statuses(module)
        counts = Counter(found.values())
        killed = sum(counts[status] for status in CAUGHT)
        others = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()) if status not in CAUGHT)
        score = f"{100 * killed / len(found):.1f}%" if found else "-"
        lines.append(f"{module:<36} {killed:>6} {len(found):>6} {score:>7}  {others or '-'}")
        missed += [f"  {name}: {status}" for name, status in sorted(found.items()) if status not in CAUGHT]
    if missed:
        lines += ["", "not killed (see one with: mutmut show <name>, in the kept directory):", *missed]
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(sys.argv[1:]))
