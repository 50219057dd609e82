"""Running commands and finding, checking and ending processes.

Why a module of its own: every other part of the lab drives real tools (ip, mount,
nsenter, ssh-keygen) and must turn a failure into an error that names the command
and its stderr, and must end processes it started without ever ending one it did not
start. A PID read from a state file can be reused by an unrelated process after a
crash, so every kill here is preceded by a check of what the PID is now.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

PROC = Path("/proc")


class LabError(RuntimeError):
    """A lab operation failed; the message says which command and why."""


def run(
    argv: Sequence[str],
    *,
    stdin: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 60.0,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run argv to completion and return its result as text.

    With check=True a non-zero exit raises LabError carrying the argv and stderr,
    because a bare CalledProcessError hides the one line that explains the failure.
    """
    try:
        result = subprocess.run(
            list(argv),
            **({"input": stdin} if stdin is not None else {"stdin": subprocess.DEVNULL}),
            capture_output=True,
            text=True,
            env=dict(env) if env is not None else None,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise LabError(f"timed out after {timeout}s: {' '.join(argv)}") from exc
    if check and result.returncode != 0:
        raise LabError(
            f"exit {result.returncode}: {' '.join(argv)}\n{result.stderr.strip()}"
        )
    return result


def read_text(path: Path) -> str | None:
    """Read a small /proc file; None when the process or file is gone."""
    try:
        return path.read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None


def cmdline(pid: int) -> list[str]:
    """The argv of a process, empty when it is gone or a kernel thread."""
    raw = read_text(PROC / str(pid) / "cmdline")
    return raw.split("\0")[:-1] if raw else []


def comm(pid: int) -> str:
    """The executable's name as the kernel keeps it (unchanged by setproctitle)."""
    return (read_text(PROC / str(pid) / "comm") or "").strip()


def is_alive(pid: int) -> bool:
    """True while the PID exists and is not a zombie waiting to be reaped."""
    stat = read_text(PROC / str(pid) / "stat")
    if stat is None:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def all_pids() -> list[int]:
    """Every PID visible in this PID namespace."""
    return [int(name) for name in os.listdir(PROC) if name.isdigit()]


def children_of(parent: int) -> list[int]:
    """PIDs whose parent is `parent`.

    This kernel has no /proc/PID/task/TID/children, so the parent field of every
    /proc/PID/stat is read instead.
    """
    found = []
    for pid in all_pids():
        stat = read_text(PROC / str(pid) / "stat")
        if stat and int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            found.append(pid)
    return found


def netns_inode(pid: int) -> int | None:
    """Inode of the network namespace a process is in, None when it is gone."""
    try:
        return os.stat(PROC / str(pid) / "ns" / "net").st_ino
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None


def pids_in_netns(netns_file: Path) -> list[int]:
    """Processes living in the network namespace bound at netns_file.

    Used to find whatever still runs in a lab namespace (an ssh client left behind
    by a failed test, say), whoever started it.
    """
    try:
        inode = os.stat(netns_file).st_ino
    except FileNotFoundError:
        return []
    me = os.getpid()
    return [pid for pid in all_pids() if pid != me and netns_inode(pid) == inode]


def wait_until(
    condition: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.01
) -> None:
    """Poll condition until it holds; raise LabError naming `what` on timeout."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise LabError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def kill_and_wait(pids: Iterable[int], *, timeout: float = 5.0) -> None:
    """SIGKILL the given PIDs and wait until none is alive any more.

    Callers pass only PIDs they have just checked (see pids_in_netns and the marker
    checks in nodes.py). SIGKILL, not SIGTERM: a lab node has nothing to save, and a
    node's init dies at once taking its whole PID namespace with it.
    """
    targets = [pid for pid in pids if pid != os.getpid()]
    for pid in targets:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    wait_until(
        lambda: not any(is_alive(pid) for pid in targets),
        timeout=timeout,
        what=f"processes {targets} to end",
    )
