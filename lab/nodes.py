"""A node's processes: its init (PID 1 of the node), its sshd, and commands run inside it.

A node boots as `ip netns exec <node netns> unshare --mount --uts --pid --fork ...`:
the boot script (overlay.node_boot_script) becomes PID 1 of a new PID namespace and
execs a reaper. Killing that init kills every process of the node at once (the
kernel ends a PID namespace with its PID 1), which is what a reboot or teardown
needs. Commands enter the node with `nsenter -t <init> -m -u -n -p -r -w`: its mount,
UTS, network and PID namespaces, its root and working directory.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import netns
from .overlay import node_boot_script
from .proc import LabError, all_pids, children_of, cmdline, comm, kill_and_wait, pids_in_netns, run, wait_until
from .spec import INIT_MARKER, LabNames
from .sshd import SSHD_COMM, listening, sshd_argv

START_TIMEOUT = 10.0
NODE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass
class Started:
    """A process the lab launched: the PID that matters and the Popen to reap."""

    pid: int
    launcher: subprocess.Popen[bytes]


def node_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A login-like environment for commands in a node (not the test runner's)."""
    return {"PATH": NODE_PATH, "HOME": "/root", "LANG": "C.UTF-8", "USER": "root", **(extra or {})}


def enter_argv(init_pid: int, argv: Sequence[str]) -> list[str]:
    return ["nsenter", "-t", str(init_pid), "-m", "-u", "-n", "-p", "-r", "-w", "--", *argv]


def launch(argv: Sequence[str], log: Path) -> subprocess.Popen[bytes]:
    """Start a long-lived lab process in its own session, output to a log file."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            list(argv), stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True
        )


def find_child(launcher: subprocess.Popen[bytes], is_it: Callable[[int], bool], what: str, log: Path) -> int:
    """The child of launcher for which is_it(pid) holds; LabError with the log if it died.

    is_it must look at argv elements, not substrings: until the child has exec'd, its
    argv is the launcher's, which mentions what it is about to run.
    """
    found: list[int] = []

    def ready() -> bool:
        if launcher.poll() is not None:
            raise LabError(f"{what} exited with {launcher.returncode}:\n{log.read_text()[-2000:]}")
        found[:] = [pid for pid in children_of(launcher.pid) if is_it(pid)]
        return bool(found)

    wait_until(ready, timeout=START_TIMEOUT, what=what)
    return found[0]


def start_init(names: LabNames, node: str, python: str) -> Started:
    """Boot a node whose network namespace and upper dir are ready; return its init."""
    log = names.state_dir / f"{node}.init.log"
    launcher = launch(
        ["ip", "netns", "exec", names.node_netns(node),
         "unshare", "--mount", "--uts", "--pid", "--fork", "--kill-child", "--propagation", "private",
         "--", "/bin/sh", "-c", node_boot_script(names, node, python)],
        log,
    )
    def is_init(pid: int) -> bool:
        return is_node_init(pid, names.lab_id, node)

    return Started(find_child(launcher, is_init, f"init of node {node}", log), launcher)


def is_sshd(pid: int) -> bool:
    """sshd rewrites its argv ("sshd: /usr/sbin/sshd -D [listener] ..."), so look at comm."""
    return comm(pid) == SSHD_COMM


def start_sshd(names: LabNames, node: str, init_pid: int) -> Started:
    """Start the node's sshd (sshd -D inside the node) and wait until it listens."""
    log = names.state_dir / f"{node}.sshd.log"
    launcher = launch(enter_argv(init_pid, sshd_argv()), log)
    pid = find_child(launcher, is_sshd, f"sshd of node {node}", log)
    wait_until(lambda: listening(pid), timeout=START_TIMEOUT, what=f"sshd of node {node} to listen")
    return Started(pid, launcher)


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


def is_node_init(pid: int, lab_id: str | None = None, node: str | None = None) -> bool:
    """Does pid (still) belong to a node init of this lab / node? Guards every kill."""
    argv = cmdline(pid)
    if INIT_MARKER not in argv:
        return False
    tail = argv[argv.index(INIT_MARKER) + 1:]
    return (lab_id is None or tail[:1] == [lab_id]) and (node is None or tail[1:2] == [node])


def node_inits(lab_id: str | None = None) -> list[int]:
    """Live node inits on this machine: one lab's, or every lab's (for down --all)."""
    return [pid for pid in all_pids() if is_node_init(pid, lab_id)]


def stop_node(names: LabNames, node: str, init_pid: int | None) -> None:
    """End every process of a node: its init (hence its PID namespace), then stragglers.

    Stragglers are processes that entered the node's network namespace from outside
    (e.g. `ip netns exec` by a test); they are found by namespace, not by PID file.
    """
    inits = [init_pid] if init_pid and is_node_init(init_pid, names.lab_id, node) else []
    kill_and_wait(inits)
    kill_and_wait(pids_in_netns(netns.netns_file(names.node_netns(node))))
