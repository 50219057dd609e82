"""The small stand-ins (apt-get, apt-mark, systemctl, kubectl, kubelet, curl, gpg, swap,
modprobe) and the simulated reboot that replays enabled units."""

from __future__ import annotations

import json
from pathlib import Path

from lab import Lab
from lab.testing import K8S_APT_SOURCE, install_kubernetes, requires_root

pytestmark = requires_root
pytest_plugins = ["lab.fixtures"]


def sh(lab: Lab, node: str, script: str) -> tuple[int, str, str]:
    result = lab.node_exec(node, ["bash", "-c", script], check=False)
    return result.returncode, result.stdout, result.stderr


def test_apt_get_needs_the_kubernetes_repository(lab: Lab) -> None:
    code, _, err = sh(lab, "w2", "apt-get install -y kubeadm=1.31.4-1.1")
    assert code == 100 and "Unable to locate package kubeadm" in err
    lab.write_file("w2", K8S_APT_SOURCE, "deb https://pkgs.k8s.io/core:/stable:/v1.30/deb/ /\n")
    code, _, err = sh(lab, "w2", "apt-get install -y kubeadm=1.31.4-1.1")
    assert code == 100 and "Version '1.31.4-1.1' for 'kubeadm' was not found" in err
    assert sh(lab, "w2", "command -v kubeadm")[0] == 1


def test_apt_get_installs_versions_that_the_tools_report(lab: Lab) -> None:
    install_kubernetes(lab, "w1", "1.31.4-1.1")
    assert sh(lab, "w1", "kubeadm version -o short; kubelet --version; kubectl version --client")[1] == \
        "v1.31.4\nKubernetes v1.31.4\nClient Version: v1.31.4\n"
    assert sh(lab, "w1", "command -v kubeadm")[1] == "/usr/bin/kubeadm\n"
    assert sh(lab, "w1", "apt-get install -y containerd apt-transport-https")[0] == 0
    lab.write_file("w1", K8S_APT_SOURCE, "deb https://pkgs.k8s.io/core:/stable:/v1.32/deb/ /\n")
    assert sh(lab, "w1", "apt-get install -y kubeadm && kubeadm version -o short")[1] == "v1.32.0\n"
    calls = [c["argv"] for c in lab.calls("w1") if c["tool"] == "apt-get"]
    assert ["apt-get", "install", "-y", "containerd", "apt-transport-https"] in calls


def test_apt_mark_hold_is_honoured_by_apt_get(lab: Lab) -> None:
    install_kubernetes(lab, "cp1", "1.31.4-1.1")
    assert sh(lab, "cp1", "apt-mark hold kubelet kubeadm kubectl")[1] == \
        "kubelet set on hold.\nkubeadm set on hold.\nkubectl set on hold.\n"
    lab.write_file("cp1", K8S_APT_SOURCE, "deb https://pkgs.k8s.io/core:/stable:/v1.32/deb/ /\n")
    code, _, err = sh(lab, "cp1", "apt-get install -y kubeadm=1.32.1-1.1")
    assert code == 100 and "Held packages were changed" in err
    assert sh(lab, "cp1", "apt-get install -y --allow-change-held-packages kubeadm=1.32.1-1.1 && "
                          "kubeadm version -o short")[1] == "v1.32.1\n"
    assert sh(lab, "cp1", "apt-get remove -y kubeadm; command -v kubeadm")[0] == 1


UNIT = """\
[Unit]
Description=som-lab probe
[Service]
Type=oneshot
Environment=GREETING=hello
ExecStart=/bin/sh -c 'echo $GREETING >> /var/log/probe.log'
[Install]
WantedBy=multi-user.target
"""


def test_systemctl_tracks_enabled_and_active_units_and_runs_oneshots(lab: Lab) -> None:
    lab.write_file("w2", "/etc/systemd/system/probe.service", UNIT)
    assert sh(lab, "w2", "systemctl is-enabled probe") == (1, "disabled\n", "")
    assert sh(lab, "w2", "systemctl daemon-reload && systemctl enable --now probe.service")[0] == 0
    assert sh(lab, "w2", "systemctl is-enabled probe.service; systemctl is-active probe")[1] == "enabled\nactive\n"
    assert lab.read_file("w2", "/var/log/probe.log") == "hello\n"
    assert sh(lab, "w2", "systemctl enable kubelet && systemctl is-active kubelet")[:2] == (3, "inactive\n")
    assert sh(lab, "w2", "systemctl stop probe; systemctl is-active -q probe")[:2] == (3, "")
    assert sh(lab, "w2", "systemctl disable kubelet; systemctl is-enabled kubelet")[1] == "disabled\n"
    lab.write_file("w2", "/etc/systemd/system/broken.service", "[Service]\nType=oneshot\nExecStart=/bin/false\n")
    code, out, _ = sh(lab, "w2", "systemctl start broken")
    assert code == 1 and "Job for broken.service failed" in out
    assert ["systemctl", "daemon-reload"] in [c["argv"] for c in lab.calls("w2")]


def test_kubectl_needs_a_kubeconfig_and_answers_node_commands(lab: Lab) -> None:
    install_kubernetes(lab, "w2", "1.31.4-1.1")
    code, _, err = sh(lab, "w2", "kubectl get nodes")
    assert code == 1 and "localhost:8080 was refused" in err
    lab.write_file("w2", "/root/kubeconfig", "apiVersion: v1\nkind: Config\n")
    assert sh(lab, "w2", "kubectl --kubeconfig /root/kubeconfig drain w1 --ignore-daemonsets")[1] == "node/w1 drained\n"
    assert sh(lab, "w2", "KUBECONFIG=/root/kubeconfig kubectl delete node w1")[1] == 'node "w1" deleted\n'
    assert sh(lab, "w2", "kubectl --kubeconfig=/root/kubeconfig get nodes")[1].startswith("NAME")


def test_curl_and_gpg_leave_placeholder_files(lab: Lab) -> None:
    url = "https://pkgs.k8s.io/core:/stable:/v1.31/deb/Release.key"
    keyring = "/etc/apt/keyrings/kubernetes-apt-keyring.gpg"
    assert sh(lab, "w1", f"mkdir -p /etc/apt/keyrings && curl -fsSL {url} | gpg --dearmor -o {keyring}")[0] == 0
    assert "placeholder" in lab.read_file("w1", keyring)
    assert sh(lab, "w1", f"curl -fsSL -o /tmp/key {url} && cat /tmp/key")[1].endswith(f"{url}\n")
    tools = [c["tool"] for c in lab.calls("w1")]
    assert "curl" in tools and "gpg" in tools


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
    assert sh(lab, "cp1", "sysctl -n net.ipv4.ip_forward vm.overcommit_memory")[1] == f"1\n{machine}"
    assert Path("/proc/sys/vm/overcommit_memory").read_text() == machine
    assert sh(lab, "cp1", "sysctl -w net.ipv4.conf.all.forwarding=1 && sysctl -n net.ipv4.conf.all.forwarding")[1] \
        == "net.ipv4.conf.all.forwarding = 1\n1\n"
    code, _, err = sh(lab, "cp1", "sysctl -w net.ipv4.no_such_key=1")
    assert code == 1 and "net.ipv4.no_such_key" in err
    assert ["sysctl", "--system"] in [c["argv"] for c in lab.calls("cp1")]


HOSTNET_UNIT = """\
[Unit]
Description=Move the host address onto a macvlan sibling of the pods
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/som-hostnet
[Install]
WantedBy=multi-user.target
"""
HOSTNET = """\
#!/bin/sh
set -e
ip link add mac0 link eth0 type macvlan mode bridge
ip link set mac0 up
ip addr del 10.99.0.12/17 dev eth0
ip addr add 10.99.0.12/17 dev mac0
ip route add default via 10.99.127.254 dev mac0
"""


def test_simulate_reboot_replays_enabled_units_and_keeps_files(lab: Lab) -> None:
    lab.write_file("w1", "/usr/local/sbin/som-hostnet", HOSTNET, 0o755)
    lab.write_file("w1", "/etc/systemd/system/som-hostnet.service", HOSTNET_UNIT)
    lab.write_file("w1", "/etc/systemd/system/not-enabled.service", UNIT)
    lab.write_file("w1", "/etc/sysctl.d/90-som.conf", "net.ipv4.ip_forward = 1\nvm.swappiness = 1\n")
    assert sh(lab, "w1", "systemctl enable som-hostnet && ip link add scratch type bridge")[0] == 0
    old_sshd = lab.sshd_pid("w1")

    report = lab.simulate_reboot("w1")

    assert report["units"] == [{"unit": "som-hostnet.service", "returncode": 0}]
    assert {"key": "net.ipv4.ip_forward", "value": "1", "ok": True} in report["sysctl"]
    assert all(not entry["key"].startswith("vm.") for entry in report["sysctl"])
    links = sh(lab, "w1", "ip -o link show | cut -d: -f2")[1].split()
    assert "mac0@eth0" in links and "scratch" not in links
    assert "10.99.0.12/17" in sh(lab, "w1", "ip -4 -o addr show dev mac0")[1]
    assert sh(lab, "w1", "sysctl -n net.ipv4.ip_forward")[1] == "1\n"
    assert not lab.node_path("w1", "/var/log/probe.log").exists()
    assert lab.sshd_pid("w1") != old_sshd
    assert lab.ssh("w1", "hostname").stdout == "w1\n"
    assert json.loads(lab.read_file("w1", "/var/lib/som-lab/systemctl.json"))["enabled"] == ["som-hostnet.service"]
