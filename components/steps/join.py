"""Steps that add a node to the cluster: credentials, join, and registration.

Each joining node gets its own bootstrap token, minted on the first control plane when
that node joins (kubeadm's init token lives 24 hours; a node added next month needs a
fresh one), with the CA pinned by its public-key hash. The token is minted for the
machine with that host key (its fingerprint is in the step and in the token's
description): a reinstalled host, whose new key is set in the stack, gets a fresh token
on the next ``up`` and joins with it, however old the first one is. The three steps per node depend
only on ``kubeadm init`` and on that node's own preparation, so joins run in parallel
and the critical path does not grow with the number of nodes.

Removal runs in reverse: ``node-registered`` (drain, delete the Node object) before
``kubeadm-join`` (kubeadm reset on the node) before ``host-network`` (address back on
the uplink).
"""

from __future__ import annotations

from components import ssh_keys
from components.config import NodeConfig, Platform
from components.hostfiles import kubeadm
from components.steps.step import HostEdit, Step
from components.vocabulary import JOIN_CREDENTIALS, KUBEADM_JOIN, NODE_REGISTERED

TOKEN_TTL_SECONDS = 3600
REGISTRATION_TIMEOUT_SECONDS = 600
DRAIN_TIMEOUT_SECONDS = 600


def _joins(platform: Platform, node: NodeConfig) -> bool:
    return node in platform.joining_nodes


def credentials_step(platform: Platform, node: NodeConfig) -> Step | None:
    if not _joins(platform, node):
        return None
    return Step(
        name=JOIN_CREDENTIALS,
        node=node.name,
        runs_on=platform.init_node.name,
        templates=("join-credentials.sh",),
        variables={
            "ADMIN_CONF": kubeadm.ADMIN_CONF,
            "INIT_CONFIG": kubeadm.INIT_CONFIG,
            "TOKEN_TTL_SECONDS": TOKEN_TTL_SECONDS,
            "JOIN_AS": "control-plane" if node.is_control_plane else "worker",
            "JOINING_HOST": ssh_keys.fingerprint(node.ssh_host_key),
        },
    )


def join_step(platform: Platform, node: NodeConfig) -> Step | None:
    if not _joins(platform, node):
        return None
    return Step(
        name=KUBEADM_JOIN,
        node=node.name,
        runs_on=node.name,
        templates=("kube-common.sh", "kubeadm-join.sh"),
        variables={
            "JOIN_CONFIG": kubeadm.JOIN_CONFIG,
            "KUBELET_CONF": "/etc/kubernetes/kubelet.conf",
            "TOKEN_PLACEHOLDER": kubeadm.TOKEN_PLACEHOLDER,
            "CA_HASH_PLACEHOLDER": kubeadm.CA_HASH_PLACEHOLDER,
            "CERTIFICATE_KEY_PLACEHOLDER": kubeadm.CERTIFICATE_KEY_PLACEHOLDER,
        },
        # A joining control plane's API server runs from the cluster's ClusterConfiguration,
        # which mounts the admission configuration: without the file it exits.
        files=(kubeadm.join_file(platform, node), *((kubeadm.admission_file(),) if node.is_control_plane else ())),
        edits=(HostEdit("/etc/kubernetes", "kubeadm join's kubelet kubeconfig and certificates (kubeadm reset on remove)"),),
    )


def registered_step(platform: Platform, node: NodeConfig) -> Step | None:
    if not _joins(platform, node):
        return None
    return Step(
        name=NODE_REGISTERED,
        node=node.name,
        runs_on=platform.init_node.name,
        templates=("node-registered.sh",),
        variables={
            "ADMIN_CONF": kubeadm.ADMIN_CONF,
            "REGISTRATION_TIMEOUT_SECONDS": REGISTRATION_TIMEOUT_SECONDS,
            "DRAIN_TIMEOUT_SECONDS": DRAIN_TIMEOUT_SECONDS,
        },
    )
