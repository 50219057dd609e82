"""Which files of this machine an executable needs to run inside an image.

Why: kube-proxy runs ``iptables``, a dynamically linked Debian program that also loads
plugins (its match and target modules) at run time. An image without a distribution
must carry exactly the executable, its plugins and every shared library they load,
at the paths the dynamic loader looks in. ``ldd`` (the loader itself) says which.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..proc import run
from .spec import HostFiles

# "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
_LDD_LINE = re.compile(r"^\s*(?:\S+\s+=>\s+)?(/\S+)\s+\(0x[0-9a-f]+\)\s*$")


def parse_ldd(output: str) -> list[str]:
    """Absolute library paths in ``ldd`` output (the vDSO has none and is skipped)."""
    return [m.group(1) for m in map(_LDD_LINE.match, output.splitlines()) if m]


def libraries(path: Path) -> list[str]:
    """Shared libraries (with the loader) path needs; LabError for a missing library."""
    result = run(["ldd", str(path)], check=False)
    if "not a dynamic executable" in result.stdout + result.stderr:
        return []
    if result.returncode != 0 or "not found" in result.stdout:
        raise ValueError(f"ldd {path}: cannot resolve its libraries:\n{result.stdout}{result.stderr}")
    return parse_ldd(result.stdout)


def closure(host: HostFiles) -> list[str]:
    """Every path of the machine the image must hold, sorted and without duplicates."""
    wanted: set[str] = set()
    for executable in host.executables:
        if not Path(executable).is_file():
            raise FileNotFoundError(f"{executable} is missing on this machine (install its Debian package)")
        wanted.add(executable)
    for directory in host.directories:
        if not Path(directory).is_dir():
            raise FileNotFoundError(f"{directory} is missing on this machine (install its Debian package)")
        wanted |= {str(p) for p in Path(directory).iterdir() if p.is_file()}
    for path in sorted(wanted):
        wanted |= set(libraries(Path(path)))
    wanted |= {d for d in host.data if Path(d).is_file()}
    return sorted(wanted)
