"""Each node's own cgroup in every hierarchy of the machine: made before it boots, removed after.

Why: systemd in a node manages a cgroup tree. The node's cgroup namespace is rooted at
/sys/fs/cgroup/<hierarchy>/som-<id>-n-<node> (its PID 1 joins these before unsharing
the namespace, see boot.py), so the node's systemd sees them as the roots of its
hierarchies: its slices and scopes land below them, apart from the machine's cgroups
and from every other node's. The machine's own cgroups are never written to.

The hierarchies are read from the machine's mount table (this machine: cgroup v1
controllers, `name=systemd`, and an empty cgroup2 at `unified`), because a node mounts
exactly those, with the same controllers, at the same place.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from ..proc import read_text, wait_until
from ..spec import PREFIX, LabNames

CGROUP_ROOT = Path("/sys/fs/cgroup")
MOUNTINFO = Path("/proc/self/mountinfo")
CONTROLLERS = Path("/proc/cgroups")
# Block devices are the machine's disks: no node may read or write one, whatever nodes
# it makes. Lab setting: creating block device nodes (mknod, "m") stays allowed, because
# runc grants every container "b *:* m" by default and a cgroup v1 child cannot be
# given what its parent lacks (runc create fails with `write .../devices.allow:
# operation not permitted` for every pod); a node made that way still cannot be opened.
DENIED_DEVICES = "b *:* rw"
REMOVE_TIMEOUT = 10.0


@dataclass(frozen=True)
class Hierarchy:
    """One cgroup hierarchy as the machine mounts it."""

    mount_point: Path  # e.g. /sys/fs/cgroup/cpu
    fstype: str  # "cgroup" (v1) or "cgroup2"
    selectors: tuple[str, ...]  # v1: the controllers and name= that select it on mount

    @property
    def name(self) -> str:
        """Its directory under /sys/fs/cgroup, which a node's mount uses as well."""
        return self.mount_point.name

    @property
    def mount_options(self) -> str:
        """What `mount -t <fstype> -o` needs to mount this same hierarchy again."""
        if self.fstype == "cgroup2":
            return ""
        named_only = all(s.startswith("name=") for s in self.selectors)
        return ",".join((("none",) if named_only else ()) + self.selectors)


def parse_hierarchies(mountinfo: str, controllers: set[str]) -> list[Hierarchy]:
    """The cgroup hierarchies mounted directly under /sys/fs/cgroup (one line per mount:
    `... mount-point options ... - fstype source super-options`)."""
    found = []
    for line in mountinfo.splitlines():
        fields, _, tail = line.partition(" - ")
        root, mount_point = fields.split()[3:5]
        fstype, _, super_options = tail.split()[:3]
        if fstype not in ("cgroup", "cgroup2") or root != "/" or Path(mount_point).parent != CGROUP_ROOT:
            continue
        selectors = tuple(o for o in super_options.split(",") if o in controllers or o.startswith("name="))
        found.append(Hierarchy(Path(mount_point), fstype, selectors))
    return sorted(found, key=lambda h: h.name)


def hierarchies() -> list[Hierarchy]:
    controllers = {line.split()[0] for line in CONTROLLERS.read_text().splitlines()[1:] if line.strip()}
    return parse_hierarchies(MOUNTINFO.read_text(), controllers)


def node_dirs(names: LabNames, node: str) -> list[Path]:
    """The node's cgroup directory in every hierarchy."""
    return [h.mount_point / names.node_cgroup(node) for h in hierarchies()]


def top_level_of(pid: int) -> list[Path]:
    """The top-level cgroup of a process in every hierarchy: for a node's PID 1, the
    node's cgroups (a node's processes all live below them)."""
    membership = {}
    for line in (read_text(Path(f"/proc/{pid}/cgroup")) or "").splitlines():
        _, selectors, path = line.split(":", 2)
        membership[frozenset(selectors.split(",")) - {""}] = Path(path).parts[1:2]
    return [
        h.mount_point.joinpath(*membership[frozenset(h.selectors)])
        for h in hierarchies() if membership.get(frozenset(h.selectors))
    ]


def _copy_from_parent(directory: Path, key: str) -> None:
    """cpuset: a new cgroup starts with no CPUs and no memory nodes; give it its parent's."""
    for name in (f"cpuset.{key}", key):  # `cpus` when the hierarchy is mounted noprefix
        if (directory / name).exists():
            (directory / name).write_text((directory.parent / name).read_text())
            return


def create(names: LabNames, node: str) -> list[Path]:
    """Make the node's cgroups (idempotent); returns them."""
    made = []
    for directory in node_dirs(names, node):
        directory.mkdir(exist_ok=True)
        if directory.parent.name == "cpuset":
            _copy_from_parent(directory, "cpus")
            _copy_from_parent(directory, "mems")
        if directory.parent.name == "devices":
            (directory / "devices.deny").write_text(DENIED_DEVICES)
        made.append(directory)
    return made


def tree(directory: Path) -> list[Path]:
    """A cgroup and every cgroup below it, deepest first (the order rmdir needs)."""
    if not directory.is_dir():
        return []
    return [Path(parent) for parent, _, _ in os.walk(directory, topdown=False)]


def procs(directories: list[Path]) -> list[int]:
    """Machine PIDs of the processes in these cgroups and every cgroup below them."""
    pids: set[int] = set()
    for directory in directories:
        for cgroup in tree(directory):
            pids |= {int(pid) for pid in (read_text(cgroup / "cgroup.procs") or "").split()}
    return sorted(pids)


def remove(directories: list[Path]) -> None:
    """Remove these cgroups and everything below them, once their processes are gone.

    A killed process leaves its cgroup a moment after it is reaped, so an rmdir that
    finds the cgroup busy is retried.
    """
    def removed() -> bool:
        for directory in directories:
            for cgroup in tree(directory):
                with contextlib.suppress(OSError):
                    cgroup.rmdir()
        return not any(d.exists() for d in directories)

    wait_until(removed, timeout=REMOVE_TIMEOUT, what=f"cgroups {[str(d) for d in directories]} to be removed",
               interval=0.05)


def lab_cgroups(lab_id: str | None = None) -> list[Path]:
    """Lab cgroups on this machine (top level of every hierarchy): one lab's, or every som-* one."""
    prefix = LabNames(lab_id).prefix if lab_id else PREFIX
    return sorted(
        path for h in hierarchies() if h.mount_point.is_dir()
        for path in h.mount_point.iterdir() if path.is_dir() and path.name.startswith(prefix)
    )
