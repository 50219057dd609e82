"""STAND-IN for curl and gpg (a lab has no internet): records the call and writes a
placeholder where the real tool would write its output (the -o/--output file, else
stdout), so `curl -fsSL URL | gpg --dearmor -o KEYRING` leaves a keyring file behind.
"""

from __future__ import annotations

import sys

from .common import record, write_file


def output_path(argv: list[str]) -> str | None:
    """The value of -o/--output (separate or joined with `=`), if any."""
    for i, arg in enumerate(argv):
        if arg in ("-o", "--output") and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--output="):
            return arg.split("=", 1)[1]
    return None


def main(tool: str, argv: list[str]) -> int:
    record(tool, argv)
    if tool == "gpg" and "--dearmor" not in argv:
        return 0
    if tool == "gpg" and not sys.stdin.isatty():
        sys.stdin.read()
    urls = [a for a in argv if "://" in a]
    text = (f"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nsom-lab placeholder written by the {tool} stand-in for "
            f"{' '.join(urls) or 'stdin'}\n-----END PGP PUBLIC KEY BLOCK-----\n")
    path = output_path(argv)
    if path:
        write_file(path, text)
    else:
        sys.stdout.write(text)
    return 0
