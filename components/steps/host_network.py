"""Step host-network: the node's place on the flat layer-2 network.

The macvlan sub-interface trick (host and pods become macvlan siblings), made to persist
with a boot unit; the CNI network pods are attached with; forwarding of pod traffic; and
resolv.conf for kubelet and the host. One step, because all of it changes together when
the network settings change and none of it when they don't.
"""

from __future__ import annotations

from components.config import NodeConfig, Platform
from components.hostfiles import cni, hostnet, resolv
from components.network import node_network
from components.steps.step import HostEdit, Step
from components.vocabulary import HOST_NETWORK

# The conflist's plugins, and loopback, which containerd runs for every pod's lo.
REQUIRED_CNI_PLUGINS = "macvlan host-local portmap loopback"


def step(platform: Platform, node: NodeConfig) -> Step:
    network = node_network(platform, node)
    files = [*hostnet.files(platform, network, node.is_dns), cni.cni_file(platform, network)]
    kubelet_resolv = resolv.kubelet_resolv_file(platform)
    if kubelet_resolv is not None:
        files.append(kubelet_resolv)
    return Step(
        name=HOST_NETWORK,
        node=node.name,
        runs_on=node.name,
        templates=("host-network.sh",),
        variables={
            "BOOT_SCRIPTS": " ".join(hostnet.boot_scripts(node.is_dns)),
            "ALL_BOOT_SCRIPTS": " ".join(hostnet.boot_scripts(True)),
            "NETWORK_UNIT": hostnet.UNIT_NAME,
            "NETWORK_UNIT_PATH": hostnet.UNIT_PATH,
            "CNI_PLUGINS": REQUIRED_CNI_PLUGINS,
            "KUBELET_RESOLV_CONF": resolv.KUBELET_RESOLV_CONF,
            "KUBELET_RESOLV_RENDERED": "yes" if kubelet_resolv is not None else "no",
            "RESOLV_OPTIONS": resolv.options(platform),
        },
        files=tuple(files),
        edits=(
            *(() if kubelet_resolv is not None else (HostEdit(resolv.KUBELET_RESOLV_CONF, "kubelet's resolv.conf, derived on the host from its real upstreams (systemd-resolved's, never the 127.0.0.53 stub)"),)),
            HostEdit("/etc/resolv.conf", "an options line under '# spark-on-metal: resolver options' (removed on remove)"),
        ),
    )
