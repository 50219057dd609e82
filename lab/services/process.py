"""Long-lived service processes in the service namespace, recorded so any process can stop them.

Why a record on disk: ``python -m lab.services down`` (or ``lab down``) runs in another
process than the one that started the registry. Each record keeps the PID and the
argv; a PID is only signalled while /proc still shows that argv in the service
namespace, so a PID reused after a crash is never hit.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import netns
from ..proc import LabError, cmdline, is_alive, kill_and_wait, netns_inode, wait_until
from .site import Site

START_TIMEOUT = 30.0
Ready = Callable[[int], bool]  # called with the service's PID: true once it serves


@dataclass(frozen=True)
class Running:
    """A started service: its PID and the argv it was started with (inside the namespace)."""

    name: str
    pid: int
    argv: tuple[str, ...]


def _records(site: Site) -> Path:
    return site.state_dir / "processes.json"


def load(site: Site) -> dict[str, Running]:
    path = _records(site)
    if not path.is_file():
        return {}
    return {name: Running(name, raw["pid"], tuple(raw["argv"])) for name, raw in json.loads(path.read_text()).items()}


def _save(site: Site, running: dict[str, Running]) -> None:
    path = _records(site)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({r.name: {"pid": r.pid, "argv": list(r.argv)} for r in running.values()}, indent=2))
    tmp.replace(path)


def is_ours(site: Site, running: Running) -> bool:
    """Is running.pid still that process, in the service namespace?"""
    ns = netns.netns_file(site.netns)
    return (is_alive(running.pid) and tuple(cmdline(running.pid)) == running.argv
            and ns.exists() and netns_inode(running.pid) == ns.stat().st_ino)


def start(site: Site, name: str, argv: Sequence[str], *, ready: Ready) -> Running:
    """Start argv in the service namespace (``ip netns exec`` execs it in place) and wait
    until ready(pid) holds; the log is ``<state>/<name>.log``."""
    log = site.state_dir / f"{name}.log"
    with open(log, "ab") as out:
        launcher = subprocess.Popen(["ip", "netns", "exec", site.netns, *argv], stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=out, start_new_session=True)
    running = Running(name, launcher.pid, tuple(argv))
    records = load(site)
    records[name] = running
    _save(site, records)

    def up() -> bool:
        if launcher.poll() is not None:
            raise LabError(f"{name} exited with {launcher.returncode}:\n{log.read_text()[-3000:]}")
        return tuple(cmdline(launcher.pid)) == running.argv and ready(launcher.pid)

    try:
        wait_until(up, timeout=START_TIMEOUT, what=f"{name} to serve", interval=0.05)
    except BaseException:
        stop(site, name)
        raise
    return running


def stop(site: Site, name: str) -> None:
    """Stop one recorded service if it still runs; forget it either way."""
    records = load(site)
    running = records.pop(name, None)
    if running and is_ours(site, running):
        kill_and_wait([running.pid])
    if running:
        _reap(running.pid)
    _save(site, records)


def _reap(pid: int) -> None:
    """Collect the exit status when this process started it (no zombie left)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
