"""Lab nodes boot the real systemd: a node is a host with an init, units, reboots.

One 2-node lab is shared by the module (booting costs a second or two per lab); the
tests that must own a lab (teardown, power cut) make their own and remove it in a
`finally`.
"""

from __future__ import annotations

import ctypes
import errno
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab import Lab, LabNodeSpec
from lab.cleanup import remove_lab
from lab.netns import som_namespaces
from lab.nodes import capabilities, cgroups, lifecycle
from lab.nodes.boot import KUBELET_SYSCTLS, boot_script
from lab.nodes.units import MASKED
from lab.overlay import som_mounts
from lab.proc import is_alive, read_text
from lab.spec import DEFAULT_GATEWAY, DEFAULT_SUBNET, LabNames
from lab.testing import NO_TRACES, lab_traces, requires_root, skip_unless_root

pytestmark = requires_root

NODES = [LabNodeSpec("n1", "10.99.0.31"), LabNodeSpec("n2", "10.99.0.32")]
# Units that may fail in a node, with the reason; a boot ending `degraded` for any
# other unit fails the tests. None fails on this machine (Debian 12, systemd 252).
ACCEPTABLE_FAILED: dict[str, str] = {}
PROBE_UNIT = """\
[Unit]
Description=som-lab probe: appends the boot id at every boot
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'cat /proc/sys/kernel/random/boot_id >> /var/log/som-probe.log'
[Install]
WantedBy=multi-user.target
"""
SYS_FINIT_MODULE = 313  # x86_64


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    skip_unless_root()
    running = Lab(DEFAULT_SUBNET, DEFAULT_GATEWAY, NODES)
    try:
        yield running.up()
    finally:
        running.down()


def sh(lab: Lab, node: str, script: str) -> subprocess.CompletedProcess[str]:
    return lab.node_exec(node, ["sh", "-c", script], check=False)


def test_a_node_mounts_the_cgroup_hierarchies_the_machine_has() -> None:
    mountinfo = (
        "30 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
        "31 25 0:27 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
        "32 25 0:28 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate\n"
        "33 22 0:29 /som /mnt/x rw - cgroup cgroup rw,memory\n"
        "34 22 0:30 / /proc rw - proc proc rw\n"
    )
    found = cgroups.parse_hierarchies(mountinfo, {"cpu", "cpuacct", "memory"})
    assert [(h.name, h.fstype, h.mount_options) for h in found] == [
        ("cpu,cpuacct", "cgroup", "cpu,cpuacct"), ("systemd", "cgroup", "none,name=systemd"),
        ("unified", "cgroup2", "")]
    script = boot_script(LabNames("abc123"), "n1", found)
    assert "mount -t cgroup -o nosuid,nodev,noexec,cpu,cpuacct cgroup " in script
    assert "ln -s cpu,cpuacct /mnt/som-abc123/n1/root/sys/fs/cgroup/cpu\n" in script
    assert "echo 0 >/sys/fs/cgroup/unified/som-abc123-n-n1/cgroup.procs" in script


def test_pid_1_is_systemd_and_the_system_is_running(lab: Lab) -> None:
    for spec in NODES:
        boot = lab.boots[spec.name]
        assert boot.state in ("running", "degraded")
        assert set(boot.failed) <= set(ACCEPTABLE_FAILED), boot.failed
        assert sh(lab, spec.name, "cat /proc/1/comm").stdout == "systemd\n"
        assert Path(f"/proc/{lab.init_pid(spec.name)}/exe").resolve() == Path("/lib/systemd/systemd").resolve()
        assert sh(lab, spec.name, "systemd-detect-virt --container").stdout == "container-other\n"
        assert sh(lab, spec.name, "command -v systemctl").stdout.strip() in ("/usr/bin/systemctl", "/bin/systemctl")


def test_ssh_is_debians_ssh_service_with_the_pinned_host_key(lab: Lab, tmp_path: Path) -> None:
    assert sh(lab, "n1", "systemctl is-active ssh.service").stdout == "active\n"
    result = lab.ssh("n1", "hostname; cat /proc/$(systemctl show --value -p MainPID ssh.service)/comm")
    assert (result.returncode, result.stdout) == (0, "n1\nsshd\n"), result.stderr
    assert lab.sshd_pid("n1") in lab.node_pids("n1")
    wrong = tmp_path / "known_hosts"
    wrong.write_text(f"10.99.0.31 {lab.host_public_key('n2')}\n")
    refused = lab.ssh("n1", "true", known_hosts=wrong)
    assert refused.returncode == 255 and "Host key verification failed" in refused.stderr


def test_hardware_units_are_masked_and_the_machines_enabled_units_do_not_boot(lab: Lab) -> None:
    masked = ["systemd-timesyncd.service", "getty.target", "systemd-modules-load.service"]
    assert set(masked) <= set(MASKED)
    assert sh(lab, "n1", f"systemctl is-enabled {' '.join(masked)}").stdout.split() == ["masked"] * len(masked)
    machine_wants = Path("/etc/systemd/system/multi-user.target.wants")
    others = sorted(p.name for p in machine_wants.iterdir() if p.name != "ssh.service") if machine_wants.is_dir() else []
    for unit in others:
        assert sh(lab, "n1", f"systemctl is-enabled {unit}").stdout.strip() != "enabled", unit
    running = sh(lab, "n1", "systemctl list-units --type=service --state=running --plain --no-legend").stdout
    assert {line.split()[0] for line in running.splitlines()} <= {
        "dbus.service", "ssh.service", "systemd-journald.service", "systemd-logind.service"}


def test_the_nodes_cgroups_are_its_own(lab: Lab) -> None:
    """The node's systemd sees its cgroup as the root; on the machine its units sit below
    the node's cgroup in every hierarchy, and the machine's own cgroups stay as they were."""
    assert "0::/init.scope" in sh(lab, "n1", "cat /proc/1/cgroup").stdout.splitlines()
    names = lab.names
    for hierarchy in ("systemd", "memory", "pids"):
        assert (Path("/sys/fs/cgroup") / hierarchy / names.node_cgroup("n1") / "system.slice" / "ssh.service").is_dir()
    assert sorted(lab.node_pids("n1")) == sorted(set(lab.node_pids("n1")) - set(lab.node_pids("n2")))
    for run in (lambda script: sh(lab, "n1", script), lambda script: lab.ssh("n1", script)):
        # a block device node may be made (runc grants "b *:* m"), never opened
        denied = run("mknod /dev/som-disk b 7 0 && head -c 1 /dev/som-disk; status=$?; rm -f /dev/som-disk; exit $status")
        assert denied.returncode != 0 and "Operation not permitted" in denied.stderr
        assert run("mknod /dev/som-null c 1 3 && rm /dev/som-null").returncode == 0


def test_the_node_cannot_change_the_machines_clock_modules_or_kernel(lab: Lab) -> None:
    before = time.time()
    result = sh(lab, "n1", "date -s 2001-01-01")
    assert result.returncode != 0 and "Operation not permitted" in result.stderr
    assert abs(time.time() - before) < 60
    for status in (sh(lab, "n1", "cat /proc/1/status"), sh(lab, "n1", "cat /proc/self/status"),
                   lab.ssh("n1", "cat /proc/self/status")):
        assert capabilities.has_dropped(capabilities.bounding_set(status.stdout)) == []
    libc = ctypes.CDLL(None, use_errno=True)
    machine = errno.EBADF if libc.syscall(SYS_FINIT_MODULE, -1, b"", 0) == -1 and ctypes.get_errno() == errno.EBADF \
        else errno.ENOSYS  # ENOSYS: this kernel has no module support at all
    loader = f"import ctypes, os; ctypes.CDLL(None, use_errno=True).syscall({SYS_FINIT_MODULE}, -1, b'', 0); " \
             "print(os.strerror(ctypes.get_errno()))"
    inside = sh(lab, "n1", f"{sys.executable} -c \"{loader}\"").stdout
    assert inside == f"{os.strerror(errno.EPERM if machine == errno.EBADF else machine)}\n"
    core_pattern = Path("/proc/sys/kernel/core_pattern").read_text()
    written = sh(lab, "n1", "echo core > /proc/sys/kernel/core_pattern")
    assert written.returncode != 0 and "Read-only file system" in written.stderr
    assert Path("/proc/sys/kernel/core_pattern").read_text() == core_pattern
    # kubelet's tunables are the node's own files (nodes/boot.py): the machine's stay
    panic = Path("/proc/sys/kernel/panic").read_text()
    assert sh(lab, "n1", "cat /proc/sys/kernel/panic").stdout == KUBELET_SYSCTLS["kernel/panic"] + "\n"
    assert sh(lab, "n1", "echo 7 > /proc/sys/kernel/panic && cat /proc/sys/kernel/panic").stdout == "7\n"
    assert Path("/proc/sys/kernel/panic").read_text() == panic


def test_net_sysctls_are_the_nodes_own(lab: Lab) -> None:
    key = "/proc/sys/net/ipv4/conf/all/arp_announce"
    machine = Path(key).read_text()
    wanted = "1\n" if machine != "1\n" else "2\n"
    assert sh(lab, "n2", f"echo {wanted.strip()} > {key} && cat {key}").stdout == wanted
    assert sh(lab, "n1", f"cat {key}").stdout != wanted or machine == wanted
    assert Path(key).read_text() == machine


def test_a_unit_enabled_over_ssh_runs_and_runs_again_after_a_reboot(lab: Lab) -> None:
    unit = lab.ssh("n2", "cat > /etc/systemd/system/som-probe.service", stdin=PROBE_UNIT)
    assert unit.returncode == 0, unit.stderr
    lab.write_file("n2", "/etc/sysctl.d/90-som.conf", "net.ipv4.ip_forward = 1\nvm.swappiness = 1\n")
    swappiness = Path("/proc/sys/vm/swappiness").read_text()
    enabled = lab.ssh("n2", "systemctl daemon-reload && systemctl enable --now som-probe.service && "
                            "echo kept > /root/kept && ip link add scratch type bridge")
    assert enabled.returncode == 0, enabled.stderr
    first_boot = lab.boot_id("n2")
    assert lab.read_file("n2", "/var/log/som-probe.log") == f"{first_boot}\n"
    old_init = lab.init_pid("n2")

    report = lab.reboot("n2")

    assert report.boot_id != first_boot and report.state in ("running", "degraded")
    assert report.units == {"som-probe.service": 0, "ssh.service": 0}
    assert sh(lab, "n2", "cat /proc/sys/kernel/random/boot_id").stdout == f"{report.boot_id}\n"
    assert lab.read_file("n2", "/var/log/som-probe.log") == f"{first_boot}\n{report.boot_id}\n"
    assert lab.read_file("n2", "/root/kept") == "kept\n"
    assert not is_alive(old_init) and lab.init_pid("n2") != old_init
    assert "scratch" not in sh(lab, "n2", "ip -o link show").stdout, "the network starts from power-on state"
    assert sh(lab, "n2", "cat /proc/sys/net/ipv4/ip_forward").stdout == "1\n", "systemd-sysctl applied net.*"
    assert Path("/proc/sys/vm/swappiness").read_text() == swappiness and report.failed == []
    assert lab.ssh("n2", "hostname").stdout == "n2\n"


def test_a_reboot_asked_over_ssh_needs_no_lab_process(lab: Lab) -> None:
    """The node's power supply boots it again by itself, as a machine would."""
    previous = lab.boot_id("n1")
    lab.ssh("n1", "systemctl reboot")
    report = lab.wait_booted("n1", previous)
    assert report.boot_id != previous
    assert lab.ssh("n1", "systemctl is-system-running").stdout.strip() in ("running", "degraded")


def test_boot_time_and_memory_of_an_idle_node(lab: Lab, record_property: pytest.RecordProperty) -> None:
    """The figures the README quotes: boot to `running` and resident memory per idle node."""
    for spec in NODES:
        boot = lab.boots[spec.name]
        pids = lab.node_pids(spec.name)
        rss = sum(_kib(pid, "status", "VmRSS") for pid in pids)
        pss = sum(_kib(pid, "smaps_rollup", "Pss") for pid in pids)
        memory = Path("/sys/fs/cgroup/memory") / lab.names.node_cgroup(spec.name) / "memory.usage_in_bytes"
        figures = {"boot_s": round(boot.seconds, 2), "systemd_s": round(boot.systemd_seconds, 2),
                   "processes": len(pids), "rss_mib": round(rss / 1024, 1), "pss_mib": round(pss / 1024, 1),
                   "memcg_mib": round(int(memory.read_text()) / 2**20, 1)}
        record_property(spec.name, figures)
        print(f"{spec.name}: {figures}")
        assert boot.seconds < 60 and rss < 200 * 1024


def _kib(pid: int, name: str, key: str) -> int:
    """A figure of /proc/PID/<name> in KiB; 0 when the process has just ended."""
    for line in (read_text(Path(f"/proc/{pid}/{name}")) or "").splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    return 0


def test_poweroff_then_boot_and_a_power_cut_then_boot() -> None:
    skip_unless_root()
    lab = Lab(DEFAULT_SUBNET, DEFAULT_GATEWAY, [LabNodeSpec("p1", "10.99.0.41")])
    try:
        lab.up()
        lab.write_file("p1", "/root/kept", "kept\n")
        lab.poweroff("p1")
        assert lab.status()[0]["system"] == "off" and not lifecycle.marked(lab.lab_id)
        assert lab.boot("p1").state in ("running", "degraded")
        lab.kill("p1")
        assert lab.status()[0]["init"] is False and lab.node_pids("p1") == []
        assert lab.boot("p1").state in ("running", "degraded")
        assert lab.ssh("p1", "cat /root/kept").stdout == "kept\n"
    finally:
        lab.down()
    assert lab_traces(lab.lab_id) == NO_TRACES


def test_teardown_leaves_no_mount_netns_cgroup_or_process() -> None:
    """Also when the lab's own bookkeeping is gone: teardown reads the machine."""
    skip_unless_root()
    lab = Lab(DEFAULT_SUBNET, DEFAULT_GATEWAY, [LabNodeSpec("t1", "10.99.0.51")])
    try:
        lab.up()
        present = lab_traces(lab.lab_id)
        assert present["mounts"] and present["netns"] and present["cgroups"] and present["processes"]
        assert len(cgroups.lab_cgroups(lab.lab_id)) == len(cgroups.hierarchies())
        lab.ssh("t1", "systemd-run --unit som-sleeper sleep 600")
        LabNames(lab.lab_id).state_file.unlink()
        remove_lab(lab.lab_id)
        assert lab_traces(lab.lab_id) == NO_TRACES
        assert not som_namespaces(lab.lab_id) and not som_mounts(lab.lab_id)
    finally:
        lab.down()
    assert lab_traces(lab.lab_id) == NO_TRACES
