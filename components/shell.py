"""Building shell text safely: quoted assignments and templates read from .sh files.

Templates never contain values; values enter only as quoted ``readonly`` assignments at
the top of the rendered script, so no value can change what a script does beyond the
variable it sets, and every template is plain shell that shellcheck reads.
"""

from __future__ import annotations

import re
import shlex
from functools import lru_cache
from pathlib import Path
from typing import Mapping

_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
HEREDOC_END = "SOM_EOF"


def assignments(variables: Mapping[str, str | int]) -> str:
    lines = []
    for name, value in variables.items():
        if not _NAME.match(name):
            raise ValueError(f"not a shell variable name: {name}")
        lines.append(f"readonly {name}={shlex.quote(str(value))}")
    return "\n".join(lines) + ("\n" if lines else "")


_INPUTS = re.compile(r"^# Inputs:(.*)$", re.MULTILINE)


@lru_cache(maxsize=None)
def declared_inputs(path: Path) -> frozenset[str]:
    """The values a template says it needs, from its ``# Inputs: A B C`` header line."""
    found = _INPUTS.search(path.read_text())
    return frozenset(found.group(1).split()) if found else frozenset()


def check_inputs(paths: list[Path], values: Mapping[str, object], provided: frozenset[str] = frozenset()) -> None:
    """Refuse to render templates whose declared inputs are not exactly the values given
    (``provided``: names the renderer sets for every script)."""
    declared = frozenset().union(*(declared_inputs(path) for path in paths))
    missing, unused = declared - set(values) - provided, set(values) - declared
    if missing or unused:
        names = ", ".join(path.name for path in paths)
        raise ValueError(f"{names}: inputs missing {sorted(missing)}, given but not declared {sorted(unused)}")


@lru_cache(maxsize=None)
def template(path: Path) -> str:
    """A template's text without its shebang/shellcheck header lines (kept for linting)."""
    lines = path.read_text().splitlines(keepends=True)
    body = [line for line in lines if not (line.startswith("#!") or line.startswith("# shellcheck"))]
    return "".join(body).lstrip("\n")


def heredoc(command: str, content: str) -> str:
    """``command <<'SOM_EOF'`` with ``content`` verbatim (quoted delimiter: no expansion)."""
    if not content.endswith("\n"):
        raise ValueError("heredoc content must end with a newline")
    if any(line == HEREDOC_END for line in content.splitlines()):
        raise ValueError(f"content contains the heredoc delimiter line {HEREDOC_END}")
    return f"{command} <<'{HEREDOC_END}'\n{content}{HEREDOC_END}\n"
