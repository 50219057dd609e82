"""Steps that add a node to the cluster: credentials, join, and registration.

Each joining node gets its own bootstrap token, minted on the first control plane when
that node joins (kubeadm's init token lives 24 hours; a node added next month needs a
fresh one), with the CA pinned by its public-key hash. The token is minted for the
machine with that host key (its fingerprint is in the step and in the token's
description): a reinstalled host, whose new key is set in the stack, gets a fresh token
on the next ``up`` and joins with it, however old the first one is.

The token has no expiry, so a join that failed and is retried days later (the engine
re-runs a failed create, not the credentials it read) still works without ``--replace``;
``node-registered`` deletes the node's tokens once it has joined, and removing the node
from the stack deletes them too. A control plane also needs the cluster's certificates:
kubeadm's ``upload-certs`` Secret, encrypted with a certificate key derived from the
cluster CA's private key (the same for every control plane, so parallel or repeated
uploads never strand a join) and detached from kubeadm's two-hour token so it outlives it.

A worker's three steps depend only on ``kubeadm init`` and on that node's own
preparation, so workers join in parallel and the critical path does not grow with the
number of workers. Control planes join one at a time, each once the one before it has
registered: each join adds an etcd member, and two at once can leave etcd without quorum.

Removal runs in reverse: ``node-registered`` (drain; a worker's Node object deleted)
before ``kubeadm-join`` (kubeadm reset on the node; a control plane's Node object goes
after it, as its etcd member is found through it) before ``host-network`` (address back on
the uplink).
"""

from __future__ import annotations

from components import ssh_keys
from components.config import NodeConfig, Platform
from components.hostfiles import kubeadm
from components.steps.step import HostEdit, Step
from components.steps.waves import control_plane_wave
from components.vocabulary import JOIN_CREDENTIALS, KUBEADM_JOIN, NODE_REGISTERED

CERTS_SECRET = "kubeadm-certs"  # kubeadm's constants.KubeadmCertsSecret
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
        # control planes join one at a time (each adds an etcd member; the anchors
        # serialize them too); workers join in parallel
        wave=control_plane_wave(platform, node),
        runs_on=platform.init_node.name,
        templates=("kube-admin.sh", "join-tokens.sh", "join-credentials.sh"),
        variables={
            "ADMIN_CONF": kubeadm.ADMIN_CONF,
            "INIT_CONFIG": kubeadm.INIT_CONFIG,
            "CERTS_SECRET": CERTS_SECRET,
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
            "KUBELET_CONF": kubeadm.KUBELET_CONF,
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
    """Every Kubernetes node, the first control plane too: removing any node from the
    stack drains it and deletes its Node object before kubeadm reset runs on it."""
    if not node.is_kubernetes_node:
        return None
    return Step(
        name=NODE_REGISTERED,
        node=node.name,
        wave=control_plane_wave(platform, node),
        runs_on=platform.init_node.name,
        templates=("kube-admin.sh", "join-tokens.sh", "node-registered.sh"),
        variables={
            "ADMIN_CONF": kubeadm.ADMIN_CONF,
            # a rejoin with a new host key runs this again: it deletes the fresh token
            "JOINING_HOST": ssh_keys.fingerprint(node.ssh_host_key),
            "REGISTRATION_TIMEOUT_SECONDS": REGISTRATION_TIMEOUT_SECONDS,
            # kubeadm reset finds a control plane's etcd member through its Node object
            "DELETE_NODE": "no" if node.is_control_plane else "yes",
            "DRAIN_TIMEOUT_SECONDS": DRAIN_TIMEOUT_SECONDS,
        },
    )
