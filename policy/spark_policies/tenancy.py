"""Rule: every tenant namespace is pinned to exactly its tenant's nodes.

PodNodeSelector adds a namespace's ``scheduler.alpha.kubernetes.io/node-selector`` to
every pod created in it. Without the annotation a tenant's pods may land on any node;
with a selector that matches no node they never schedule; with one that also matches
another tenant's node, two tenants share hardware. The stack states node membership
through NodePatch resources (the tenant's selector label, and optionally
``spark-on-metal.io/tenant: <tenant>``), so the rule compares the two.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from components.syntax import is_label_value, is_qualified_name

from .model import (
    NODE_SELECTOR_ANNOTATION,
    TENANT_LABEL,
    StackResource,
    TenantNamespace,
    Unknowns,
    Violation,
    labels_of,
    object_name,
    tenant_namespace_of,
)


def parse_selector(selector: object) -> tuple[str, str]:
    """``key=value`` -> (key, value); ValueError saying what is wrong otherwise."""
    if not isinstance(selector, str) or not selector:
        raise ValueError(f"has no {NODE_SELECTOR_ANNOTATION} annotation, so its pods may run on any node")
    key, equals, value = selector.partition("=")
    if "," in selector or not equals:
        raise ValueError(f"node selector {selector!r} is not a single key=value pair")
    if not (is_qualified_name(key) and value and is_label_value(value)):
        raise ValueError(f"node selector {selector!r} is not a valid label key=value")
    return key, value


def tenant_selector_violations(resources: Iterable[StackResource]) -> Iterator[Violation]:
    """Stack rule: each tenant namespace's selector matches its tenant's nodes, and only those."""
    resources = list(resources)
    unknowns = Unknowns()
    namespaces = list(unknowns.each(resources, tenant_namespace_of))
    nodes = node_labels(unknowns.each(resources, _node_patch_labels))
    for namespace in namespaces:
        for message in namespace_problems(namespace, nodes, namespaces):
            yield Violation(f"tenant namespace {namespace.name} ({namespace.tenant}): {message}", namespace.urn)
    unknowns.raise_first()


def namespace_problems(
    namespace: TenantNamespace, nodes: Mapping[str, Mapping[str, object]], namespaces: list[TenantNamespace]
) -> Iterator[str]:
    """Missing or malformed selector, no node selected, wrong nodes selected."""
    try:
        key, value = parse_selector(namespace.selector)
    except ValueError as error:
        yield str(error)
        return
    selected = {node for node, labels in nodes.items() if labels.get(key) == value}
    if not selected:
        yield f"node selector {key}={value} matches no node labelled by the stack's NodePatches"
    members = {node for node, labels in nodes.items() if labels.get(TENANT_LABEL) == namespace.tenant}
    if members and members != selected:
        yield (
            f"node selector {key}={value} selects {sorted(selected)} but the tenant's nodes "
            f"({TENANT_LABEL}={namespace.tenant}) are {sorted(members)}"
        )
    for node in sorted(selected):
        for other in _other_tenants_on(nodes[node], namespace, namespaces):
            yield f"node {node} is selected by node selector {key}={value} but carries tenant {other}'s label"


def _other_tenants_on(
    labels: Mapping[str, object], namespace: TenantNamespace, namespaces: list[TenantNamespace]
) -> Iterator[str]:
    owner = labels.get(TENANT_LABEL)
    if isinstance(owner, str) and owner != namespace.tenant:
        yield owner
    for other in namespaces:
        if other.tenant in (namespace.tenant, owner):
            continue
        try:
            key, value = parse_selector(other.selector)
        except ValueError:
            continue
        if labels.get(key) == value:
            yield other.tenant


def node_labels(patches: Iterable[tuple[str, Mapping[str, object]]]) -> dict[str, dict[str, object]]:
    """Node name -> labels, merging every NodePatch of a node (a null value removes a label)."""
    nodes: dict[str, dict[str, object]] = {}
    for node, labels in patches:
        merged = nodes.setdefault(node, {})
        merged.update(labels)
    return {node: {k: v for k, v in labels.items() if v is not None} for node, labels in nodes.items()}


def _node_patch_labels(resource: StackResource) -> Iterator[tuple[str, Mapping[str, object]]]:
    name = object_name(resource.props)
    if resource.resource_type in ("kubernetes:core/v1:NodePatch", "kubernetes:core/v1:Node") and name:
        yield name, dict(labels_of(resource.props))
