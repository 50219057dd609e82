"""Checks of the tenants: unique names outside Kubernetes' own namespaces, a selector
each, worker nodes that belong to one tenant only, and no taint that repeats the
platform's own."""

from __future__ import annotations

from typing import Iterator

from components.config import NodeConfig, TenantConfig
from components.problems import ConfigProblem, join_key
from components.taints import CONTROL_PLANE_TAINT, tenant_taint
from components.validation.common import Items, node_key, repeats, tenant_key

RESERVED_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})


def unique_tenants(tenants: Items[TenantConfig]) -> Iterator[ConfigProblem]:
    for index, _, name, first in repeats(tenants, lambda tenant: tenant.name):
        yield ConfigProblem(
            tenant_key(index, "name"), f"tenant {name} is defined twice (first at tenants[{first}])", "merge the two entries or rename one"
        )
    for index, tenant in tenants:
        if tenant.name in RESERVED_NAMESPACES:
            yield ConfigProblem(
                tenant_key(index, "name"),
                f"{tenant.name} is a namespace Kubernetes reserves for itself",
                "name the tenant after its team or group",
            )


def distinct_tenant_labels(tenants: Items[TenantConfig]) -> Iterator[ConfigProblem]:
    for index, tenant, selector, first in repeats(tenants, lambda tenant: tenant.node_selector):
        yield ConfigProblem(
            tenant_key(index, "nodeLabel"),
            f"tenant {tenant.name} selects {selector}, as tenants[{first}] does: each would run on the other's nodes",
            "give every tenant its own node label",
        )


def tenant_nodes(all_nodes: Items[NodeConfig], tenants: Items[TenantConfig]) -> Iterator[ConfigProblem]:
    known = {node.name: node for _, node in all_nodes}
    owner: dict[str, tuple[int, str]] = {}  # node -> (index, name) of its tenant; names may repeat
    for index, tenant in tenants:
        for position, name in enumerate(tenant.nodes):
            key = join_key("tenants", index, "nodes", position)
            node = known.get(name)
            if node is None:
                yield ConfigProblem(key, f"tenant {tenant.name} names {name!r}, which is not a node of this stack", f"use one of: {', '.join(sorted(known))}")
            elif name in owner:
                yield ConfigProblem(
                    key,
                    f"node {name} is listed twice in tenant {tenant.name}" if owner[name][0] == index
                    else f"node {name} is already tenant {owner[name][1]}'s: a node belongs to one tenant",
                    "list each node once, in one tenant",
                )
            elif node.is_control_plane:
                yield ConfigProblem(key, f"node {name} is a control-plane node; tenant workloads never share it", "give the tenant worker nodes only")
            elif node.is_dns:
                yield ConfigProblem(key, f"node {name} serves cluster DNS; DNS nodes carry no tenant", "give the tenant other nodes, or move the dns role")
            else:
                owner[name] = (index, tenant.name)
        key, value = tenant.label
        for node_index, node in all_nodes:
            if node.name not in tenant.nodes and node.labels.get(key) == value:
                yield ConfigProblem(
                    node_key(node_index, "labels"),
                    f"node {node.name} carries {key}={value}, tenant {tenant.name}'s selector, without belonging to it",
                    "remove the label or add the node to the tenant",
                )


def taints_leave_platform_taints(nodes: Items[NodeConfig], tenants: Items[TenantConfig]) -> Iterator[ConfigProblem]:
    # The platform registers these itself; a second taint with the same key and effect is
    # refused by the API server half-way through an up.
    tenant_of = {name: tenant for _, tenant in tenants for name in tenant.nodes}
    for index, node in nodes:
        platform = {(CONTROL_PLANE_TAINT["key"], CONTROL_PLANE_TAINT["effect"]): "the control-plane taint"} if node.is_control_plane else {}
        tenant = tenant_of.get(node.name)
        taint = tenant_taint(tenant) if tenant is not None else None
        if taint is not None:
            platform[(taint["key"], taint["effect"])] = f"tenant {tenant.name}'s taint"
        for position, extra in enumerate(node.taints):
            owner = platform.get((extra.key, extra.effect))
            if owner is not None:
                yield ConfigProblem(
                    join_key("nodes", index, "taints", position),
                    f"{extra.key} with effect {extra.effect} is {owner}, which the platform sets on this node",
                    "remove it (the platform's taint is always there)",
                )


CHECKS = (unique_tenants, distinct_tenant_labels, tenant_nodes, taints_leave_platform_taints)
