"""How a node boots: the launcher's argv and the boot script that ends in systemd as PID 1.

The launcher enters the node's network namespace and unshares mount, UTS, IPC and PID
namespaces; the boot script runs as PID 1 of the new PID namespace. It joins the
node's cgroups and unshares a cgroup namespace rooted at them, then builds the node's
root: the overlay (overlay.py), a /proc of its own PID namespace with /proc/sys
read-only except /proc/sys/net and a fresh boot id, a read-only /sys, the cgroup
hierarchies as the node's own, a minimal /dev, private /run and /tmp. It moves into
that root with pivot_root (the node keeps no reference to the machine's tree, e.g.
to other labs' namespace files), makes the root's mounts shared inside the node (as
kubelet and container runtimes expect), and execs systemd with the node's reduced
bounding set and `container=other` (systemd's convention for a container manager it
does not know), so systemd skips what only a machine's init does. DESIGN.md, "Real
systemd as a node's init", is where this was first verified.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from ..netns import netns_file
from ..overlay import NodeDirs, overlay_mount, shared_binds
from ..spec import INIT_MARKER, LabNames
from .capabilities import drop_argv
from .cgroups import Hierarchy

SYSTEMD = "/lib/systemd/systemd"
PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
JOIN = "join-cgroups"  # the boot script's first stage: join the node's cgroups
IN_CGROUPS = "in-cgroups"  # its second stage, inside the node's cgroup namespace
# /proc entries besides /proc/sys that act on the whole machine: read-only where the
# kernel has them.
READ_ONLY_PROC = ("sysrq-trigger", "irq", "bus")
DEVICES = {"null": (1, 3), "zero": (1, 5), "full": (1, 7), "random": (1, 8), "urandom": (1, 9), "tty": (5, 0)}
DEV_LINKS = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
             "stderr": "/proc/self/fd/2", "ptmx": "pts/ptmx"}
TTY_GID = 5  # Debian's tty group (base-passwd)

# --- lab settings: where this sandbox forces a node to differ from a rack's host ------
# Kernel tunables kubelet sets machine-wide at start (its "protect kernel defaults"
# values). A node's /proc/sys is read-only outside net (they would change the whole
# machine), so each is a file of the node bound over the /proc/sys entry, holding the
# value kubelet wants: kubelet reads it, finds it right and writes nothing; the
# machine's own value stays untouched.
KUBELET_SYSCTLS = {"vm/overcommit_memory": "1", "kernel/panic": "10", "kernel/panic_on_oops": "1"}
# kubelet's OOM watcher opens /dev/kmsg, which a node must not read (the machine's
# kernel log): as kind's entrypoint does, /dev/kmsg is a link to the node's console,
# itself /dev/null, so the watcher reads an empty log.
KMSG_LINK = "console"
# containerd's snapshotter makes overlay mounts whose upper dirs live in
# /var/lib/containerd; the node's root is itself an overlay, which overlayfs refuses
# as an upper dir: containerd's state gets a tmpfs of its own (lost at reboot, as the
# node's pods are).
CONTAINERD_STATE = "/var/lib/containerd"


def launcher_argv(names: LabNames, node: str) -> list[str]:
    """The command that boots the node once; it exits when the node's PID 1 does.

    `nsenter --net` (into a namespace the lab just made, not into a running node)
    rather than `ip netns exec`, which remounts /sys and so hides /sys/fs/cgroup, where
    PID 1 joins its cgroups. --kill-child: killing the launcher kills the node.
    """
    return [
        "nsenter", f"--net={netns_file(names.node_netns(node))}", "--",
        "unshare", "--mount", "--uts", "--ipc", "--pid", "--fork", "--kill-child", "--propagation", "private", "--",
        "/bin/sh", str(names.node_file(node, "boot.sh")), JOIN, names.marker(INIT_MARKER, node),
    ]


def _join_cgroups(names: LabNames, node: str, hierarchies: Sequence[Hierarchy]) -> list[str]:
    procs = [h.mount_point / names.node_cgroup(node) / "cgroup.procs" for h in hierarchies]
    return [f"  echo 0 >{shlex.quote(str(p))}" for p in procs]


def _proc(r: str, boot_id: str, tunables: str) -> list[str]:
    lines = [
        f"mount -t proc -o nosuid,nodev,noexec proc {r}/proc",
        f"mount --bind {r}/proc/sys {r}/proc/sys",
        f"mount --bind {r}/proc/sys/net {r}/proc/sys/net",
        f"mount -o remount,bind,ro {r}/proc/sys",
    ]
    for entry in READ_ONLY_PROC:
        path = f"{r}/proc/{entry}"
        lines.append(f"if [ -e {path} ]; then mount --bind {path} {path}; mount -o remount,bind,ro {path}; fi")
    target = f"{r}/proc/sys/kernel/random/boot_id"
    return lines + [
        f"cat /proc/sys/kernel/random/uuid >{boot_id}",
        f"mount --bind {boot_id} {target}",
        f"mount -o remount,bind,ro {target}",
    ] + _kubelet_sysctls(r, tunables)


def _kubelet_sysctls(r: str, tunables: str) -> list[str]:
    """KUBELET_SYSCTLS as writable files of the node bound over their /proc/sys entries."""
    lines = [f"mkdir -p {tunables}"]
    for entry, value in KUBELET_SYSCTLS.items():
        held = f"{tunables}/{entry.replace('/', '.')}"
        lines += [f"echo {value} >{held}", f"mount --bind {held} {r}/proc/sys/{entry}"]
    return lines


def _sys(r: str, hierarchies: Sequence[Hierarchy]) -> list[str]:
    cgroup = f"{r}/sys/fs/cgroup"
    lines = [
        f"mount -t sysfs -o ro,nosuid,nodev,noexec sysfs {r}/sys",
        f"mount -t tmpfs -o mode=755,nosuid,nodev,noexec tmpfs {cgroup}",
    ]
    for h in hierarchies:
        options = ",".join(o for o in ("nosuid,nodev,noexec", h.mount_options) if o)
        lines += [f"mkdir {cgroup}/{h.name}", f"mount -t {h.fstype} -o {options} {h.fstype} {cgroup}/{h.name}"]
        # co-mounted controllers (cpu,cpuacct): each name leads to the hierarchy, as systemd lays it out
        lines += [f"ln -s {h.name} {cgroup}/{c}" for c in h.selectors if len(h.selectors) > 1 and c != h.name]
    return lines + [f"mount -o remount,ro {cgroup}"]


def _dev(r: str) -> list[str]:
    dev = f"{r}/dev"
    lines = [f"mount -t tmpfs -o mode=755,nosuid,size=1m tmpfs {dev}"]
    lines += [f"mknod -m 666 {dev}/{name} c {major} {minor}" for name, (major, minor) in DEVICES.items()]
    lines += [
        f"mkdir -m 755 {dev}/pts",
        f"mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid={TTY_GID},nosuid,noexec devpts {dev}/pts",
        f"mkdir -m 1777 {dev}/shm",
        f"mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs {dev}/shm",
        f"mkdir -m 755 {dev}/mqueue",
        f"mount -t mqueue -o nosuid,nodev,noexec mqueue {dev}/mqueue",
        f"touch {dev}/console",
        f"mount --bind {dev}/null {dev}/console",
        f"ln -s {KMSG_LINK} {dev}/kmsg",
    ]
    return lines + [f"ln -s {target} {dev}/{name}" for name, target in DEV_LINKS.items()]


def boot_script(names: LabNames, node: str, hierarchies: Sequence[Hierarchy]) -> str:
    """The node's boot script (written to names.node_file(node, "boot.sh"))."""
    dirs = NodeDirs(names.node_dir(node))
    r = shlex.quote(str(dirs.root))
    systemd = shlex.join(["/usr/bin/env", "-i", "container=other", *drop_argv(), SYSTEMD])
    sections = {
        "the node's file system": [overlay_mount(dirs)],
        "/proc of its PID namespace: kernel settings read-only but its network's; its own boot id":
            _proc(r, shlex.quote(str(dirs.boot_id)), shlex.quote(str(names.node_file(node, "sysctl")))),
        "/sys read-only; the cgroup hierarchies, rooted at the node's cgroups by its namespace":
            _sys(r, hierarchies),
        "a minimal /dev (disks are denied by its devices cgroup as well); the console is discarded":
            _dev(r),
        "its own /run and /tmp, then what it shares with the lab": [
            f"mount -t tmpfs -o mode=755,nosuid,nodev tmpfs {r}/run",
            f"mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs {r}/tmp",
            f"mkdir -p {r}{CONTAINERD_STATE}",
            f"mount -t tmpfs -o mode=711 tmpfs {r}{CONTAINERD_STATE}",
            *shared_binds(names, r),
        ],
        "into its root, leaving the machine's tree behind; mounts shared within the node": [
            f"hostname {shlex.quote(node)}",
            f"cd {r}",
            "pivot_root . mnt",
            "umount -l /mnt",
            "mount --make-rshared /",
            f"exec {systemd}",
        ],
    }
    head = [
        "#!/bin/sh",
        f"# som-lab: boot of node {node} of lab {names.lab_id}, as PID 1 of the node's PID namespace",
        "# (lab/nodes/boot.py). First stage: join the node's cgroups, unshare a cgroup namespace.",
        "set -eu",
        f"PATH={PATH}",
        'case "${1:-}" in',
        f"{JOIN})",
        *_join_cgroups(names, node, hierarchies),
        f'  exec unshare --cgroup -- /bin/sh "$0" {IN_CGROUPS}',
        "  ;;",
        f"{IN_CGROUPS}) ;;",
        f'*) echo "usage: $0 {JOIN}" >&2; exit 2 ;;',
        "esac",
    ]
    body = [line for title, lines in sections.items() for line in ("", f"# {title}", *lines)]
    return "\n".join(head + body) + "\n"
