"""What every stand-in shares: the call log, the state files, the launcher.

The stand-ins replace tools that cannot exist in a lab node (kubeadm, kubelet,
kubectl, an apt repository, the internet) or must not act there (swap and kernel
modules are global to the machine); systemd is real, every node's PID 1. They run
INSIDE a node, with the Python that runs the tests, from /usr/local/lib/som-lab; each
call is appended as one JSON line to /var/log/som-lab/calls.jsonl so tests can assert
what the scripts did.

This file is imported both inside nodes and by the lab itself (for launcher_text),
so it uses the standard library only.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

LIB_DIR = "/usr/local/lib/som-lab"
CALLS_LOG = Path("/var/log/som-lab/calls.jsonl")
STATE_DIR = Path("/var/lib/som-lab")
PACKAGES_FILE = STATE_DIR / "packages.json"

# Tools that appear only once the apt-get stand-in installs their package, at the
# path the real Debian package uses.
KUBE_PACKAGES = {"kubeadm": "kubeadm", "kubelet": "kubelet", "kubectl": "kubectl"}
KUBE_BIN_DIR = "/usr/bin"

# Tools present from lab up, in /usr/local/sbin (first on an ssh session's PATH).
SYSTEM_STANDINS = {
    "apt-get": "apt_get",
    "apt-mark": "apt_mark",
    "curl": "downloads",
    "gpg": "downloads",
    "swapoff": "record_only",
    "swapon": "record_only",
    "modprobe": "record_only",
    "sysctl": "sysctl",
}
# Machine-global tools: also put over the real binary inside the node, so that an
# absolute path (/usr/sbin/swapoff) cannot reach the machine either.
SHADOWED_BINARIES = {"swapoff": "/usr/sbin/swapoff", "swapon": "/usr/sbin/swapon", "modprobe": "/usr/sbin/modprobe"}


def launcher_text(command: str, module: str, python: str) -> str:
    """The executable file a stand-in is installed as."""
    return (
        f"#!{python} -I\n"
        f'"""som-lab STAND-IN for `{command}`, not the real tool: see {LIB_DIR}/standins/{module}.py."""\n'
        "import sys\n"
        f"sys.path.insert(0, {LIB_DIR!r})\n"
        f"from standins.{module} import main\n"
        f"sys.exit(main({command!r}, sys.argv[1:]))\n"
    )


def write_file(path: Path | str, content: str, mode: int = 0o644) -> None:
    """Write a file, creating its parent directories."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    path.chmod(mode)


def record(tool: str, argv: Sequence[str], **extra: Any) -> None:
    """Append one call to the call log (a single write, so lines never interleave)."""
    entry = {"tool": tool, "argv": [tool, *argv], "time": time.time(), **extra}
    CALLS_LOG.parent.mkdir(parents=True, exist_ok=True)
    with open(CALLS_LOG, "a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\n")


def load_json(path: Path, default: Any) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return default


def save_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2))
    os.replace(tmp, path)


def installed_version(package: str) -> str | None:
    """The Debian version the apt-get stand-in installed (e.g. 1.31.4-1.1), if any."""
    return load_json(PACKAGES_FILE, {}).get(package)


def kube_version(package: str) -> str:
    """The Kubernetes version of an installed kube package, as `v1.31.4`."""
    version = installed_version(package)
    if version is None:
        raise SystemExit(f"{package}: not installed (som-lab stand-in state is missing)")
    return "v" + version.split("-", 1)[0]


def minor_of(version: str) -> int:
    """1.31.4-1.1 or v1.31.4 -> 31."""
    return int(version.lstrip("v").split(".")[1])


def fail(message: str, code: int = 1) -> int:
    """Print an error the way command-line tools do and return the exit code."""
    print(message, file=sys.stderr)
    return code
