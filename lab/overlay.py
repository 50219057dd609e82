"""Each node's own copy-on-write root file system.

A node's root is an overlayfs whose lower layer is the machine's `/` and whose upper
and work dirs sit on the lab's tmpfs (/mnt/som-<id>, a mount of its own so it is not
part of the lower layer). The overlay only exists inside the node's private mount
namespace; writes land in the node's upper dir and nowhere else.

overlayfs of `/` does not include submounts, so /proc, /sys, /dev, /run and /tmp are
mounted fresh inside the node root. Kernel-wide settings stay out of reach of the
scripts under test: /proc/sys is read-only except /proc/sys/net (per namespace), and
/sys is read-only.
"""

from __future__ import annotations

import contextlib
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from .proc import run
from .spec import INIT_MARKER, MOUNT_ROOT, PREFIX, LabNames

TMPFS_SIZE = "4g"
CLUSTER_MOUNTPOINT = "/var/lib/som-lab/cluster"

# PID 1 of a node: reaps orphans (daemons started by unit files, sessions left by a
# killed sshd) so that they do not pile up as zombies. Its argv carries a marker and
# the lab id so that `down --all` can find it with nothing but /proc.
REAPER = (
    "import os, time\n"
    "while True:\n"
    "    try:\n"
    "        os.wait()\n"
    "    except ChildProcessError:\n"
    "        time.sleep(1)\n"
)


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


def node_boot_script(names: LabNames, node: str, python: str) -> str:
    """The shell script that turns a fresh mount/UTS/PID namespace into the node.

    It runs as PID 1 of the node's new PID namespace, already inside the node's
    network namespace: mounts the overlay root and the pseudo file systems, moves
    into the root with pivot_root (so the node's mount namespace keeps no reference
    to the machine's tree, e.g. to other labs' namespace files), and execs the reaper.
    """
    dirs = NodeDirs(names.node_dir(node))
    r = shlex.quote(str(dirs.root))
    overlay_opts = f"lowerdir=/,upperdir={dirs.upper},workdir={dirs.work}"
    steps = [
        "set -eu",
        f"mount -t overlay overlay -o {shlex.quote(overlay_opts)} {r}",
        f"mount -t proc proc {r}/proc",
        f"mount --bind {r}/proc/sys {r}/proc/sys",
        f"mount --bind {r}/proc/sys/net {r}/proc/sys/net",
        f"mount -o remount,bind,ro {r}/proc/sys",
        f"mount -t sysfs -o ro sysfs {r}/sys",
        f"mount --rbind /dev {r}/dev",
        f"mount -t tmpfs -o mode=755 tmpfs {r}/run",
        f"mount -t tmpfs -o mode=1777 tmpfs {r}/tmp",
        *python_binds(r),
        f"mount --bind {shlex.quote(str(names.cluster_dir))} {r}{CLUSTER_MOUNTPOINT}",
        f"mkdir -m 755 {r}/run/sshd",
        f"hostname {shlex.quote(node)}",
        f"cd {r}",
        "pivot_root . mnt",
        "umount -l /mnt",
        f"exec {shlex.quote(python)} -c {shlex.quote(REAPER)} {INIT_MARKER} {names.lab_id} {shlex.quote(node)}",
    ]
    return "\n".join(steps) + "\n"
