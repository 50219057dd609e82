"""Lab nodes behave like separate machines: own SSH identity, own files, own network."""

from __future__ import annotations

import re
import subprocess
import threading
from pathlib import Path

from lab import Lab, LabNodeSpec
from lab.nodes import capabilities
from lab.proc import wait_until
from lab.testing import LabFactory, requires_root

pytestmark = requires_root
pytest_plugins = ["lab.fixtures"]


def test_real_ssh_reaches_every_node_with_its_pinned_host_key(lab: Lab) -> None:
    for spec in lab.nodes:
        result = lab.ssh(spec.name, "hostname; id -u; echo $PATH")
        assert result.returncode == 0, result.stderr
        hostname, uid, path = result.stdout.split()
        assert (hostname, uid) == (spec.name, "0")
        assert path.startswith("/usr/local/sbin:")
        assert lab.host_public_key(spec.name).startswith("ssh-ed25519 AAAA")
    assert len({lab.host_public_key(n.name) for n in lab.nodes}) == len(lab.nodes)
    derived = subprocess.run(["ssh-keygen", "-y", "-f", str(lab.client_key_path)], capture_output=True, text=True, check=True)
    assert derived.stdout.split()[0] == "ssh-ed25519"  # the client key the nodes accepted above is a real private key
    ping = subprocess.run(lab.fabric_argv(["ping", "-c1", "-W1", "10.99.0.13"]), capture_output=True, text=True)
    assert ping.returncode == 0, ping.stdout


def test_a_wrong_pinned_host_key_is_refused(lab: Lab, tmp_path: Path) -> None:
    wrong = tmp_path / "known_hosts"
    wrong.write_text(f"10.99.0.11 {lab.host_public_key('w1')}\n")
    result = lab.ssh("cp1", "true", known_hosts=wrong)
    assert result.returncode == 255
    assert "Host key verification failed" in result.stderr


def test_node_file_systems_are_private_and_copy_on_write(lab: Lab) -> None:
    assert lab.ssh("cp1", "echo cp1-only > /etc/som-lab-probe && rm /etc/debian_version").returncode == 0
    assert lab.ssh("cp1", "cat /etc/som-lab-probe").stdout == "cp1-only\n"
    assert not Path("/etc/som-lab-probe").exists()
    assert Path("/etc/debian_version").exists()
    assert lab.ssh("w1", "test -e /etc/som-lab-probe && echo leaked; cat /etc/debian_version").stdout \
        == Path("/etc/debian_version").read_text()
    assert (lab.node_dirs("cp1").upper / "etc/som-lab-probe").read_text() == "cp1-only\n"


def test_entering_a_node_gives_its_namespaces_cgroups_and_reduced_capabilities(lab: Lab) -> None:
    argv = lab.enter_argv("w2", ["sh", "-c", "ip -4 -o addr; hostname; cat /proc/self/status /proc/self/cgroup"])
    assert argv[0] == capabilities.SETPRIV and "-a" not in argv
    result = subprocess.run(argv, capture_output=True, text=True, check=True)
    assert "10.99.0.13/17" in result.stdout and "10.99.0.11" not in result.stdout
    assert "\nw2\n" in result.stdout
    assert capabilities.has_dropped(capabilities.bounding_set(result.stdout)) == []
    cgroup_lines = [line for line in result.stdout.splitlines() if re.match(r"\d+:[^:]*:/", line)]
    assert cgroup_lines and all(line.endswith(":/") for line in cgroup_lines), "the root of the node's cgroups"


def test_machine_wide_settings_are_out_of_reach(lab: Lab) -> None:
    swaps = Path("/proc/swaps").read_text()
    result = lab.node_exec("cp1", ["sh", "-c", "echo 1 > /proc/sys/vm/swappiness"], check=False)
    assert result.returncode != 0 and "Read-only file system" in result.stderr
    lab.node_exec("cp1", ["/usr/sbin/swapoff", "-a"])
    lab.node_exec("cp1", ["modprobe", "br_netfilter"])
    assert Path("/proc/swaps").read_text() == swaps
    assert [c["argv"] for c in lab.calls("cp1")][-2:] == [["swapoff", "-a"], ["modprobe", "br_netfilter"]]


def test_net_sysctls_namespaces_and_iptables_are_per_node(lab: Lab) -> None:
    machine = Path("/proc/sys/net/ipv4/conf/all/rp_filter").read_text()
    lab.node_exec("w1", ["sysctl", "-w", "net.ipv4.conf.all.rp_filter=2"])
    assert lab.node_exec("w1", ["sysctl", "-n", "net.ipv4.conf.all.rp_filter"]).stdout == "2\n"
    assert lab.node_exec("w2", ["sysctl", "-n", "net.ipv4.conf.all.rp_filter"]).stdout != "2\n"
    assert Path("/proc/sys/net/ipv4/conf/all/rp_filter").read_text() == machine
    lab.node_exec("w1", ["ip", "netns", "add", "probe"])
    assert "probe" in lab.node_exec("w1", ["ip", "netns", "list"]).stdout
    assert not Path("/run/netns/probe").exists()
    lab.node_exec("w1", ["ip", "netns", "delete", "probe"])
    rule = ["-t", "nat", "-A", "PREROUTING", "-d", "10.99.80.10", "-j", "DNAT", "--to-destination", "10.99.0.13"]
    lab.node_exec("w1", ["iptables", *rule])
    assert "10.99.80.10" in lab.node_exec("w1", ["iptables", "-t", "nat", "-S"]).stdout
    assert "10.99.80.10" not in lab.node_exec("w2", ["iptables", "-t", "nat", "-S"]).stdout
    assert "10.99.80.10" not in subprocess.run(["iptables", "-t", "nat", "-S"], capture_output=True, text=True).stdout


MOVE_IP_TO_MACVLAN = """\
set -e
echo before
ip link add mac0 link eno1 type macvlan mode bridge
ip link set mac0 up
ip addr del 10.99.0.21/17 dev eno1
ip addr add 10.99.0.21/17 dev mac0
ip route add default via 10.99.127.254 dev mac0
sleep 0.5
echo after
"""


def test_ssh_survives_moving_the_ip_onto_a_macvlan_mid_script(lab_factory: LabFactory) -> None:
    lab = lab_factory(nodes=[LabNodeSpec("n1", "10.99.0.21", uplink="eno1")])
    result = lab.ssh("n1", "bash -s", stdin=MOVE_IP_TO_MACVLAN)
    assert (result.returncode, result.stdout) == (0, "before\nafter\n"), result.stderr
    again = lab.ssh("n1", "ip -4 -o addr show dev mac0")
    assert again.returncode == 0 and "10.99.0.21/17" in again.stdout


def test_killing_sshd_keeps_open_sessions_and_start_brings_logins_back(lab_factory: LabFactory) -> None:
    lab = lab_factory(nodes=[LabNodeSpec("n1", "10.99.0.21")])
    session: dict[str, subprocess.CompletedProcess[str]] = {}
    opened = threading.Thread(target=lambda: session.update(r=lab.ssh("n1", "touch /tmp/in; sleep 1; echo survived")))
    opened.start()
    wait_until(lambda: lab.node_path("n1", "/tmp/in").exists(), timeout=10, what="the session to start")
    lab.kill_sshd("n1")
    assert lab.ssh("n1", "true").returncode == 255
    opened.join()
    assert session["r"].stdout == "survived\n"
    lab.start_sshd("n1")
    assert lab.ssh("n1", "echo back").stdout == "back\n"
