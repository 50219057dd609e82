"""The names the platform, its Pulumi shell and its policy pack must spell alike.

Labels, annotations, the cluster domain, the bring-up's step names and which steps carry
secrets: one small module without dependencies, imported by the core, the shell and the
policy pack (policy/spark_policies), so none of them keeps a copy that can drift.
"""

from __future__ import annotations

LABEL_DOMAIN = "spark-on-metal.io"
# On every tenant namespace; the policy pack selects tenant namespaces by it.
TENANT_LABEL = f"{LABEL_DOMAIN}/tenant"
# On the DNS nodes; the DNS DaemonSet's node selector.
DNS_NODE_LABEL = f"{LABEL_DOMAIN}/dns"
# On every pod of a Spark job, from the tenant's pod templates.
SPARK_ROLE_LABEL = f"{LABEL_DOMAIN}/spark-role"
PART_OF = {"app.kubernetes.io/part-of": "spark-on-metal"}
# The label a tenant's nodes carry unless the tenant names its own (nodeLabel).
DEFAULT_TENANT_LABEL_KEY = "node-restriction.kubernetes.io/tenant"

# Admission plugins' namespace annotations (PodNodeSelector, PodTolerationRestriction).
NODE_SELECTOR_ANNOTATION = "scheduler.alpha.kubernetes.io/node-selector"
DEFAULT_TOLERATIONS_ANNOTATION = "scheduler.alpha.kubernetes.io/defaultTolerations"
TOLERATIONS_WHITELIST_ANNOTATION = "scheduler.alpha.kubernetes.io/tolerationsWhitelist"

CLUSTER_DOMAIN = "cluster.local"
SYSTEM_NAMESPACE = "kube-system"

# The bring-up's steps (components/steps/pipeline.py orders them). A step's Pulumi
# resource is named ``<node>-<step>``.
PREPARE_HOST = "prepare-host"
HOST_NETWORK = "host-network"
API_VIP = "api-vip"
KUBEADM_INIT = "kubeadm-init"
JOIN_CREDENTIALS = "join-credentials"
KUBEADM_JOIN = "kubeadm-join"
NODE_REGISTERED = "node-registered"
CERTIFICATES = "certificates"
# An upgrade, node after node, in kubeadm's order: kubeadm upgrade (on the node), drain
# (on the first control plane), kubelet (on the node), back in service (first control plane).
UPGRADE_KUBEADM = "kubeadm-upgrade"
UPGRADE_DRAIN = "upgrade-drain"
UPGRADE_KUBELET = "kubelet-upgrade"
UPGRADE_UNCORDON = "upgrade-uncordon"
# Steps whose stdin or stdout carries credentials: logging off, stdout a secret output.
SECRET_STEPS = frozenset({KUBEADM_INIT, JOIN_CREDENTIALS, KUBEADM_JOIN, CERTIFICATES})


# kubeadm init and kubeadm join are one resource per node, ``<node>-kubeadm``: a control
# plane that becomes the first (the one before it left the stack) keeps its resource, so
# its join is never deleted, which would run kubeadm reset on it.
KUBEADM = "kubeadm"
_RESOURCE_OF_STEP = {KUBEADM_INIT: KUBEADM, KUBEADM_JOIN: KUBEADM}


def step_resource_name(node: str, step: str) -> str:
    return f"{node}-{_RESOURCE_OF_STEP.get(step, step)}"


def former_resource_names(node: str, step: str) -> tuple[str, ...]:
    """Names the step's resource had in earlier versions (Pulumi aliases: a stack brought
    up by one of them keeps its resources)."""
    return (f"{node}-{KUBEADM_INIT}", f"{node}-{KUBEADM_JOIN}") if step in _RESOURCE_OF_STEP else ()
