"""The small stand-ins (apt-get, apt-mark, kubectl, kubelet, curl, gpg, swap, modprobe),
and the units of stand-in packages, which the nodes' real systemd runs."""

from __future__ import annotations

from pathlib import Path

from lab import Lab
from lab.nodes.boot import KUBELET_SYSCTLS
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


def test_installed_kubelet_and_containerd_are_units_the_real_systemd_runs(lab: Lab) -> None:
    install_kubernetes(lab, "w2", "1.31.4-1.1")
    assert sh(lab, "w2", "apt-get install -y containerd")[0] == 0
    assert sh(lab, "w2", "systemctl is-enabled kubelet containerd")[1] == "disabled\ndisabled\n"
    code, out, err = sh(lab, "w2", "systemctl enable --now kubelet containerd && systemctl is-active kubelet containerd")
    assert (code, out) == (0, "active\nactive\n"), err
    assert ["kubelet"] in [c["argv"] for c in lab.calls("w2") if c["tool"] == "kubelet"], "systemd ran the stand-in"
    assert sh(lab, "w2", "systemctl restart containerd && systemctl disable --now kubelet")[0] == 0
    assert sh(lab, "w2", "apt-get remove -y kubelet && systemctl is-enabled kubelet")[1] == ""
    assert not lab.node_path("w2", "/lib/systemd/system/kubelet.service").exists()


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
    assert f"{url}\n" in sh(lab, "w1", f"curl -fsSL -o /tmp/key {url} && cat /tmp/key")[1]
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
    # the node reads the lab setting bound over /proc/sys/vm/overcommit_memory (nodes/boot.py)
    held = KUBELET_SYSCTLS["vm/overcommit_memory"]
    assert sh(lab, "cp1", "sysctl -n net.ipv4.ip_forward vm.overcommit_memory")[1] == f"1\n{held}\n"
    assert Path("/proc/sys/vm/overcommit_memory").read_text() == machine
    assert sh(lab, "cp1", "sysctl -w net.ipv4.conf.all.forwarding=1 && sysctl -n net.ipv4.conf.all.forwarding")[1] \
        == "net.ipv4.conf.all.forwarding = 1\n1\n"
    code, _, err = sh(lab, "cp1", "sysctl -w net.ipv4.no_such_key=1")
    assert code == 1 and "net.ipv4.no_such_key" in err
    assert ["sysctl", "--system"] in [c["argv"] for c in lab.calls("cp1")]
