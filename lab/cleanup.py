"""Tearing a lab down from what the machine shows, not from what a state file claims.

One path serves every teardown: Lab.down(), a context manager left by an exception,
and `python -m lab down --all` after a crash. It finds a lab's processes by the
markers in their argv and by its cgroups, its namespaces, cgroups and mounts by
name, and removes them, so it works whether or not the state file survived.
"""

from __future__ import annotations

import contextlib
import shutil

from . import netns
from .nodes import cgroups
from .nodes.lifecycle import kill_lab, marked
from .overlay import som_mounts, unmount
from .proc import cmdline, kill_and_wait, pids_in_netns
from .spec import MOUNT_ROOT, PREFIX, STATE_ROOT, LabNames, parse_marker
from .state import saved_lab_ids


def remove_lab(lab_id: str) -> None:
    """Remove every process, namespace, cgroup, mount and state file of one lab.

    Processes first (lifecycle.kill_lab), then what they held. Namespaces, mounts and
    files go even when a cgroup cannot be removed (the error is raised after).
    """
    names = LabNames(lab_id)
    kill_lab(lab_id)
    namespaces = netns.som_namespaces(lab_id)
    for name in namespaces:
        kill_and_wait(pids_in_netns(netns.netns_file(name)))
    try:
        cgroups.remove(cgroups.lab_cgroups(lab_id))
    finally:
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
    ids |= {i for i in (_id_after(c.name, PREFIX) for c in cgroups.lab_cgroups()) if i}
    mount_dirs = set(som_mounts()) | set(MOUNT_ROOT.glob(f"{PREFIX}*"))
    ids |= {i for i in (_id_after(m.name, PREFIX) for m in mount_dirs) if i}
    for pid in marked():
        ids |= {parsed[1] for parsed in map(parse_marker, cmdline(pid)) if parsed}
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
