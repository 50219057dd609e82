"""What every stand-in shares: the call log and the launcher.

The stand-ins replace tools that must not act in a lab node because they act on the
whole machine, which every node shares: swap, kernel modules and the sysctls that are
not per network namespace. Everything else a node runs is the real tool (apt, curl,
gpg, kubeadm, kubelet, kubectl, containerd, systemd). They run INSIDE a node, with the
Python that runs the tests, from /usr/local/lib/som-lab; each call is appended as one
JSON line to /var/log/som-lab/calls.jsonl so tests can assert what the scripts did.

This file is imported both inside nodes and by the lab itself (for launcher_text),
so it uses the standard library only.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

LIB_DIR = "/usr/local/lib/som-lab"
CALLS_LOG = Path("/var/log/som-lab/calls.jsonl")

# The machine-global tools, present from lab up in /usr/local/sbin (first on an ssh
# session's PATH): command -> stand-in module.
MACHINE_GLOBAL_STANDINS = {
    "swapoff": "record_only",
    "swapon": "record_only",
    "modprobe": "record_only",
    "sysctl": "sysctl",
}
# Also put over the real binary inside the node, so that an absolute path
# (/usr/sbin/swapoff) cannot reach the machine either.
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


def record(tool: str, argv: Sequence[str], **extra: Any) -> None:
    """Append one call to the call log (a single write, so lines never interleave)."""
    entry = {"tool": tool, "argv": [tool, *argv], "time": time.time(), **extra}
    CALLS_LOG.parent.mkdir(parents=True, exist_ok=True)
    with open(CALLS_LOG, "a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\n")
