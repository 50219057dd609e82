"""Step api-vip: keepalived on every control plane, when ``controlPlaneVip`` is set.

It runs after host-network (the VIP lives on the macvlan sub-interface, beside the host's
address) and before kubeadm: the first control plane waits until it holds the VIP, since
``kubeadm init`` reaches the API through ``controlPlaneEndpoint`` (the VIP); a joining
control plane only needs keepalived running before its API server exists. Why keepalived
and how the holder is chosen: components/hostfiles/keepalived.py.
"""

from __future__ import annotations

from components.config import NodeConfig, Platform
from components.hostfiles import keepalived
from components.steps.step import HostEdit, Step
from components.vocabulary import API_VIP

VIP_TIMEOUT_SECONDS = 60


def step(platform: Platform, node: NodeConfig) -> Step | None:
    vip = platform.config.control_plane_vip
    if vip is None or not node.is_control_plane:
        return None
    return Step(
        name=API_VIP,
        node=node.name,
        runs_on=node.name,
        templates=("api-vip.sh",),
        variables={
            "KEEPALIVED_CONFIG": keepalived.CONFIG,
            "VIP": str(vip.address),
            "VIP_INTERFACE": platform.config.macvlan_interface,
            "VIP_TIMEOUT_SECONDS": VIP_TIMEOUT_SECONDS,
            "WAIT_FOR_VIP": "yes" if node.name == platform.init_node.name else "no",
        },
        files=(keepalived.config_file(platform, node), keepalived.drop_in_file()),
        edits=(HostEdit("keepalived", "the keepalived package (and curl, for its check), installed when missing and left on removal"),),
    )
