"""Node taints and the tolerations that match them, shared by the host and Kubernetes layers.

kubeadm registers each node with its taints (``nodeRegistration.taints``, so nothing lands
on a tenant node before it is tainted) and the Kubernetes layer's node patch keeps the same
list afterwards; both read ``registration_taints``, so the two can never disagree.
"""

from __future__ import annotations

from typing import Any

from components.config import NodeConfig, Platform, TenantConfig

CONTROL_PLANE_TAINT = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}


def tenant_taint(tenant: TenantConfig) -> dict[str, str] | None:
    """The taint that keeps everything but the tenant's own pods off its nodes."""
    if not tenant.taint_nodes:
        return None
    key, value = tenant.label
    return {"key": key, "value": value, "effect": "NoSchedule"}


def toleration(taint: dict[str, str]) -> dict[str, str]:
    """The toleration matching exactly ``taint`` (key, value and effect)."""
    if taint.get("value"):
        return {"key": taint["key"], "operator": "Equal", "value": taint["value"], "effect": taint["effect"]}
    return {"key": taint["key"], "operator": "Exists", "effect": taint["effect"]}


def registration_taints(platform: Platform, node: NodeConfig) -> list[dict[str, str]]:
    """The node's whole taint list: at kubeadm registration and in every later patch."""
    taints: list[dict[str, Any]] = [CONTROL_PLANE_TAINT] if node.is_control_plane else []
    tenant = platform.tenant_of.get(node.name)
    taint = tenant_taint(tenant) if tenant is not None else None
    if taint is not None:
        taints.append(taint)
    taints += [extra.model_dump(exclude_defaults=False) for extra in node.taints]
    return [{k: v for k, v in taint.items() if v != ""} for taint in taints]
