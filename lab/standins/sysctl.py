"""STAND-IN for sysctl, for writes only: net.* keys are applied for real (they belong to
the node's network namespace), every other key is machine-global, so it is recorded
and reported as set but not written (the node's /proc/sys is read-only outside net).

Without it `sysctl --system` fails in a lab node: it would also apply the machine's
own /usr/lib/sysctl.d defaults (kernel.*, fs.*), which a node cannot write, while on
a real host it succeeds. Reads (`sysctl -n KEY`, `sysctl KEY`, `-a`) run the real
/usr/sbin/sysctl.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .common import record

REAL = "/usr/sbin/sysctl"
SYSCTL_DIRS = (Path("/etc/sysctl.d"), Path("/run/sysctl.d"), Path("/usr/local/lib/sysctl.d"), Path("/usr/lib/sysctl.d"))
SYSCTL_CONF = Path("/etc/sysctl.conf")

Assignment = tuple[str, str]


def system_files() -> list[Path]:
    """What `sysctl --system` reads: sysctl.d by file name (first directory wins a name),
    then /etc/sysctl.conf."""
    chosen: dict[str, Path] = {}
    for directory in SYSCTL_DIRS:
        for path in sorted(directory.glob("*.conf")) if directory.is_dir() else []:
            chosen.setdefault(path.name, path)
    return [chosen[name] for name in sorted(chosen)] + ([SYSCTL_CONF] if SYSCTL_CONF.is_file() else [])


def assignment(text: str) -> Assignment | None:
    """`key = value` (also `-key = value`, `a/b/c = v`) -> (a.b.c, value)."""
    line = text.strip()
    if not line or line.startswith(("#", ";")) or "=" not in line:
        return None
    key, value = (part.strip() for part in line.lstrip("-").split("=", 1))
    return key.replace("/", "."), value


def file_assignments(path: Path) -> list[Assignment]:
    return [a for a in (assignment(line) for line in path.read_text().splitlines()) if a]


def apply(key: str, value: str) -> str | None:
    """Set one key as this node may: write net.*, skip the rest. Returns an error or None."""
    if not key.startswith("net."):
        return None
    try:
        Path("/proc/sys", *key.split(".")).write_text(value + "\n")
    except OSError as exc:
        return f'sysctl: cannot set "{key}": {exc.strerror}'
    return None


def writes(argv: list[str]) -> list[Assignment] | None:
    """The assignments a command line asks for; None when it only reads."""
    files: list[Path] = []
    pairs: list[Assignment] = []
    for i, arg in enumerate(argv):
        if arg == "--system":
            files += system_files()
        elif arg in ("-p", "--load") or arg.startswith("--load="):
            following = argv[i + 1] if i + 1 < len(argv) else ""
            name = arg.split("=", 1)[1] if "=" in arg else following
            files.append(Path(name) if name and not name.startswith("-") else SYSCTL_CONF)
        elif "=" in arg and not arg.startswith("-"):
            pairs.append(assignment(arg) or (arg, ""))
    if not files and not pairs:
        return None
    return [a for path in files for a in file_assignments(path)] + pairs


def main(tool: str, argv: list[str]) -> int:
    record(tool, argv)
    wanted = writes(argv)
    if wanted is None:
        os.execv(REAL, [REAL, *argv])
    quiet = bool({"-q", "--quiet"} & set(argv))
    errors = [e for e in (apply(key, value) for key, value in wanted) if e]
    if not quiet:
        print("".join(f"{key} = {value}\n" for key, value in wanted), end="")
    for error in errors:
        print(error, file=sys.stderr)
    return 1 if errors else 0
