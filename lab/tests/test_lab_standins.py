"""The stand-ins every lab node keeps: swapoff, swapon, modprobe and sysctl act on the whole
machine, which the nodes share, so these record the call (sysctl applies net.* keys for
real, they are the node's own). Every other tool a node runs is the real one."""

from __future__ import annotations

from pathlib import Path

from lab import Lab
from lab.nodes.boot import KUBELET_SYSCTLS
from lab.testing import requires_root

pytestmark = requires_root
pytest_plugins = ["lab.fixtures"]


def sh(lab: Lab, node: str, script: str) -> tuple[int, str, str]:
    result = lab.node_exec(node, ["bash", "-c", script], check=False)
    return result.returncode, result.stdout, result.stderr


def test_swap_and_module_stand_ins_only_record(lab: Lab) -> None:
    assert sh(lab, "cp1", "swapoff -a && swapon --show && modprobe overlay && /usr/sbin/modprobe br_netfilter")[0] == 0
    recorded = [c["argv"] for c in lab.calls("cp1") if c["tool"] in ("swapoff", "swapon", "modprobe")]
    assert recorded[-4:] == [["swapoff", "-a"], ["swapon", "--show"], ["modprobe", "overlay"],
                             ["modprobe", "br_netfilter"]]


def test_sysctl_applies_net_keys_and_only_records_machine_wide_ones(lab: Lab) -> None:
    machine = Path("/proc/sys/vm/overcommit_memory").read_text()
    lab.write_file("cp1", "/etc/sysctl.d/99-kubernetes.conf",
                   "net.ipv4.ip_forward = 1\nnet.bridge.bridge-nf-call-iptables = 1\nvm.overcommit_memory = 1\n")
    code, out, err = sh(lab, "cp1", "sysctl --system")
    assert code == 0, err
    assert "vm.overcommit_memory = 1" in out and "net.ipv4.ip_forward = 1" in out
    # the node reads the lab setting bound over /proc/sys/vm/overcommit_memory (nodes/boot.py)
    held = KUBELET_SYSCTLS["vm/overcommit_memory"]
    assert sh(lab, "cp1", "sysctl -n net.ipv4.ip_forward vm.overcommit_memory")[1] == f"1\n{held}\n"
    assert Path("/proc/sys/vm/overcommit_memory").read_text() == machine
    assert sh(lab, "cp1", "sysctl -w net.ipv4.conf.all.forwarding=1 && sysctl -n net.ipv4.conf.all.forwarding")[1] \
        == "net.ipv4.conf.all.forwarding = 1\n1\n"
    code, _, err = sh(lab, "cp1", "sysctl -w net.ipv4.no_such_key=1")
    assert code == 1 and "net.ipv4.no_such_key" in err
    assert ["sysctl", "--system"] in [c["argv"] for c in lab.calls("cp1")]
