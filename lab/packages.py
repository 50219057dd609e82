"""The Debian packages each lab concern lists beside its code (lab/*/debian-packages.txt).

Why a parser rather than sed in the setup script: a trailing comment left the padding
before it on the name ("mmdebstrap   "), apt-get could not locate it, and CI stopped in
its first three seconds. One place reads these files, strips comments and blanks, and
refuses a line that is not a Debian package name, naming file and line. Standard library
only: the setup script runs it with the machine's python3, before the virtualenv exists.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

LAB = Path(__file__).resolve().parent
# Debian Policy 5.6.1: lower case letters, digits, "+", "-", "."; two characters at
# least; starting with a letter or digit. An ":arch" qualifier is allowed for apt.
PACKAGE_NAME = re.compile(r"[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?")


class PackageListError(ValueError):
    """A debian-packages.txt line that is not one package name."""


def parse(text: str, source: str) -> list[str]:
    """The package names in one list: one a line, "#" starts a comment."""
    names = []
    for number, line in enumerate(text.splitlines(), start=1):
        name = line.split("#", 1)[0].strip()
        if not name:
            continue
        if not PACKAGE_NAME.fullmatch(name):
            raise PackageListError(
                f"{source}:{number}: {name!r} is not a Debian package name; "
                "write one package a line, a comment after '#'")
        names.append(name)
    return names


def concern_packages(lab: Path = LAB) -> list[str]:
    """Every concern's packages, in file order, each once."""
    names: list[str] = []
    for listing in sorted(lab.glob("*/debian-packages.txt")):
        for name in parse(listing.read_text(), str(listing.relative_to(lab.parent))):
            if name not in names:
                names.append(name)
    return names


def main() -> int:
    try:
        print("\n".join(concern_packages()))
    except PackageListError as exc:
        print(f"lab.packages: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
