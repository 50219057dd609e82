"""Entering a running node: every command the lab runs inside one goes through here.

The argv drops the node's capabilities from the bounding set first (capabilities.py;
a bare `nsenter` would keep the machine's, e.g. CAP_SYS_TIME: a probe once changed
the machine's clock that way), moves into the node's cgroups (so that its devices
rule, its accounting and its teardown apply to the command as to the node's own
processes), then joins every namespace of the node's PID 1 (mount, UTS, IPC,
network, PID, cgroup) and its root and working directory.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence

from ..proc import LabError, run
from .capabilities import drop_argv
from .cgroups import top_level_of

NODE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Joins the cgroups named before `--`, then runs what follows it.
JOIN_CGROUPS = 'while [ "$1" != -- ]; do echo 0 >"$1"; shift; done; shift; exec "$@"'


def node_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A login-like environment for commands in a node (not the test runner's)."""
    return {"PATH": NODE_PATH, "HOME": "/root", "LANG": "C.UTF-8", "USER": "root", **(extra or {})}


def enter_argv(init_pid: int, argv: Sequence[str]) -> list[str]:
    """argv run inside the node whose PID 1 is init_pid (a machine PID)."""
    node_cgroups = top_level_of(init_pid)
    if not node_cgroups:
        raise LabError(f"process {init_pid} is gone: the node is not running")
    join = ["/bin/sh", "-c", JOIN_CGROUPS, "som-lab-enter", *(str(c / "cgroup.procs") for c in node_cgroups), "--"]
    namespaces = ["-m", "-u", "-i", "-n", "-p", "-C", "-r", "-w"]
    return [*drop_argv(), *join, "nsenter", "-t", str(init_pid), *namespaces, "--", *argv]


def exec_in(
    init_pid: int,
    argv: Sequence[str],
    *,
    stdin: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 60.0,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run a command inside a node, without ssh."""
    return run(enter_argv(init_pid, argv), stdin=stdin, env=node_env(env), timeout=timeout, check=check)
