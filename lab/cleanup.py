"""Tearing a lab down from what the machine shows, not from what a state file claims.

One path serves every teardown: Lab.down(), a context manager left by an exception,
and `python -m lab down --all` after a crash. It finds a lab's node inits by
the marker in their argv, its namespaces and mounts by name, and removes them, so it
works whether or not the state file survived and whatever PIDs it recorded.
"""

from __future__ import annotations

import contextlib
import shutil

from . import netns
from .nodes import node_inits
from .overlay import som_mounts, unmount
from .proc import all_pids, cmdline, kill_and_wait, pids_in_netns
from .spec import INIT_MARKER, MOUNT_ROOT, PREFIX, STATE_ROOT, LabNames
from .state import saved_lab_ids


def remove_lab(lab_id: str) -> None:
    """Remove every process, namespace, mount and state file of one lab."""
    names = LabNames(lab_id)
    kill_and_wait(node_inits(lab_id))
    namespaces = netns.som_namespaces(lab_id)
    for name in namespaces:
        kill_and_wait(pids_in_netns(netns.netns_file(name)))
    for name in namespaces:
        netns.delete(name)
    for mount_point in reversed(som_mounts(lab_id)):
        unmount(mount_point)
    shutil.rmtree(names.state_dir, ignore_errors=True)
    for directory in (names.mount_dir, STATE_ROOT):
        with contextlib.suppress(OSError):
            directory.rmdir()


def _id_after(text: str, prefix: str) -> str | None:
    if not text.startswith(prefix):
        return None
    return text[len(prefix):].split("-", 1)[0] or None


def stale_lab_ids() -> list[str]:
    """Ids of every lab that has anything left on this machine."""
    ids = set(saved_lab_ids())
    ids |= {i for i in (_id_after(n, PREFIX) for n in netns.som_namespaces()) if i}
    mount_dirs = set(som_mounts()) | set(MOUNT_ROOT.glob(f"{PREFIX}*"))
    ids |= {i for i in (_id_after(m.name, PREFIX) for m in mount_dirs) if i}
    for pid in all_pids():
        argv = cmdline(pid)
        if INIT_MARKER in argv and len(argv) > argv.index(INIT_MARKER) + 1:
            ids.add(argv[argv.index(INIT_MARKER) + 1])
    return sorted(ids)


def remove_all() -> list[str]:
    """`down --all`: remove every som-* lab on this machine; return the ids removed."""
    removed = []
    for lab_id in stale_lab_ids():
        try:
            LabNames(lab_id)
        except ValueError:
            continue
        remove_lab(lab_id)
        removed.append(lab_id)
    return removed
