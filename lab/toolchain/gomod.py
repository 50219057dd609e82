"""Reading the parts of an upstream go.mod that a scratch module must reproduce.

Why: ``replace`` and ``godebug`` lines only take effect in the main module. Building
an upstream command from a scratch module therefore silently drops them; this module
finds the ones that matter so the plan can be checked against the real file:
- a directory replace of a module required at the ``v0.0.0`` placeholder (Kubernetes'
  staging modules) has no version to fall back on and must be pinned by the plan;
- a replace by another module version (a fork) changes the code and must be adopted;
- ``godebug`` lines set runtime defaults (e.g. ``default=go1.25``) and are copied.
Directory replaces of modules required at a real version (Pulumi's ``sdk/v3 => ../sdk``,
etcd's sibling modules) are safe to drop: that version is the same release.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

PLACEHOLDER = "v0.0.0"


@dataclass(frozen=True)
class Replace:
    module: str
    target: str  # "./dir" or "module version"

    @property
    def is_directory(self) -> bool:
        return self.target.startswith(("./", "../", "/"))


def _directive_lines(text: str, directive: str) -> Iterator[str]:
    """The entries of a directive, whether written on one line or in a ( ) block."""
    in_block = False
    for raw in text.splitlines():
        line = raw.split("//", 1)[0].strip()
        if in_block:
            if line == ")":
                in_block = False
            elif line:
                yield line
        elif line == f"{directive} (":
            in_block = True
        elif line.startswith(f"{directive} "):
            yield line[len(directive) + 1 :].strip()


def replaces(text: str) -> list[Replace]:
    """Every replace line, left side without a version (``module [version] => target``)."""
    found = []
    for entry in _directive_lines(text, "replace"):
        left, _, right = entry.partition("=>")
        found.append(Replace(left.split()[0], " ".join(right.split())))
    return found


def requirements(text: str) -> dict[str, str]:
    """Required module -> version."""
    found = {}
    for entry in _directive_lines(text, "require"):
        parts = entry.split()
        if len(parts) >= 2:
            found[parts[0]] = parts[1]
    return found


def godebug(text: str) -> list[tuple[str, str]]:
    """The godebug key=value settings, in file order."""
    settings = []
    for entry in _directive_lines(text, "godebug"):
        for item in entry.split():
            key, _, value = item.partition("=")
            settings.append((key, value))
    return settings


def pins_needed(text: str) -> set[str]:
    """Modules a scratch module must pin itself: directory-replaced placeholders."""
    required = requirements(text)
    return {
        r.module for r in replaces(text)
        if r.is_directory and required.get(r.module, PLACEHOLDER) == PLACEHOLDER
        and not r.target.endswith("FORBIDDEN_DEPENDENCY")
    }


def forks(text: str) -> dict[str, str]:
    """Replaces by another module version: module -> "module version"."""
    return {r.module: r.target for r in replaces(text) if not r.is_directory}


def module_path(text: str) -> str:
    match = re.search(r"^module\s+(\S+)", text, re.MULTILINE)
    return match.group(1) if match else ""


def problems(text: str, planned: dict[str, str]) -> list[str]:
    """What a plan's replaces (module -> target) miss or get wrong for this go.mod."""
    found = []
    missing = sorted(pins_needed(text) - planned.keys())
    if missing:
        found.append(f"{module_path(text)} replaces {', '.join(missing)} with directories "
                     "the module zip lacks; the plan must pin them")
    for module, target in sorted(forks(text).items()):
        if planned.get(module) != target:
            found.append(f"{module_path(text)} replaces {module} => {target}; the plan has "
                         f"{planned.get(module, 'nothing')}")
    return found
