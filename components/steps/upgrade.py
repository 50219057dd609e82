"""Steps of an upgrade: a raised ``kubernetesVersion`` rolls through the nodes.

kubeadm's own procedure (kubernetes.io, "Upgrading kubeadm clusters"), node by node:
kubeadm to the new release and ``kubeadm upgrade apply`` on the first control plane (the
cluster's configuration, its static pods, etcd, kube-proxy) or ``kubeadm upgrade node``
on every other node; then the node drained, kubelet and kubectl upgraded and kubelet
restarted, the node back in service. Four steps per node, because a drain needs the
cluster's admin credentials, which only control planes hold: ``kubeadm-upgrade`` and
``kubelet-upgrade`` run on the node, ``upgrade-drain`` and ``upgrade-uncordon`` on the
first control plane for it. The drain comes after ``kubeadm upgrade apply``, as kubeadm
says: apply's health check runs a Job that must be scheduled on a control plane.

Why waves: kubelets may never be newer than the API servers, and etcd keeps quorum only
with one member away at a time, so the first control plane goes first, then each other
control plane alone, then the workers in batches of ``upgrade.workerBatchSize``; a wave
starts once the one before it is back in service. A node that fails stops the rollout
(the engine starts nothing after a failure); the next ``up`` finds the finished nodes
at the release (each step's "already done?" check) and resumes at the failed one.

prepare-host's release check lets a host in a cluster one patch or one minor behind go
through with its Kubernetes packages held; skipping a minor or going down is refused
there, on every host, before anything changes. On a new cluster every step finds its
node at the release and does nothing; new nodes join once the first control plane is
upgraded (``join-credentials`` waits for it), so no kubelet is ever newer than its API
server.
"""

from __future__ import annotations

from components.config import NodeConfig, Platform
from components.hostfiles import kubeadm
from components.steps.step import Step
from components.steps.waves import waves
from components.vocabulary import LABEL_DOMAIN, UPGRADE_DRAIN, UPGRADE_KUBEADM, UPGRADE_KUBELET, UPGRADE_UNCORDON

# On a Node the upgrade cordoned: only those are uncordoned (an operator's cordon stays).
CORDONED_ANNOTATION = f"{LABEL_DOMAIN}/cordoned-for-upgrade"
READY_TIMEOUT_SECONDS = 600
KUBELET_HEALTH_TIMEOUT_SECONDS = 120
KUBELET_HEALTHZ = "http://127.0.0.1:10248/healthz"  # kubelet's healthzBindAddress:healthzPort defaults
# kubeadm upgrade apply's checks of its own CoreDNS add-on, which fail when there is none
# ("start version '' not supported"): the platform disables the add-on and runs its own
# CoreDNS (components/manifests/coredns.py), which follows the release through the layer.
DNS_ADDON_CHECKS = ("CoreDNSUnsupportedPlugins", "CoreDNSMigration")


def ignored_preflight_checks(platform: Platform, node: NodeConfig) -> tuple[str, ...]:
    """What kubeadm upgrade's preflight must not stop on: the DNS add-on's checks (apply
    only), and SystemVerification exactly where init and join skip it (cgroupV1: allow)."""
    dns = DNS_ADDON_CHECKS if node.name == platform.init_node.name else ()
    cgroup = (kubeadm.CGROUP_V1_PREFLIGHT,) if platform.allows_cgroup_v1 else ()
    return (*dns, *cgroup)


def _on_first_control_plane(platform: Platform, node: NodeConfig, name: str, template: str, variables: dict[str, str | int]) -> Step | None:
    if not node.is_kubernetes_node:
        return None
    return Step(
        name=name,
        node=node.name,
        runs_on=platform.init_node.name,
        templates=("kube-admin.sh", "upgrade-common.sh", "upgrade-remove.sh", template),
        variables={
            "ADMIN_CONF": kubeadm.ADMIN_CONF,
            "KUBERNETES_TAG": platform.version.tag,
            "CORDONED_ANNOTATION": CORDONED_ANNOTATION,
            **variables,
        },
        wave=waves(platform)[node.name],
    )


def drain_step(platform: Platform, node: NodeConfig) -> Step | None:
    return _on_first_control_plane(platform, node, UPGRADE_DRAIN, "upgrade-drain.sh", {
        "DRAIN_TIMEOUT_SECONDS": platform.config.upgrade.drain_timeout_seconds,
    })


def uncordon_step(platform: Platform, node: NodeConfig) -> Step | None:
    return _on_first_control_plane(platform, node, UPGRADE_UNCORDON, "upgrade-uncordon.sh", {
        "READY_TIMEOUT_SECONDS": READY_TIMEOUT_SECONDS,
    })


def _on_node(platform: Platform, node: NodeConfig, name: str, templates: tuple[str, ...], variables: dict[str, str | int]) -> Step | None:
    if not node.is_kubernetes_node:
        return None
    return Step(
        name=name,
        node=node.name,
        runs_on=node.name,
        templates=("apt.sh", "kube-packages.sh", "upgrade-remove.sh", *templates),
        variables={"KUBERNETES_TAG": platform.version.tag, "KUBERNETES_DEB_VERSION": platform.version.deb_version, **variables},
        wave=waves(platform)[node.name],
    )


def kubeadm_step(platform: Platform, node: NodeConfig) -> Step | None:
    return _on_node(platform, node, UPGRADE_KUBEADM, ("kube-common.sh", "kubeadm-upgrade.sh"), {
        # kubeadm upgrade apply changes the cluster once; every other node follows it
        "UPGRADE_MODE": "apply" if node.name == platform.init_node.name else "node",
        "KUBELET_CONF": kubeadm.KUBELET_CONF,
        "ADMIN_CONF": kubeadm.ADMIN_CONF,
        "IGNORE_PREFLIGHT": ",".join(ignored_preflight_checks(platform, node)),
    })


def kubelet_step(platform: Platform, node: NodeConfig) -> Step | None:
    return _on_node(platform, node, UPGRADE_KUBELET, ("kubelet-upgrade.sh",), {
        "KUBELET_HEALTHZ": KUBELET_HEALTHZ,
        "KUBELET_HEALTH_TIMEOUT_SECONDS": KUBELET_HEALTH_TIMEOUT_SECONDS,
    })
