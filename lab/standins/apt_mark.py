"""STAND-IN for apt-mark (a lab has no package database): records the call and keeps the
set of held packages, which the apt-get stand-in honours as apt does.
"""

from __future__ import annotations

from .common import STATE_DIR, load_json, record, save_json

HOLDS_FILE = STATE_DIR / "holds.json"


def held() -> set[str]:
    return set(load_json(HOLDS_FILE, []))


def main(tool: str, argv: list[str]) -> int:
    record(tool, argv)
    words = [a for a in argv if not a.startswith("-")]
    command, packages = (words[0], words[1:]) if words else ("", [])
    holds = held()
    if command == "hold":
        holds |= set(packages)
        print("\n".join(f"{p} set on hold." for p in packages))
    elif command == "unhold":
        holds -= set(packages)
        print("\n".join(f"Canceled hold on {p}." for p in packages))
    elif command == "showhold":
        print("\n".join(sorted(holds)))
    save_json(HOLDS_FILE, sorted(holds))
    return 0
