"""Step kubeadm-init: the first control-plane node; prints the cluster's kubeconfig.

The kubeconfig is the step's only stdout (kubeadm's own output goes to stderr with
tokens redacted), so the Pulumi shell can mark stdout secret and pass it on as the
cluster's kubeconfig without scraping anything.
"""

from __future__ import annotations

from components.config import NodeConfig, Platform
from components.hostfiles import kubeadm
from components.steps import Step


def step(platform: Platform, node: NodeConfig) -> Step | None:
    if node.name != platform.init_node.name:
        return None
    return Step(
        name="kubeadm-init",
        node=node.name,
        runs_on=node.name,
        templates=("kube-common.sh", "kubeadm-init.sh"),
        variables={
            "INIT_CONFIG": kubeadm.INIT_CONFIG,
            "ADMIN_CONF": kubeadm.ADMIN_CONF,
            "API_SERVER_URL": platform.api_server_url,
        },
        files=(kubeadm.init_file(platform), kubeadm.admission_file()),
    )
