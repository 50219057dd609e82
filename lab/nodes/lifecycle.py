"""A node's life: power on, boot to a running systemd, reboot, power off, kill.

A node's power supply is a small shell loop (power.sh) in a session of its own. It
runs the launcher (boot.py). When the node's systemd reboots, the kernel ends the
node's PID namespace as if its init had been killed by SIGHUP, so the launcher exits
with 129: the power supply puts the node's network back in its power-on state and
boots it again on the same upper dir. Any other exit (poweroff: 130; a kill) ends
the power supply: the node is off. So a node reboots whoever asks it to (a script
over SSH, `systemctl reboot`), whether or not the lab's process is still there, as a
machine does.

Every process of a node is found from what the machine shows, never from a PID kept
in a file: the power supply and the launcher by the marker in their argv, the node's
PID 1 as the process of the node's cgroups that is PID 1 of a child PID namespace,
everything else by its cgroups and its network namespace.
"""

from __future__ import annotations

import shlex
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..netns import netns_file, reset_node_network_argvs
from ..overlay import NodeDirs
from ..proc import (
    LabError, all_pids, cmdline, comm, is_alive, kill_and_wait, pids_in_netns, read_text, wait_until,
)
from ..spec import INIT_MARKER, POWER_MARKER, LabNames, LabNodeSpec, parse_marker
from . import cgroups
from .boot import PATH, boot_script, launcher_argv
from .enter import exec_in
from .units import enabled_here

REBOOT_EXIT = 129  # 128 + SIGHUP: reboot(2) called by the init of a child PID namespace
BOOT_TIMEOUT = 120.0  # the machine is shared with builds: a boot may wait for a core
STOP_TIMEOUT = 60.0
# systemctl's answers while systemd boots; "offline" (and nothing) until it listens on
# its socket: PID 1 is already known to be systemd when it is asked.
BOOTING = ("", "offline", "initializing", "starting")
UP = ("running", "degraded")


def power_script(names: LabNames, spec: LabNodeSpec, gateway: str, prefixlen: int) -> str:
    """The node's power supply (written to names.node_file(node, "power.sh"))."""
    node = spec.name
    reset = " &&\n    ".join(shlex.join(argv) for argv in reset_node_network_argvs(names, spec, gateway, prefixlen))
    return f"""\
#!/bin/sh
# som-lab: power supply of node {node} of lab {names.lab_id} (lab/nodes/lifecycle.py). Boots the
# node; when it reboots (the launcher exits {REBOOT_EXIT}), puts its network back in its power-on
# state and boots it again. Any other exit ends this loop: the node is off.
set -u
PATH={PATH}
while :; do
  {shlex.join(launcher_argv(names, node))}
  code=$?
  echo "som-lab: node {node} stopped (exit $code)"
  if [ "$code" -ne {REBOOT_EXIT} ]; then
    exit "$code"
  fi
  {reset} || exit 1
done
"""


def write_scripts(names: LabNames, spec: LabNodeSpec, gateway: str, prefixlen: int) -> None:
    """The node's boot script and power supply, kept in the lab's state dir."""
    names.node_file(spec.name, "boot.sh").write_text(boot_script(names, spec.name, cgroups.hierarchies()))
    names.node_file(spec.name, "power.sh").write_text(power_script(names, spec, gateway, prefixlen))


# --- finding a node's processes -------------------------------------------------------
def marked(lab_id: str | None = None, node: str | None = None, kind: str | None = None) -> list[int]:
    """Live lab processes carrying a marker: one node's, one lab's, or every lab's."""
    found = []
    for pid in all_pids():
        for arg in cmdline(pid):
            parsed = parse_marker(arg)
            if parsed and (kind in (None, parsed[0])) and (lab_id in (None, parsed[1])) \
                    and (node in (None, parsed[2])) and is_alive(pid):
                found.append(pid)
                break
    return found


def ns_pids(pid: int) -> list[int]:
    """The PID of a process in each PID namespace it belongs to, outermost first."""
    for line in (read_text(Path(f"/proc/{pid}/status")) or "").splitlines():
        if line.startswith("NSpid:"):
            return [int(p) for p in line.split()[1:]]
    return []


def tracking_cgroup(names: LabNames, node: str) -> Path:
    """The node's cgroup in the hierarchy systemd tracks processes with (name=systemd, or
    the unified one when there is no such v1 hierarchy)."""
    found = cgroups.hierarchies()
    tracking = next((h for h in found if "name=systemd" in h.selectors), None) \
        or next(h for h in found if h.fstype == "cgroup2")
    return tracking.mount_point / names.node_cgroup(node)


def init_pid(names: LabNames, node: str) -> int | None:
    """The machine PID of the node's PID 1, None when the node is off.

    PID 1 sits in the node's root cgroup while its boot script runs, then systemd
    moves itself to init.scope.
    """
    top = tracking_cgroup(names, node)
    for cgroup in (top / "init.scope", top):
        for pid in (int(p) for p in (read_text(cgroup / "cgroup.procs") or "").split()):
            if ns_pids(pid)[1:] == [1] and is_alive(pid):
                return pid
    return None


def running_init(names: LabNames, node: str) -> int:
    """init_pid, for a node that must be running."""
    pid = init_pid(names, node)
    if pid is None:
        raise LabError(f"node {node} is not running")
    return pid


def node_pids(names: LabNames, node: str) -> list[int]:
    """Every process of the node's cgroups (machine PIDs): its systemd and what it runs."""
    return cgroups.procs(cgroups.node_dirs(names, node))


def lab_processes(lab_id: str) -> list[int]:
    """Every process of a lab's nodes: power supplies, launchers, and their cgroups'."""
    return sorted(set(marked(lab_id)) | set(cgroups.procs(cgroups.lab_cgroups(lab_id))))


# --- life -------------------------------------------------------------------------
@dataclass
class BootReport:
    """What a boot came to.

    seconds: from power on (or from the reboot request) until systemd reported the
    boot finished; systemd_seconds: systemd's own count, from its start.
    units: every unit enabled on this node -> 0 when it ran fine, else its main
    process's exit status (1 when it failed otherwise).
    """

    node: str
    boot_id: str
    state: str
    seconds: float
    systemd_seconds: float
    failed: list[str] = field(default_factory=list)
    units: dict[str, int] = field(default_factory=dict)


def launch(argv: Sequence[str], log: Path) -> subprocess.Popen[bytes]:
    """Start a long-lived lab process in its own session, output to a log file."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            list(argv), stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True
        )


def power_on(names: LabNames, node: str) -> subprocess.Popen[bytes]:
    """Start the node's power supply (the node boots); see wait_booted."""
    if marked(names.lab_id, node, POWER_MARKER):
        raise LabError(f"node {node} is already powered on")
    argv = ["/bin/sh", str(names.node_file(node, "power.sh")), names.marker(POWER_MARKER, node)]
    return launch(argv, names.node_file(node, "log"))


def boot_id(names: LabNames, node: str) -> str | None:
    return (read_text(NodeDirs(names.node_dir(node)).boot_id) or "").strip() or None


def show(init: int, properties: str, *units: str) -> list[dict[str, str]]:
    """`systemctl show --property=...` inside the node: of its manager (no units) or of
    the units, one dict per block."""
    argv = ["systemctl", "show", f"--property={properties}", *(["--", *units] if units else [])]
    blocks = exec_in(init, argv).stdout.strip().split("\n\n")
    return [dict(line.split("=", 1) for line in block.splitlines() if "=" in line) for block in blocks]


def _unit_results(init: int, units: list[str]) -> dict[str, int]:
    results = {}
    for props in show(init, "Id,ExecMainStatus,Result", *units) if units else []:
        status = int(props.get("ExecMainStatus") or 0)
        results[props["Id"]] = status if status else int(props.get("Result") != "success")
    return results


def _systemd_seconds(init: int) -> float:
    [props] = show(init, "UserspaceTimestampMonotonic,FinishTimestampMonotonic")
    return (int(props["FinishTimestampMonotonic"]) - int(props["UserspaceTimestampMonotonic"])) / 1e6


def wait_booted(
    names: LabNames, node: str, since: float, previous_boot_id: str | None = None,
    supply: subprocess.Popen[bytes] | None = None, timeout: float = BOOT_TIMEOUT,
) -> BootReport:
    """Wait until the node's systemd has finished booting; report the boot.

    since: time.monotonic() of the power on or reboot request. previous_boot_id: the
    boot that must be over (a reboot), None for a first boot. supply: the power supply
    just started, if this process started it (until it has exec'd, its argv carries
    no marker yet).
    """
    deadline = time.monotonic() + timeout
    log = names.node_file(node, "log")

    def powered() -> bool:
        return supply.poll() is None if supply else bool(marked(names.lab_id, node, POWER_MARKER))

    def systemd_started() -> bool:
        if not powered():
            raise LabError(f"node {node} is off (its boot failed?):\n{(read_text(log) or '')[-2000:]}")
        pid = init_pid(names, node)
        return pid is not None and comm(pid) == "systemd" and boot_id(names, node) not in (None, previous_boot_id)

    wait_until(systemd_started, timeout=timeout, what=f"node {node} to start systemd", interval=0.02)
    init = running_init(names, node)
    state = ""
    while state in BOOTING:
        if time.monotonic() > deadline:
            raise LabError(f"node {node}: systemd did not finish booting in {timeout}s")
        answer = exec_in(init, ["systemctl", "is-system-running", "--wait"], check=False,
                         timeout=max(deadline - time.monotonic(), 1.0))
        state = answer.stdout.strip()
        if state in BOOTING:
            time.sleep(0.02)
    seconds = time.monotonic() - since
    if state not in UP:
        raise LabError(f"node {node}: system state {state!r} after boot")
    failed = exec_in(init, ["systemctl", "list-units", "--state=failed", "--plain", "--no-legend", "--no-pager"])
    return BootReport(
        node=node,
        boot_id=boot_id(names, node) or "",
        state=state,
        seconds=seconds,
        systemd_seconds=_systemd_seconds(init),
        failed=[line.split()[0] for line in failed.stdout.splitlines() if line.strip()],
        units=_unit_results(init, enabled_here(NodeDirs(names.node_dir(node)).upper)),
    )


def reboot(names: LabNames, node: str) -> BootReport:
    """`systemctl reboot` inside the node; returns once the next boot has finished."""
    previous = boot_id(names, node)
    since = time.monotonic()
    exec_in(running_init(names, node), ["systemctl", "reboot"])
    return wait_booted(names, node, since, previous)


def poweroff(names: LabNames, node: str) -> None:
    """`systemctl poweroff` inside the node; returns once its power supply has ended."""
    exec_in(running_init(names, node), ["systemctl", "poweroff"])
    wait_until(lambda: not marked(names.lab_id, node, POWER_MARKER), timeout=STOP_TIMEOUT,
               what=f"node {node} to power off")


def _end(lab_id: str, node: str | None, cgroup_dirs: list[Path]) -> None:
    """Power supplies first, so that nothing boots a node again; then launchers, whose
    death kills a node's PID 1 and with it its PID namespace; then whatever is left in
    the cgroups (e.g. a command entering the node, whose nsenter waits outside it)."""
    for kind in (POWER_MARKER, INIT_MARKER):
        kill_and_wait(marked(lab_id, node, kind))
    kill_and_wait(cgroups.procs(cgroup_dirs))


def kill(names: LabNames, node: str) -> None:
    """End every process of the node at once (a power cut; its files stay), including
    processes that entered its network namespace from outside."""
    _end(names.lab_id, node, cgroups.node_dirs(names, node))
    kill_and_wait(pids_in_netns(netns_file(names.node_netns(node))))


def kill_lab(lab_id: str) -> None:
    """End every node process of a lab, whatever nodes its state file names (teardown)."""
    _end(lab_id, None, cgroups.lab_cgroups(lab_id))


def system_state(names: LabNames, node: str) -> str:
    """`systemctl is-system-running` of the node, "off" when it has no PID 1."""
    pid = init_pid(names, node)
    if pid is None:
        return "off"
    return exec_in(pid, ["systemctl", "is-system-running"], check=False).stdout.strip() or "booting"

