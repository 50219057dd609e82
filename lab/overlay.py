"""Each node's own copy-on-write root file system.

A node's root is an overlayfs whose lower layer is the machine's `/` and whose upper
and work dirs sit on the lab's tmpfs (/mnt/som-<id>, a mount of its own so it is not
part of the lower layer). The overlay only exists inside the node's private mount
namespace; writes land in the node's upper dir and nowhere else.

overlayfs of `/` does not include submounts, so /proc, /sys, /dev, /run and /tmp are
mounted fresh inside the node root by its boot script (nodes/boot.py).
"""

from __future__ import annotations

import contextlib
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from .proc import run
from .spec import MOUNT_ROOT, PREFIX, LabNames

TMPFS_SIZE = "4g"
CLUSTER_MOUNTPOINT = "/var/lib/som-lab/cluster"


@dataclass(frozen=True)
class NodeDirs:
    """Where a node's file system lives on the machine (inside the lab tmpfs)."""

    base: Path

    @property
    def upper(self) -> Path:
        return self.base / "upper"

    @property
    def work(self) -> Path:
        return self.base / "work"

    @property
    def root(self) -> Path:
        """The mount point of the overlay (populated only inside the node)."""
        return self.base / "root"

    @property
    def boot_id(self) -> Path:
        """The node's boot id of its current boot, written by its boot script (boot.py)."""
        return self.base / "boot_id"

    def create(self) -> None:
        for path in (self.upper, self.work, self.root):
            path.mkdir(parents=True, exist_ok=True)


def mount_lab_tmpfs(names: LabNames) -> None:
    """The lab's tmpfs, holding every node's upper dir and the cluster registry."""
    names.mount_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE},mode=0700", "tmpfs", str(names.mount_dir)])
    names.cluster_dir.mkdir(mode=0o755)


def unmount(mount_point: Path) -> None:
    """Detach a lab mount (lazily, so a straggler holding it cannot block teardown)."""
    run(["umount", "-l", str(mount_point)], check=False)
    with contextlib.suppress(OSError):
        mount_point.rmdir()


def som_mounts(lab_id: str | None = None) -> list[Path]:
    """Lab mounts in this mount namespace: one lab's, or every /mnt/som-* one."""
    prefix = str(LabNames(lab_id).mount_dir) if lab_id else str(MOUNT_ROOT / PREFIX)
    points = set()
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4]
        if point == prefix or point.startswith(prefix):
            points.add(Path(point))
    return sorted(points)


def python_binds(root: str) -> list[str]:
    """Read-only binds of this interpreter's environment (virtualenv and base install)
    at the same paths in the node: the stand-ins run with it, and it may live where a
    node sees nothing of the machine (another file system, or under /tmp or /run, which
    are the node's own tmpfs), e.g. a CI checkout under /tmp."""
    lines = []
    for path in dict.fromkeys(str(Path(p).resolve()) for p in (sys.prefix, sys.base_prefix)):
        target = f"{root}{shlex.quote(path)}"
        lines += [f"mkdir -p {target}", f"mount --bind {shlex.quote(path)} {target}", f"mount -o remount,bind,ro {target}"]
    return lines


def overlay_mount(dirs: NodeDirs) -> str:
    """The shell line that mounts the node's root (in the node's mount namespace)."""
    options = f"lowerdir=/,upperdir={dirs.upper},workdir={dirs.work}"
    return f"mount -t overlay overlay -o {shlex.quote(options)} {shlex.quote(str(dirs.root))}"


def shared_binds(names: LabNames, root: str) -> list[str]:
    """Shell lines binding what the node shares with the lab below its root: the
    interpreter the stand-ins run with, and the stand-ins' cluster registry. They come
    after the node's own /run and /tmp, which they may lie under."""
    cluster = f"{root}{CLUSTER_MOUNTPOINT}"
    return [*python_binds(root), f"mount --bind {shlex.quote(str(names.cluster_dir))} {cluster}"]
