"""A tenant's namespace and everything that confines it there.

Physical isolation, enforced by the API server rather than by convention:

- ``scheduler.alpha.kubernetes.io/node-selector`` (PodNodeSelector) merges the tenant's
  node label into every pod of the namespace, so its pods land on its nodes only.
- ``scheduler.alpha.kubernetes.io/defaultTolerations`` (PodTolerationRestriction) adds
  the toleration for the tenant's own taint to every pod, and
  ``scheduler.alpha.kubernetes.io/tolerationsWhitelist`` rejects any pod tolerating
  anything else: no tenant pod can tolerate another tenant's taint or the control
  plane's. The whitelist also lists the ``node.kubernetes.io/*`` condition taints,
  because Kubernetes adds those tolerations itself (DefaultTolerationSeconds adds
  not-ready/unreachable to every pod, PodTolerationRestriction adds memory-pressure to
  every non-BestEffort pod, the DaemonSet controller adds the rest) and the plugin
  checks the merged list; they exist on every node, so they reach no other tenant's.
  The whitelist is never empty: an empty one means "no restriction" to the plugin.
- RBAC is namespaced only: a RoleBinding in the tenant namespace to a Role with what
  Spark's driver needs, or to the ``edit`` ClusterRole. The reference's
  ClusterRoleBinding would grant edit in every namespace (a tenant escape). Namespaces
  are cluster-scoped, so no tenant can rewrite its own namespace's annotations.
- Executors run as their own ServiceAccount (``spark-executor``) with no binding and no
  token mounted: an executor never calls the API server, so a compromised task gets no
  credential (it would otherwise inherit the driver's, which creates and deletes pods).
- Submitting has its own identity, ``<tenant>-submitter``: a ServiceAccount with a Role
  in the tenant namespace only (RoleBinding, never a ClusterRole) holding what
  ``spark-submit`` in cluster mode does (create the driver pod, server-side apply its
  Service and ConfigMaps, watch it, ``--kill``/``--status``, and read logs and
  port-forward to the UI), and a long-lived token Secret the stack turns into the
  tenant's kubeconfig (``components.kubeconfigs``). No Secrets, no NetworkPolicies.
- A ResourceQuota shares out the tenant's nodes; a second one, scoped to the reserved
  PriorityClasses with ``pods: 0``, keeps the platform's classes out of tenant hands.
"""

from __future__ import annotations

import json
from typing import Any

from components.config import TenantConfig
from components.manifests import priorities
from components.manifests.meta import TENANT_LABEL, Object, metadata
from components.taints import tenant_taint, toleration
from components.vocabulary import (
    DEFAULT_TOLERATIONS_ANNOTATION,
    NODE_SELECTOR_ANNOTATION,
    SPARK_ROLE_LABEL,
    TOLERATIONS_WHITELIST_ANNOTATION,
)

SERVICE_ACCOUNT = "spark"
EXECUTOR_SERVICE_ACCOUNT = "spark-executor"
ROLE = "spark-driver"
ROLE_BINDING = "spark"
SUBMITTER_ROLE = "spark-submitter"
SUBMITTER_ROLE_BINDING = "spark-submitter"
SERVICE_ACCOUNT_TOKEN_TYPE = "kubernetes.io/service-account-token"
SERVICE_ACCOUNT_NAME_ANNOTATION = "kubernetes.io/service-account.name"
EDIT_CLUSTER_ROLE = "edit"
QUOTA = "tenant-quota"
PRIORITY_QUOTA = "reserved-priority-classes"
LIMIT_RANGE = "container-defaults"
DRIVER_BUDGET = "spark-drivers"

# The condition taints Kubernetes puts on nodes and whose tolerations it adds to pods.
CONDITION_TOLERATIONS: tuple[dict[str, str], ...] = (
    *(
        {"key": f"node.kubernetes.io/{condition}", "operator": "Exists", "effect": "NoExecute"}
        for condition in ("not-ready", "unreachable")
    ),
    *(
        {"key": f"node.kubernetes.io/{condition}", "operator": "Exists", "effect": "NoSchedule"}
        for condition in ("memory-pressure", "disk-pressure", "pid-pressure", "network-unavailable", "unschedulable")
    ),
)

# What Spark's driver does with its service account: create, watch and delete executor
# pods, the driver's headless service, the executors' ConfigMap (pod template, conf),
# and on-demand PVCs (spark.kubernetes.executor.volumes.*.claimName=OnDemand).
# Resources and verbs as the Kubeflow spark-operator chart grants them in each job
# namespace: kubeflow/spark-operator charts/spark-operator-chart/templates/spark/rbac.yaml
# (Spark's own docs, running-on-kubernetes.md "RBAC", only say "at minimum ... create
# pods and services"; deletecollection is how the driver removes its executors at exit).
SPARK_DRIVER_RULES: list[dict[str, Any]] = [
    {
        "apiGroups": [""],
        "resources": ["pods", "configmaps", "persistentvolumeclaims", "services"],
        "verbs": ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"],
    }
]


# What ``spark-submit --deploy-mode cluster`` does with the submitter's credentials
# (Spark 4's submit Client: create the driver pod, server-side apply (PATCH) the driver's
# Service and ConfigMaps and its PVCs, delete the pod if that fails, watch it until it
# ends; ``--kill``/``--status`` list, get and delete driver pods) plus what a user does
# around a job: ``kubectl logs`` and ``kubectl port-forward`` to the driver UI, events.
# NetworkPolicies are left out: the platform switches Spark 4.2's policy step off
# (components.manifests.spark). Secrets are left out: nothing in submitting reads one.
SPARK_SUBMITTER_RULES: list[dict[str, Any]] = [
    {
        "apiGroups": [""],
        "resources": ["pods", "services", "configmaps", "persistentvolumeclaims"],
        "verbs": ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"],
    },
    {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
    {"apiGroups": [""], "resources": ["pods/portforward"], "verbs": ["create"]},
    {"apiGroups": [""], "resources": ["events"], "verbs": ["get", "list", "watch"]},
]


def submitter(tenant: TenantConfig) -> str:
    """The tenant's submitting ServiceAccount (named after the tenant so a token reads as whose)."""
    return f"{tenant.name}-submitter"


def submitter_token_secret(tenant: TenantConfig) -> str:
    return f"{submitter(tenant)}-token"


def _tolerations_json(tolerations: list[dict[str, str]]) -> str:
    return json.dumps(tolerations, sort_keys=True, separators=(",", ":"))


def default_tolerations(tenant: TenantConfig) -> list[dict[str, str]]:
    taint = tenant_taint(tenant)
    return [toleration(taint)] if taint is not None else []


def tolerations_whitelist(tenant: TenantConfig) -> list[dict[str, str]]:
    return [*default_tolerations(tenant), *CONDITION_TOLERATIONS]


def namespace(tenant: TenantConfig) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": metadata(
            tenant.name,
            labels={TENANT_LABEL: tenant.name},
            annotations={
                NODE_SELECTOR_ANNOTATION: tenant.node_selector,
                DEFAULT_TOLERATIONS_ANNOTATION: _tolerations_json(default_tolerations(tenant)),
                TOLERATIONS_WHITELIST_ANNOTATION: _tolerations_json(tolerations_whitelist(tenant)),
            },
        ),
    }


def service_account(tenant: TenantConfig) -> Object:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata(SERVICE_ACCOUNT, tenant.name)}


def executor_service_account(tenant: TenantConfig) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": metadata(EXECUTOR_SERVICE_ACCOUNT, tenant.name),
        "automountServiceAccountToken": False,
    }


def submitter_service_account(tenant: TenantConfig) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": metadata(submitter(tenant), tenant.name),
        "automountServiceAccountToken": False,
    }


def submitter_role(tenant: TenantConfig) -> Object:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": metadata(SUBMITTER_ROLE, tenant.name),
        "rules": SPARK_SUBMITTER_RULES,
    }


def submitter_role_binding(tenant: TenantConfig) -> Object:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": metadata(SUBMITTER_ROLE_BINDING, tenant.name),
        "subjects": [{"kind": "ServiceAccount", "name": submitter(tenant), "namespace": tenant.name}],
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": SUBMITTER_ROLE},
    }


def submitter_token(tenant: TenantConfig) -> Object:
    """A long-lived token the token controller fills in (Kubernetes issues no other kind
    without a client asking for it, and a stack output must outlive any request)."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata(
            submitter_token_secret(tenant), tenant.name, annotations={SERVICE_ACCOUNT_NAME_ANNOTATION: submitter(tenant)}
        ),
        "type": SERVICE_ACCOUNT_TOKEN_TYPE,
    }


def role(tenant: TenantConfig) -> Object:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": metadata(ROLE, tenant.name),
        "rules": SPARK_DRIVER_RULES,
    }


def role_binding(tenant: TenantConfig) -> Object:
    role_ref = (
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": EDIT_CLUSTER_ROLE}
        if tenant.access == "edit"
        else {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": ROLE}
    )
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": metadata(ROLE_BINDING, tenant.name),
        "subjects": [{"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": tenant.name}],
        "roleRef": role_ref,
    }


def quota_hard(tenant: TenantConfig) -> dict[str, str]:
    """The tenant's share; limits are capped only where the LimitRange defaults them.

    A quota on ``limits.cpu`` makes the API server refuse every pod without a CPU limit,
    and Spark sets none unless ``spark.kubernetes.*.limit.cores`` is given; so CPU limits
    are capped only when ``containerDefaults.cpuLimit`` supplies a default. Memory always
    has a default limit, and Spark sets memory limits itself.
    """
    quota, defaults = tenant.quota, tenant.container_defaults
    hard: dict[str, str] = {}
    if quota.cpu is not None:
        hard["requests.cpu"] = quota.cpu
        if defaults.cpu_limit is not None:
            hard["limits.cpu"] = quota.cpu
    if quota.memory is not None:
        hard["requests.memory"] = quota.memory
        hard["limits.memory"] = quota.memory
    if quota.pods is not None:
        hard["pods"] = str(quota.pods)
    if quota.persistent_volume_claims is not None:
        hard["persistentvolumeclaims"] = str(quota.persistent_volume_claims)
    if quota.storage is not None:
        hard["requests.storage"] = quota.storage
    return hard


def resource_quota(tenant: TenantConfig) -> Object | None:
    hard = quota_hard(tenant)
    if not hard:
        return None
    return {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": metadata(QUOTA, tenant.name), "spec": {"hard": hard}}


def priority_quota(tenant: TenantConfig) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": metadata(PRIORITY_QUOTA, tenant.name),
        "spec": {
            "hard": {"pods": "0"},
            "scopeSelector": {
                "matchExpressions": [
                    {"scopeName": "PriorityClass", "operator": "In", "values": list(priorities.RESERVED)}
                ]
            },
        },
    }


def limit_range(tenant: TenantConfig) -> Object:
    defaults = tenant.container_defaults
    default_limits = {"memory": defaults.memory_limit}
    if defaults.cpu_limit is not None:
        default_limits = {"cpu": defaults.cpu_limit, **default_limits}
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": metadata(LIMIT_RANGE, tenant.name),
        "spec": {
            "limits": [
                {
                    "type": "Container",
                    "defaultRequest": {"cpu": defaults.cpu_request, "memory": defaults.memory_request},
                    "default": default_limits,
                }
            ]
        },
    }


# More running drivers than any tenant has: a driver is a bare pod, and for pods no
# controller manages only an integer minAvailable counts (maxUnavailable and percentages
# need a controller's scale: the disruption controller then allowed the eviction the
# lab's upgrade test saw); disruptions allowed = running drivers - this, never above 0.
DRIVER_BUDGET_MIN_AVAILABLE = 1_000_000


def driver_budget(tenant: TenantConfig) -> Object:
    """No running Spark driver may be evicted: a drain (an upgrade's, a node's removal)
    waits until the tenant's drivers finish instead of killing their jobs. A driver is a
    bare pod that nothing recreates, and with it goes the whole job; executors are left
    out, their driver asks for new ones and retries their tasks. The eviction API ignores
    the budget for pods that finished or are still Pending, and ``AlwaysAllow`` lets a
    drain evict a driver that is not Ready (a broken job holds no node hostage)."""
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata(DRIVER_BUDGET, tenant.name),
        "spec": {
            "minAvailable": DRIVER_BUDGET_MIN_AVAILABLE,
            "selector": {"matchLabels": {SPARK_ROLE_LABEL: "driver"}},
            "unhealthyPodEvictionPolicy": "AlwaysAllow",
        },
    }


def objects(tenant: TenantConfig) -> list[Object]:
    """Namespace first: everything else lives in it."""
    candidates = [
        namespace(tenant),
        service_account(tenant),
        executor_service_account(tenant),
        role(tenant) if tenant.access == "spark" else None,
        role_binding(tenant),
        submitter_service_account(tenant),
        submitter_role(tenant),
        submitter_role_binding(tenant),
        submitter_token(tenant),
        resource_quota(tenant),
        priority_quota(tenant),
        limit_range(tenant),
        driver_budget(tenant),
    ]
    return [obj for obj in candidates if obj is not None]
