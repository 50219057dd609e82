"""Every Kubernetes object the program manages, as plain dicts (the Kubernetes layer).

``objects`` is the single source: the Pulumi shell (``components.kube``) turns each dict
into a resource, and ``render`` writes each to ``manifests/``. Pure: no Pulumi here.

The order is deterministic and dependency-first (cluster-wide classes, node patches,
each tenant's namespace before its contents, the DNS configuration before its
DaemonSet), and ``prerequisites`` states the edges the shell turns into
``depends_on``.
"""

from __future__ import annotations

from components.config import Platform, TenantConfig
from components.manifests import coredns, nodes, priorities, spark, tenants
from components.manifests.meta import Object, key, namespace_of

# Kinds that run pods: they start only once everything they read exists.
WORKLOAD_KINDS = frozenset({"DaemonSet", "Deployment", "StatefulSet"})


def tenant_objects(platform: Platform, tenant: TenantConfig) -> list[Object]:
    return [*tenants.objects(tenant), spark.config_map(platform, tenant)]


def objects(platform: Platform) -> list[Object]:
    return [
        *priorities.priority_classes(platform),
        *nodes.node_patches(platform),
        *(obj for tenant in platform.config.tenants for obj in tenant_objects(platform, tenant)),
        *coredns.objects(platform),
    ]


def owner_tenant(obj: Object, tenant_names: frozenset[str] | set[str]) -> str | None:
    """The tenant an object belongs to: its namespace's, or the tenant Namespace itself."""
    if obj["kind"] == "Namespace" and obj["apiVersion"] == "v1":
        name = obj["metadata"]["name"]
        return name if name in tenant_names else None
    namespace = namespace_of(obj)
    return namespace if namespace in tenant_names else None


def prerequisites(managed: list[Object]) -> dict[tuple[str, str, str], list[tuple[str, str, str]]]:
    """For each object, the earlier objects it must wait for.

    A namespaced object waits for its Namespace (when we manage it); a workload waits for
    every earlier object it may use (its ServiceAccount, RBAC, ConfigMap, the
    PriorityClasses, and the node patches that label its nodes); a service-account token
    Secret waits for its ServiceAccount: the token controller deletes a token Secret whose
    account does not exist yet, and pulumi-kubernetes gives the token only 5 seconds to
    appear (seen on a real bring-up: "Timeout occurred polling for '<tenant>-submitter-token'").
    """
    edges: dict[tuple[str, str, str], list[tuple[str, str, str]]] = {}
    namespaces = {obj["metadata"]["name"] for obj in managed if obj["kind"] == "Namespace"}
    for index, obj in enumerate(managed):
        namespace = namespace_of(obj)
        needs: list[tuple[str, str, str]] = []
        if namespace is not None and namespace in namespaces:
            needs.append(("Namespace", "", namespace))
        if obj["kind"] in WORKLOAD_KINDS:
            needs += [key(earlier) for earlier in managed[:index] if _readable(earlier, namespace) and key(earlier) not in needs]
        account = _token_account(obj)
        if account is not None:
            needs.append(account)
        edges[key(obj)] = needs
    return edges


def _token_account(obj: Object) -> tuple[str, str, str] | None:
    """The ServiceAccount a service-account-token Secret belongs to."""
    if obj["kind"] != "Secret" or obj.get("type") != tenants.SERVICE_ACCOUNT_TOKEN_TYPE:
        return None
    account = obj["metadata"].get("annotations", {}).get(tenants.SERVICE_ACCOUNT_NAME_ANNOTATION)
    return ("ServiceAccount", namespace_of(obj) or "", account) if account else None


def _readable(obj: Object, namespace: str | None) -> bool:
    """Whether a workload in ``namespace`` may use ``obj``: its namespace's objects and the
    cluster-scoped ones (classes, RBAC, node labels), not other namespaces."""
    if obj["kind"] == "Namespace":
        return obj["metadata"]["name"] == namespace
    return namespace_of(obj) in (None, namespace)
