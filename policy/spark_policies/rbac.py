"""Rule: a tenant's identities get rights in their own namespace only.

The reference design bound ``edit`` to the tenant's ServiceAccount with a
ClusterRoleBinding, which grants it in every namespace: one tenant could then manage
another tenant's (and the platform's) pods. A subject names a tenant's ServiceAccounts as
a ServiceAccount, as the ``system:serviceaccount:<ns>:<name>`` user, as the
``system:serviceaccounts:<ns>`` group, or through a group every ServiceAccount is in.
Such a subject may appear only in a RoleBinding inside that tenant's namespace.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any

from .model import (
    StackResource,
    Unknowns,
    Violation,
    api_group_of,
    kind_of,
    mapping,
    namespace_of,
    object_name,
    sequence,
    tenant_namespaces,
)

RBAC_GROUP = "rbac.authorization.k8s.io"
# Groups that contain every ServiceAccount of every namespace, tenants' included.
EVERY_SERVICE_ACCOUNT = frozenset({"system:serviceaccounts", "system:authenticated", "system:unauthenticated"})


def rbac_violations(
    resource_type: str,
    props: Mapping[str, Any],
    name: str,
    opts: Any = None,
    *,
    tenant_namespaces: Collection[str],
    namespace: str | None = None,
) -> list[str]:
    """Subjects of a (Cluster)RoleBinding that reach a tenant outside its own namespace.

    ``namespace`` is where a RoleBinding lives (default: its ``metadata.namespace``).
    """
    kind = kind_of(resource_type)
    if api_group_of(resource_type) != RBAC_GROUP or kind not in ("ClusterRoleBinding", "RoleBinding"):
        return []
    scope = None if kind == "ClusterRoleBinding" else (namespace or namespace_of(props))
    where = "in every namespace" if scope is None else f"in namespace {scope}"
    role = mapping(props.get("roleRef")).get("name")
    problems = []
    for subject in sequence(props.get("subjects")):
        reached = sorted(tenants_reached(mapping(subject), tenant_namespaces) - {scope})
        if reached:
            problems.append(
                f"{name}: {kind} grants {role!r} {where} to {describe(mapping(subject))}, which covers "
                f"tenant namespace(s) {', '.join(reached)}; bind tenants with a RoleBinding in their own namespace"
            )
    return problems


def tenants_reached(subject: Mapping[str, Any], tenant_namespaces: Collection[str]) -> set[str]:
    """The tenant namespaces whose ServiceAccounts ``subject`` stands for."""
    kind, name = subject.get("kind"), subject.get("name")
    if not isinstance(name, str):
        return set()
    if kind == "ServiceAccount":
        return {subject.get("namespace")} & set(tenant_namespaces)
    if kind == "Group" and name in EVERY_SERVICE_ACCOUNT:
        return set(tenant_namespaces)
    if kind == "Group" and name.startswith("system:serviceaccounts:"):
        return {name.removeprefix("system:serviceaccounts:")} & set(tenant_namespaces)
    if kind == "User" and name.startswith("system:serviceaccount:"):
        return {name.split(":")[2]} & set(tenant_namespaces)
    return set()


def describe(subject: Mapping[str, Any]) -> str:
    namespace = subject.get("namespace")
    qualified = f"{namespace}/{subject.get('name')}" if namespace else subject.get("name")
    return f"{subject.get('kind')} {qualified}"


def tenant_rbac_violations(resources: Iterable[StackResource]) -> Iterator[Violation]:
    """Stack rule: :func:`rbac_violations` against the stack's tenant namespaces."""
    resources = list(resources)
    unknowns = Unknowns()
    tenants = tenant_namespaces(resources, unknowns)

    def check(resource: StackResource) -> Iterator[Violation]:
        for message in rbac_violations(
            resource.resource_type,
            resource.props,
            resource.name or object_name(resource.props) or "",
            resource.opts,
            tenant_namespaces=tenants,
            namespace=namespace_of(resource.props, resource.provider),
        ):
            yield Violation(message, resource.urn)

    yield from unknowns.each(resources, check)
    unknowns.raise_first()
