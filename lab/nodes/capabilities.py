"""The capabilities a node never has: what would act on the whole machine, not the node.

A node runs as root with the machine's capabilities minus these, dropped from the
bounding set by `setpriv` before its systemd starts (boot.py) and before any command
the lab runs inside it (enter.py); neither the node nor its children can get them
back. Why each one:

    sys_module       load or unload kernel modules (one kernel for all)
    sys_rawio        /dev/mem, I/O ports, raw block I/O
    sys_time         set the clock (a probe entering a node with all of nsenter's
                     namespaces but the machine's capabilities once changed it)
    wake_alarm       RTC wake alarms
    syslog           read or clear the kernel log, kernel pointers
    sys_pacct        process accounting (machine-wide)
    block_suspend    hold the machine awake
    mac_admin, mac_override   security module policy
    audit_control, audit_read   the machine's audit rules and log
    bpf, perfmon     kernel-wide BPF programs and perf events
    dac_read_search  open_by_handle_at, which reaches files of the machine's file
                     systems outside the node's root

Kept on purpose: sys_admin and net_admin (systemd, kubelet and the CNI plugins mount
and configure the node's own namespaces), sys_boot (`systemctl reboot` ends the
node's PID namespace, not the machine). This guards against accidents of the scripts
under test; it is not a security boundary: root in a node keeps CAP_SYS_ADMIN, so it
could remount its read-only /proc/sys.
"""

from __future__ import annotations

SETPRIV = "/usr/bin/setpriv"
# name (as setpriv spells it) -> bit number (linux/capability.h), to read a CapBnd mask
DROPPED = {
    "sys_module": 16, "sys_rawio": 17, "sys_time": 25, "wake_alarm": 35, "syslog": 34, "sys_pacct": 20,
    "block_suspend": 36, "mac_admin": 33, "mac_override": 32, "audit_control": 30, "audit_read": 37,
    "bpf": 39, "perfmon": 38, "dac_read_search": 2,
}


def drop_argv() -> list[str]:
    """`setpriv` dropping DROPPED from the bounding set, then running what follows."""
    return [SETPRIV, "--bounding-set", ",".join(f"-{cap}" for cap in DROPPED), "--"]


def bounding_set(status: str) -> int:
    """The CapBnd mask from the text of /proc/PID/status."""
    line = next(line for line in status.splitlines() if line.startswith("CapBnd:"))
    return int(line.split()[1], 16)


def has_dropped(mask: int) -> list[str]:
    """Which of DROPPED a bounding-set mask still holds (empty for a proper node process)."""
    return [cap for cap, bit in DROPPED.items() if mask & (1 << bit)]
