"""Kernel modules and sysctls a kubeadm node with macvlan pods needs.

Only network-namespace-scoped sysctls are set: they are all this design needs, and they
keep the lab (nodes as network namespaces on one machine) from changing the machine.
"""

from __future__ import annotations

from components.hostfiles import HostFile

MODULES_PATH = "/etc/modules-load.d/spark-on-metal.conf"
SYSCTL_PATH = "/etc/sysctl.d/90-spark-on-metal.conf"

# overlay: containerd's snapshotter; macvlan: the pod and host sub-interfaces.
MODULES = ("overlay", "macvlan")

SYSCTLS = {
    # Pods reach services through the node (their service route), so the node forwards.
    "net.ipv4.ip_forward": "1",
}


def modules_file() -> HostFile:
    return HostFile(MODULES_PATH, "# spark-on-metal: loaded at boot\n" + "".join(f"{m}\n" for m in MODULES))


def sysctl_file() -> HostFile:
    body = "".join(f"{key} = {value}\n" for key, value in SYSCTLS.items())
    return HostFile(SYSCTL_PATH, "# spark-on-metal\n" + body)
