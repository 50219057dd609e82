"""Which systemd units a node boots: the distribution's, minus what touches the machine.

A node sees the machine's installed unit files through its overlay, but none of the
machine's own choices: its /etc/systemd/system is an opaque directory of the upper
dir (overlayfs hides the lower one), because this machine is shared and its enabled
services (a registry, a database another project installed, apt timers) must not
boot in every node. What a node gets instead is written here:

- masked: units that drive hardware or act on the whole machine (gettys on the
  machine's consoles, udev, the clock, kernel modules, binfmt handlers, kernel file
  systems, the machine's entropy pool, sleep states);
- enabled: Debian's ssh.service, which reads the lab's sshd_config and host key
  (seed.py), as on a freshly installed host;
- a journal kept small (the lab tmpfs is memory).

The scripts under test enable their own units on top, as on any host.
"""

from __future__ import annotations

from pathlib import Path

from ..sshd import SSHD_UNIT

SYSTEM_DIR = "/etc/systemd/system"
UNIT_DIR = "/lib/systemd/system"
# Directories of the node that hide the machine's (overlayfs `opaque` attribute).
OPAQUE_DIRS = (SYSTEM_DIR,)

MASKED = {
    "getty.target": "gettys on the machine's consoles",
    "console-getty.service": "a getty on /dev/console, which is /dev/null in a node",
    "systemd-udevd.service": "devices belong to the machine",
    "systemd-udevd-control.socket": "devices belong to the machine",
    "systemd-udevd-kernel.socket": "devices belong to the machine",
    "systemd-udev-trigger.service": "devices belong to the machine",
    "systemd-udev-settle.service": "devices belong to the machine",
    "systemd-timesyncd.service": "the clock belongs to the machine",
    "systemd-time-wait-sync.service": "the clock belongs to the machine",
    "systemd-modules-load.service": "kernel modules belong to the machine",
    "kmod-static-nodes.service": "device nodes of kernel modules",
    "systemd-binfmt.service": "binfmt handlers are machine-wide",
    "proc-sys-fs-binfmt_misc.automount": "binfmt handlers are machine-wide",
    "proc-sys-fs-binfmt_misc.mount": "binfmt handlers are machine-wide",
    "sys-kernel-debug.mount": "kernel file systems",
    "sys-kernel-tracing.mount": "kernel file systems",
    "sys-kernel-config.mount": "kernel file systems",
    "sys-fs-fuse-connections.mount": "kernel file systems",
    "dev-hugepages.mount": "hugepages are the machine's memory",
    "systemd-random-seed.service": "feeds the machine's entropy pool",
    "systemd-pstore.service": "the machine's firmware crash records",
    "systemd-hwdb-update.service": "hardware database",
    "systemd-journald-audit.socket": "the machine's audit log",
    "sleep.target": "sleep states are the machine's",
    "suspend.target": "sleep states are the machine's",
    "hibernate.target": "sleep states are the machine's",
    "hybrid-sleep.target": "sleep states are the machine's",
    "suspend-then-hibernate.target": "sleep states are the machine's",
}
# unit -> (the target that wants it, its aliases): what `systemctl enable` would link.
ENABLED = {SSHD_UNIT: ("multi-user.target", ("sshd.service",))}
JOURNALD_CONF = "/etc/systemd/journald.conf.d/som-lab.conf"
JOURNALD_CONF_TEXT = """\
# som-lab: a node's journal lives in the lab's tmpfs (memory); keep it small.
[Journal]
SystemMaxUse=16M
SystemMaxFileSize=4M
RuntimeMaxUse=8M
"""


def unit_files() -> dict[str, str]:
    """Plain files of the node's unit configuration: path in the node -> content."""
    return {JOURNALD_CONF: JOURNALD_CONF_TEXT}


def unit_links() -> dict[str, str]:
    """Symlinks of the node's /etc/systemd/system: path in the node -> target."""
    links = {f"{SYSTEM_DIR}/{unit}": "/dev/null" for unit in MASKED}
    for unit, (target, aliases) in ENABLED.items():
        links[f"{SYSTEM_DIR}/{target}.wants/{unit}"] = f"{UNIT_DIR}/{unit}"
        links |= {f"{SYSTEM_DIR}/{alias}": f"{UNIT_DIR}/{unit}" for alias in aliases}
    return links


def enabled_here(upper: Path) -> list[str]:
    """Units enabled on this node (by the lab or the scripts under test): the
    enablement links of its /etc/systemd/system, all of which live in the upper dir."""
    system_dir = upper / SYSTEM_DIR.lstrip("/")
    links = [*system_dir.glob("*.wants/*"), *system_dir.glob("*.requires/*")]
    return sorted({link.name for link in links if link.is_symlink()})
