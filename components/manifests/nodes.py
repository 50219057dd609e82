"""Node labels and taints: what pins each tenant to its machines and CoreDNS to the DNS nodes.

kubeadm creates the Node objects, so the platform never creates or replaces one: each
Kubernetes node gets a server-side-apply patch (Pulumi's ``kubernetes:core/v1:NodePatch``)
of its labels and taints. Re-creating a Node would evict everything on it.

Taints are an atomic list in the Node API (``x-kubernetes-list-type: atomic``): a field
manager owns the whole list or none of it. So the patch carries the node's complete
taint list, the same list kubeadm registers the node with (``registration_taints`` is
what ``components/hostfiles/kubeadm.py`` puts in ``nodeRegistration.taints``), and the
patch forces ownership (``pulumi.com/patchForce``): kubelet (registration) and kubeadm
(control-plane marking) already own an identical list, and a changed tenant must be able
to replace it. The price: the taints the node lifecycle controller manages
(``node.kubernetes.io/not-ready`` and friends) vanish if an apply races with them, until
the controller's next pass puts them back a few seconds later.

Every Kubernetes node gets a patch, even one with nothing to add: a node that leaves a
tenant must lose the tenant's label and taint, and only a new apply of the whole list
removes an entry kubelet co-owns since registration.
"""

from __future__ import annotations

from components.config import NodeConfig, Platform
from components.manifests.meta import DNS_NODE_LABEL, TENANT_LABEL, Object
from components.taints import CONTROL_PLANE_TAINT, registration_taints, tenant_taint, toleration

__all__ = ["CONTROL_PLANE_TAINT", "PATCH_FORCE", "node_labels", "node_patch", "registration_taints", "tenant_taint", "toleration"]

# Pulumi's Patch resources fail on a field conflict unless forced (see the module docstring).
PATCH_FORCE = {"pulumi.com/patchForce": "true"}


def node_labels(platform: Platform, node: NodeConfig) -> dict[str, str]:
    """The operator's extra labels, then the platform's (which win on a clash)."""
    labels = dict(node.labels)
    tenant = platform.tenant_of.get(node.name)
    if tenant is not None:
        key, value = tenant.label
        labels[key] = value
        # Membership, whatever the selector: lets the policy pack check that a tenant's
        # selector matches exactly its own nodes.
        labels[TENANT_LABEL] = tenant.name
    if node.is_dns:
        labels[DNS_NODE_LABEL] = "true"
    return dict(sorted(labels.items()))


def node_patch(platform: Platform, node: NodeConfig) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": node.name, "labels": node_labels(platform, node), "annotations": dict(PATCH_FORCE)},
        "spec": {"taints": registration_taints(platform, node)},
    }


def node_patches(platform: Platform) -> list[Object]:
    return [node_patch(platform, node) for node in platform.kubernetes_nodes]


def is_node_patch(obj: Object) -> bool:
    """Node objects are only ever patched (kubeadm owns their existence)."""
    return obj["apiVersion"] == "v1" and obj["kind"] == "Node"
