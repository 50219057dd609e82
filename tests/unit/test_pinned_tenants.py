"""The exact objects that confine a tenant: annotations, RBAC, quotas, defaults.

Every expected value is written out literally. A misspelt ``defaultTolerations`` or
``tolerationsWhitelist`` annotation silently switches PodTolerationRestriction off; a
RoleBinding to ``edit`` instead of the driver's Role, or one more verb
(``impersonate``, ``escalate``), widens what a tenant's job may do; none of these may pass
the tests. The RBAC rules are pinned as the working tree had them on 2026-12-03
(issue 17); changing them is a decision, so it changes this file too.
"""

from __future__ import annotations

import json
from typing import Any

from components.manifests import spark, tenants
from components.vocabulary import SPARK_ROLE_LABEL
from components.config import TenantConfig
from tests.factories import load, valid_config, with_settings

PART_OF = {"app.kubernetes.io/part-of": "spark-on-metal"}
RBAC = "rbac.authorization.k8s.io"

SPARK_TOLERATION = {"effect": "NoSchedule", "key": "spark", "operator": "Equal", "value": "spark"}
CONDITIONS = [
    {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists"},
    {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists"},
    {"effect": "NoSchedule", "key": "node.kubernetes.io/memory-pressure", "operator": "Exists"},
    {"effect": "NoSchedule", "key": "node.kubernetes.io/disk-pressure", "operator": "Exists"},
    {"effect": "NoSchedule", "key": "node.kubernetes.io/pid-pressure", "operator": "Exists"},
    {"effect": "NoSchedule", "key": "node.kubernetes.io/network-unavailable", "operator": "Exists"},
    {"effect": "NoSchedule", "key": "node.kubernetes.io/unschedulable", "operator": "Exists"},
]

DRIVER_RULES = [
    {
        "apiGroups": [""],
        "resources": ["pods", "configmaps", "persistentvolumeclaims", "services"],
        "verbs": ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"],
    }
]
SUBMITTER_RULES = [
    {
        "apiGroups": [""],
        "resources": ["pods", "services", "configmaps", "persistentvolumeclaims"],
        "verbs": ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"],
    },
    {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
    {"apiGroups": [""], "resources": ["pods/portforward"], "verbs": ["create"]},
    {"apiGroups": [""], "resources": ["events"], "verbs": ["get", "list", "watch"]},
]


def tenant(**changes: Any) -> TenantConfig:
    """Tenant ``spark`` of the base stack with ``tenants[0].<key>`` changes applied."""
    config = with_settings(valid_config(), {f"tenants[0].{key}": value for key, value in changes.items()})
    return load(config).config.tenants[0]


def by_kind_and_name(t: TenantConfig) -> dict[tuple[str, str], dict[str, Any]]:
    return {(obj["kind"], obj["metadata"]["name"]): obj for obj in tenants.objects(t)}


def parsed(annotation: str) -> Any:
    return json.loads(annotation)


# ---------------------------------------------------------------------------- the namespace


def test_namespace_carries_the_three_admission_annotations_under_their_exact_names() -> None:
    namespace = tenants.namespace(tenant())
    assert namespace["apiVersion"] == "v1" and namespace["kind"] == "Namespace"
    meta = namespace["metadata"]
    assert meta["name"] == "spark" and "namespace" not in meta
    assert meta["labels"] == {**PART_OF, "spark-on-metal.io/tenant": "spark"}
    assert set(meta["annotations"]) == {
        "scheduler.alpha.kubernetes.io/node-selector",
        "scheduler.alpha.kubernetes.io/defaultTolerations",
        "scheduler.alpha.kubernetes.io/tolerationsWhitelist",
    }
    assert meta["annotations"]["scheduler.alpha.kubernetes.io/node-selector"] == "spark=spark"
    assert parsed(meta["annotations"]["scheduler.alpha.kubernetes.io/defaultTolerations"]) == [SPARK_TOLERATION]
    assert parsed(meta["annotations"]["scheduler.alpha.kubernetes.io/tolerationsWhitelist"]) == [SPARK_TOLERATION, *CONDITIONS]


def test_toleration_annotations_are_compact_json_with_sorted_keys() -> None:
    """Byte-stable: the same stack renders the same bytes (and plans no change)."""
    annotations = tenants.namespace(tenant())["metadata"]["annotations"]
    assert annotations["scheduler.alpha.kubernetes.io/defaultTolerations"] == (
        '[{"effect":"NoSchedule","key":"spark","operator":"Equal","value":"spark"}]'
    )
    assert annotations["scheduler.alpha.kubernetes.io/tolerationsWhitelist"].startswith(
        '[{"effect":"NoSchedule","key":"spark","operator":"Equal","value":"spark"},'
        '{"effect":"NoExecute","key":"node.kubernetes.io/not-ready","operator":"Exists"},'
    )


def test_a_tenant_that_does_not_taint_gets_no_default_toleration_and_a_non_empty_whitelist() -> None:
    """An empty whitelist means "anything goes" to PodTolerationRestriction, so the
    condition tolerations keep it non-empty even with nothing of the tenant's own."""
    annotations = tenants.namespace(tenant(taintNodes=False))["metadata"]["annotations"]
    assert annotations["scheduler.alpha.kubernetes.io/node-selector"] == "spark=spark"
    assert annotations["scheduler.alpha.kubernetes.io/defaultTolerations"] == "[]"
    assert parsed(annotations["scheduler.alpha.kubernetes.io/tolerationsWhitelist"]) == CONDITIONS


def test_the_default_node_label_selects_by_the_tenant_name() -> None:
    annotations = tenants.namespace(tenant(nodeLabel=None))["metadata"]["annotations"]
    assert annotations["scheduler.alpha.kubernetes.io/node-selector"] == "node-restriction.kubernetes.io/tenant=spark"
    assert parsed(annotations["scheduler.alpha.kubernetes.io/defaultTolerations"]) == [
        {"effect": "NoSchedule", "key": "node-restriction.kubernetes.io/tenant", "operator": "Equal", "value": "spark"}
    ]


def test_an_empty_label_value_is_tolerated_with_exists() -> None:
    annotations = tenants.namespace(tenant(nodeLabel="team="))["metadata"]["annotations"]
    assert annotations["scheduler.alpha.kubernetes.io/node-selector"] == "team="
    assert parsed(annotations["scheduler.alpha.kubernetes.io/defaultTolerations"]) == [
        {"effect": "NoSchedule", "key": "team", "operator": "Exists"}
    ]


# ---------------------------------------------------------------------------- RBAC


def test_spark_access_binds_the_driver_account_to_the_spark_driver_role_in_the_namespace() -> None:
    objects = by_kind_and_name(tenant())
    assert objects[("RoleBinding", "spark")] == {
        "apiVersion": f"{RBAC}/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "spark", "namespace": "spark", "labels": PART_OF},
        "subjects": [{"kind": "ServiceAccount", "name": "spark", "namespace": "spark"}],
        "roleRef": {"apiGroup": RBAC, "kind": "Role", "name": "spark-driver"},
    }
    assert objects[("Role", "spark-driver")] == {
        "apiVersion": f"{RBAC}/v1",
        "kind": "Role",
        "metadata": {"name": "spark-driver", "namespace": "spark", "labels": PART_OF},
        "rules": DRIVER_RULES,
    }


def test_edit_access_binds_the_edit_cluster_role_in_the_namespace_only_and_creates_no_role() -> None:
    objects = by_kind_and_name(tenant(access="edit"))
    binding = objects[("RoleBinding", "spark")]
    assert binding["kind"] == "RoleBinding"  # never a ClusterRoleBinding: edit in every namespace
    assert binding["metadata"]["namespace"] == "spark"
    assert binding["roleRef"] == {"apiGroup": RBAC, "kind": "ClusterRole", "name": "edit"}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "spark", "namespace": "spark"}]
    assert ("Role", "spark-driver") not in objects


def test_the_submitter_has_its_own_account_role_binding_and_token() -> None:
    objects = by_kind_and_name(tenant())
    assert objects[("ServiceAccount", "spark-submitter")] == {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "spark-submitter", "namespace": "spark", "labels": PART_OF},
        "automountServiceAccountToken": False,
    }
    assert objects[("Role", "spark-submitter")]["rules"] == SUBMITTER_RULES
    assert objects[("Role", "spark-submitter")]["metadata"]["namespace"] == "spark"
    assert objects[("RoleBinding", "spark-submitter")] == {
        "apiVersion": f"{RBAC}/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "spark-submitter", "namespace": "spark", "labels": PART_OF},
        "subjects": [{"kind": "ServiceAccount", "name": "spark-submitter", "namespace": "spark"}],
        "roleRef": {"apiGroup": RBAC, "kind": "Role", "name": "spark-submitter"},
    }
    assert objects[("Secret", "spark-submitter-token")] == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "spark-submitter-token",
            "namespace": "spark",
            "labels": PART_OF,
            "annotations": {"kubernetes.io/service-account.name": "spark-submitter"},
        },
        "type": "kubernetes.io/service-account-token",
    }


def test_the_submitter_is_named_after_its_tenant() -> None:
    """Another tenant's token reads as whose it is."""
    ml = load(with_settings(valid_config(), {"tenants[0].name": "ml"})).config.tenants[0]
    objects = by_kind_and_name(ml)
    assert objects[("RoleBinding", "spark-submitter")]["subjects"] == [
        {"kind": "ServiceAccount", "name": "ml-submitter", "namespace": "ml"}
    ]
    assert objects[("Secret", "ml-submitter-token")]["metadata"]["annotations"] == {
        "kubernetes.io/service-account.name": "ml-submitter"
    }


def test_the_driver_and_executor_accounts() -> None:
    """The driver's account mounts its token (it creates executors); the executors' never does."""
    objects = by_kind_and_name(tenant())
    assert objects[("ServiceAccount", "spark")] == {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "spark", "namespace": "spark", "labels": PART_OF},
    }
    assert objects[("ServiceAccount", "spark-executor")] == {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "spark-executor", "namespace": "spark", "labels": PART_OF},
        "automountServiceAccountToken": False,
    }


def test_no_rule_grants_secrets_wildcards_or_privilege_verbs() -> None:
    """Whatever rules are added later: nothing that reads Secrets or lets a tenant act as,
    or grant itself, more than it has."""
    for t in (tenant(), tenant(access="edit")):
        for obj in tenants.objects(t):
            for rule in obj.get("rules", []):
                assert "secrets" not in rule["resources"] and "*" not in rule["resources"], rule
                assert not {"*", "impersonate", "escalate", "bind"} & set(rule["verbs"]), rule
                assert rule["apiGroups"] == [""], rule


# ---------------------------------------------------------------------------- quotas and defaults


def test_the_quota_caps_every_configured_resource_under_its_kubernetes_name() -> None:
    quota = by_kind_and_name(
        tenant(quota={"cpu": "40", "memory": "160Gi", "pods": 200, "persistentVolumeClaims": 20, "storage": "2Ti"})
    )[("ResourceQuota", "tenant-quota")]
    assert quota == {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "tenant-quota", "namespace": "spark", "labels": PART_OF},
        "spec": {
            "hard": {
                "requests.cpu": "40",
                "requests.memory": "160Gi",
                "limits.memory": "160Gi",
                "pods": "200",
                "persistentvolumeclaims": "20",
                "requests.storage": "2Ti",
            }
        },
    }


def test_cpu_limits_are_capped_only_when_the_limit_range_defaults_them() -> None:
    hard = tenants.quota_hard(tenant(quota={"cpu": "40"}, containerDefaults={"cpuLimit": "2"}))
    assert hard == {"requests.cpu": "40", "limits.cpu": "40"}


def test_zero_counts_are_caps_too() -> None:
    """``pods: 0`` / ``persistentVolumeClaims: 0`` forbid, they are not "unset"."""
    hard = tenants.quota_hard(tenant(quota={"pods": 0, "persistentVolumeClaims": 0}))
    assert hard == {"pods": "0", "persistentvolumeclaims": "0"}


def test_no_quota_settings_no_quota_object() -> None:
    objects = by_kind_and_name(tenant())
    assert ("ResourceQuota", "tenant-quota") not in objects


def test_the_reserved_priority_classes_are_closed_to_the_tenant() -> None:
    assert by_kind_and_name(tenant())[("ResourceQuota", "reserved-priority-classes")] == {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "reserved-priority-classes", "namespace": "spark", "labels": PART_OF},
        "spec": {
            "hard": {"pods": "0"},
            "scopeSelector": {
                "matchExpressions": [
                    {
                        "scopeName": "PriorityClass",
                        "operator": "In",
                        "values": ["spark-on-metal-platform", "system-cluster-critical", "system-node-critical"],
                    }
                ]
            },
        },
    }


def test_the_limit_range_defaults_containers_that_state_nothing() -> None:
    assert by_kind_and_name(tenant())[("LimitRange", "container-defaults")] == {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "container-defaults", "namespace": "spark", "labels": PART_OF},
        "spec": {
            "limits": [
                {
                    "type": "Container",
                    "defaultRequest": {"cpu": "500m", "memory": "1Gi"},
                    "default": {"memory": "4Gi"},
                }
            ]
        },
    }


def test_the_limit_range_takes_the_configured_defaults_and_a_cpu_limit_when_given() -> None:
    defaults = {"cpuRequest": "250m", "memoryRequest": "2Gi", "cpuLimit": "3", "memoryLimit": "8Gi"}
    [limits] = by_kind_and_name(tenant(containerDefaults=defaults))[("LimitRange", "container-defaults")]["spec"]["limits"]
    assert limits == {
        "type": "Container",
        "defaultRequest": {"cpu": "250m", "memory": "2Gi"},
        "default": {"cpu": "3", "memory": "8Gi"},
    }


# ---------------------------------------------------------------------------- the whole set


def test_a_tenant_is_exactly_these_objects_namespace_first() -> None:
    """Nothing missing, nothing extra (one more object is one more thing a tenant may hold)."""
    names = [(obj["kind"], obj["metadata"]["name"]) for obj in tenants.objects(tenant(quota={"pods": 10}))]
    assert names == [
        ("Namespace", "spark"),
        ("ServiceAccount", "spark"),
        ("ServiceAccount", "spark-executor"),
        ("Role", "spark-driver"),
        ("RoleBinding", "spark"),
        ("ServiceAccount", "spark-submitter"),
        ("Role", "spark-submitter"),
        ("RoleBinding", "spark-submitter"),
        ("Secret", "spark-submitter-token"),
        ("ResourceQuota", "tenant-quota"),
        ("ResourceQuota", "reserved-priority-classes"),
        ("LimitRange", "container-defaults"),
        ("PodDisruptionBudget", "spark-drivers"),
    ]
    assert all(obj["metadata"]["namespace"] == "spark" for obj in tenants.objects(tenant())[1:])


def test_no_running_driver_may_be_evicted_and_executors_may() -> None:
    """A drain (an upgrade's, a node's removal) waits for a tenant's drivers: a driver is a
    bare pod, and its job dies with it; its executors are replaced by the driver."""
    budget = by_kind_and_name(tenant())[("PodDisruptionBudget", "spark-drivers")]
    assert budget["apiVersion"] == "policy/v1"
    # an integer minAvailable: the only form that counts for pods without a controller
    assert budget["spec"] == {"minAvailable": 1000000, "selector": {"matchLabels": {SPARK_ROLE_LABEL: "driver"}},
                              "unhealthyPodEvictionPolicy": "AlwaysAllow"}
    # the label the platform's pod templates put on drivers, and only on them
    assert spark.ROLES == ("driver", "executor") and spark.ROLE_LABEL == SPARK_ROLE_LABEL
