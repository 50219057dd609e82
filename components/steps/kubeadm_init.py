"""Step kubeadm-init: the first control-plane node.

kubeadm's own output goes to stderr with tokens redacted; the step prints nothing. The
admin kubeconfig comes from the certificates step that follows (components/steps/
certificates.py), so the stack's output is the one its latest renewal left.

The step ends only once kube-controller-manager runs its controllers (the ``default``
ServiceAccount exists: its serviceaccounts controller made it, and the token controller
starts before it). ``kubeadm init`` returns when the API server answers; the Kubernetes
layer then creates the tenants' token Secrets, and pulumi-kubernetes gives a token 5
seconds to appear: a real bring-up on an idle machine failed there.
"""

from __future__ import annotations

from components.config import NodeConfig, Platform
from components.hostfiles import kubeadm
from components.steps.step import HostEdit, Step
from components.vocabulary import KUBEADM_INIT

CONTROLLERS_TIMEOUT_SECONDS = 300


def step(platform: Platform, node: NodeConfig) -> Step | None:
    if node.name != platform.init_node.name:
        return None
    return Step(
        name=KUBEADM_INIT,
        node=node.name,
        runs_on=node.name,
        templates=("kube-common.sh", "kubeadm-init.sh"),
        variables={
            "INIT_CONFIG": kubeadm.INIT_CONFIG,
            "ADMIN_CONF": kubeadm.ADMIN_CONF,
            "CONTROLLERS_TIMEOUT_SECONDS": CONTROLLERS_TIMEOUT_SECONDS,
        },
        files=(kubeadm.init_file(platform), kubeadm.admission_file()),
        edits=(HostEdit("/etc/kubernetes", "kubeadm init's certificates, kubeconfigs and static pod manifests (kubeadm reset on remove)"),),
    )
