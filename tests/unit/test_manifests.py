"""The pure Kubernetes layer: tenants pinned to their nodes, DNS on its nodes, Spark settings.

Properties are checked on the two shipped stacks and on generated platforms (hypothesis),
because the invariants (a tenant's selector matches its nodes and no others; kubelet's
clusterDNS is where CoreDNS runs) must hold for every valid configuration, not for one.
"""

from __future__ import annotations

import json
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components import manifests, network
from components.config import NodeConfig, Platform, Quota, TenantConfig
from components.hostfiles import kubeadm
from components.manifests import coredns, nodes, priorities, spark, tenants
from components.manifests.meta import key
from components.stack import load_stack_file
from components.validation import load_platform
from tests.factories import node as node_entry, valid_config

STACKS = ("dev", "prod")
IMAGE = spark.IMAGE_KEY
KUBELET_LABELS = {"kubernetes.io/os": "linux"}  # kubelet labels every Linux node so

# Written out from the design (README, Kubernetes docs), never read from the modules under
# test: a misspelt annotation silently switches its admission plugin off, and a test that
# looked the key up in the module would follow the typo.
NODE_SELECTOR = "scheduler.alpha.kubernetes.io/node-selector"
DEFAULT_TOLERATIONS = "scheduler.alpha.kubernetes.io/defaultTolerations"
TOLERATIONS_WHITELIST = "scheduler.alpha.kubernetes.io/tolerationsWhitelist"
TENANT_LABEL = "spark-on-metal.io/tenant"
DNS_NODE_LABEL = "spark-on-metal.io/dns"
CONTROL_PLANE_TAINT = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
DEFAULT_TENANT_LABEL_KEY = "node-restriction.kubernetes.io/tenant"


@pytest.fixture(scope="module", params=STACKS)
def platform(request: pytest.FixtureRequest) -> Platform:
    return load_stack_file(request.param)


# ---------------------------------------------------------------------------- generated platforms


@st.composite
def platforms(draw: st.DrawFn) -> Platform:
    """A valid platform: 1-2 DNS nodes, 1-6 workers shared out among 0-3 tenants."""
    workers = draw(st.integers(1, 6))
    raw_nodes = [node_entry("cp", "10.0.0.10", "control-plane", "dns")]
    if draw(st.booleans()):
        raw_nodes.append(node_entry("dns2", "10.0.0.11", "worker", "dns"))
    names = [f"w{index}" for index in range(workers)]
    for index, name in enumerate(names):
        extra: dict[str, Any] = {}
        if draw(st.booleans()):
            extra["taints"] = [{"key": "example.com/gpu", "value": "yes", "effect": draw(st.sampled_from(["NoSchedule", "PreferNoSchedule"]))}]
        if draw(st.booleans()):
            extra["labels"] = {"example.com/rack": f"r{index % 2}"}
        raw_nodes.append(node_entry(name, f"10.0.0.{20 + index}", **extra))
    owners = draw(st.lists(st.integers(-1, 2), min_size=workers, max_size=workers))
    raw_tenants = []
    for tenant in range(3):
        members = [name for name, owner in zip(names, owners, strict=True) if owner == tenant]
        if members:
            entry: dict[str, Any] = {"name": f"team{tenant}", "nodes": members, "taintNodes": draw(st.booleans())}
            entry["access"] = draw(st.sampled_from(["spark", "edit"]))
            if draw(st.booleans()):
                entry["nodeLabel"] = f"example.com/team=t{tenant}"
            raw_tenants.append(entry)
    return load_platform(valid_config(nodes=raw_nodes, tenants=raw_tenants), "generated")


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def by_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [obj for obj in objects if obj["kind"] == kind]


def node_patch_labels(objects: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    return {obj["metadata"]["name"]: obj["metadata"]["labels"] for obj in objects if nodes.is_node_patch(obj)}


# ---------------------------------------------------------------------------- tenants and nodes


def tolerates(toleration: dict[str, str], taint: dict[str, str]) -> bool:
    """Kubernetes' matching rule (an empty key with Exists matches every taint)."""
    key_matches = toleration.get("key", "") in ("", taint["key"]) if toleration["operator"] == "Exists" else toleration["key"] == taint["key"]
    value_matches = toleration["operator"] == "Exists" or toleration.get("value", "") == taint.get("value", "")
    return key_matches and value_matches and toleration.get("effect", "") in ("", taint["effect"])


def tenant_label(tenant: TenantConfig) -> tuple[str, str]:
    """``nodeLabel`` as configured, else the default key with the tenant's name (README)."""
    if tenant.node_label is None:
        return DEFAULT_TENANT_LABEL_KEY, tenant.name
    label_key, _, label_value = tenant.node_label.partition("=")
    return label_key, label_value


def expected_tenant_taint(tenant: TenantConfig) -> dict[str, str] | None:
    """NoSchedule on the tenant's label; an empty label value is no value to Kubernetes."""
    if not tenant.taint_nodes:
        return None
    label_key, label_value = tenant_label(tenant)
    return {"key": label_key, **({"value": label_value} if label_value else {}), "effect": "NoSchedule"}


def expected_toleration(taint: dict[str, str]) -> dict[str, str]:
    """Exactly the taint: Equal on its value, Exists when it has none."""
    if taint.get("value"):
        return {"key": taint["key"], "operator": "Equal", "value": taint["value"], "effect": taint["effect"]}
    return {"key": taint["key"], "operator": "Exists", "effect": taint["effect"]}


def expected_taints(platform: Platform, node: NodeConfig) -> list[dict[str, str]]:
    """Control-plane taint on control planes, the tenant's taint on its nodes, then the
    node's extra taints as configured (their value dropped when empty)."""
    taints = [CONTROL_PLANE_TAINT] if "control-plane" in node.roles else []
    for tenant in platform.config.tenants:
        taint = expected_tenant_taint(tenant)
        if node.name in tenant.nodes and taint is not None:
            taints.append(taint)
    for extra in node.taints:
        taints.append({"key": extra.key, **({"value": extra.value} if extra.value else {}), "effect": extra.effect})
    return taints


def kubeadm_registration_taints(platform: Platform, node: NodeConfig) -> list[dict[str, str]]:
    """The taints in the kubeadm document the node registers with (init or join)."""
    document = kubeadm.init_configuration(platform) if node.name == platform.init_node.name else kubeadm.join_configuration(platform, node)
    return document["nodeRegistration"]["taints"]


def check_tenant_pinning(platform: Platform) -> None:
    objects = manifests.objects(platform)
    labels = node_patch_labels(objects)
    for tenant in platform.config.tenants:
        [namespace] = [obj for obj in by_kind(objects, "Namespace") if obj["metadata"]["name"] == tenant.name]
        selector = namespace["metadata"]["annotations"][NODE_SELECTOR]
        label_key, _, label_value = selector.partition("=")
        assert (label_key, label_value) == tenant_label(tenant)
        carriers = {name for name, node_labels in labels.items() if node_labels.get(label_key) == label_value}
        assert carriers == set(tenant.nodes), f"{tenant.name}: selector {selector} matches {carriers}"
        assert namespace["metadata"]["labels"][TENANT_LABEL] == tenant.name


def check_taints_match_registration(platform: Platform) -> None:
    """The node patch keeps exactly the list kubeadm registered the node with, and that
    list is what the node's roles and tenant call for (an independent statement of the rules)."""
    patches = {obj["metadata"]["name"]: obj for obj in manifests.objects(platform) if nodes.is_node_patch(obj)}
    assert set(patches) == {node.name for node in platform.kubernetes_nodes}
    for node in platform.kubernetes_nodes:
        expected = expected_taints(platform, node)
        assert patches[node.name]["spec"]["taints"] == expected, node.name
        assert kubeadm_registration_taints(platform, node) == expected, node.name


def check_tolerations(platform: Platform) -> None:
    """Defaults within the whitelist; no toleration for any other tenant's or the control plane's taint."""
    for tenant in platform.config.tenants:
        annotations = tenants.namespace(tenant)["metadata"]["annotations"]
        defaults = json.loads(annotations[DEFAULT_TOLERATIONS])
        whitelist = json.loads(annotations[TOLERATIONS_WHITELIST])
        assert whitelist, "an empty whitelist means 'anything goes' to PodTolerationRestriction"
        assert all(toleration in whitelist for toleration in defaults)
        foreign = [CONTROL_PLANE_TAINT] + [
            taint for other in platform.config.tenants if other.name != tenant.name
            for taint in [expected_tenant_taint(other)] if taint is not None
        ]
        for taint in foreign:
            assert not any(tolerates(toleration, taint) for toleration in whitelist), (tenant.name, taint)
        own = expected_tenant_taint(tenant)
        assert defaults == ([expected_toleration(own)] if own is not None else [])
        if own is not None:  # the tenant's pods must still land on its own tainted nodes
            assert any(tolerates(toleration, own) for toleration in defaults)


def check_dns_agreement(platform: Platform) -> None:
    """The DaemonSet's nodes (by label, tolerating their taints) are exactly kubelet's clusterDNS."""
    objects = manifests.objects(platform)
    [daemon_set] = by_kind(objects, "DaemonSet")
    pod = daemon_set["spec"]["template"]["spec"]
    selector = pod["nodeSelector"]
    selected = [
        node for node in platform.kubernetes_nodes
        if selector.items() <= {**KUBELET_LABELS, **nodes.node_labels(platform, node)}.items()
    ]
    assert [str(node.address) for node in selected] == kubeadm.kubelet_configuration(platform)["clusterDNS"]
    assert network.dns_servers(platform) == kubeadm.kubelet_configuration(platform)["clusterDNS"]
    tolerated = {(t["key"], t["effect"]) for t in pod["tolerations"]}
    for node in selected:
        assert {(t["key"], t["effect"]) for t in expected_taints(platform, node)} <= tolerated


CHECKS = (check_tenant_pinning, check_taints_match_registration, check_tolerations, check_dns_agreement)


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_invariants_on_shipped_stacks(platform: Platform, check: Callable[[Platform], None]) -> None:
    check(platform)


@PROPERTY
@given(platforms())
def test_invariants_on_generated_platforms(generated: Platform) -> None:
    for check in CHECKS:
        check(generated)


def test_prod_tenant_is_the_reference_tenant() -> None:
    prod = load_stack_file("prod")
    objects = manifests.objects(prod)
    [namespace] = [obj for obj in by_kind(objects, "Namespace") if obj["metadata"]["name"] == "spark"]
    assert namespace["metadata"]["annotations"][NODE_SELECTOR] == "spark=spark"
    labels = node_patch_labels(objects)
    assert {name for name, node_labels in labels.items() if node_labels.get("spark") == "spark"} == {
        "hadooptest-001", "hadooptest-002", "hadooptest-003"
    }
    assert labels["infra-001"][DNS_NODE_LABEL] == "true" and labels["hadooptest-cp"][DNS_NODE_LABEL] == "true"


def test_every_node_patch_forces_ownership_of_its_whole_taint_list(platform: Platform) -> None:
    for obj in manifests.objects(platform):
        if nodes.is_node_patch(obj):
            assert obj["metadata"]["annotations"] == {"pulumi.com/patchForce": "true"}
            assert "taints" in obj["spec"]  # even when empty: an atomic list is replaced whole


# ---------------------------------------------------------------------------- RBAC


def test_rbac_is_namespaced_for_tenants(platform: Platform) -> None:
    objects = manifests.objects(platform)
    names = {tenant.name for tenant in platform.config.tenants}
    for binding in by_kind(objects, "ClusterRoleBinding"):
        for subject in binding["subjects"]:
            assert subject.get("namespace") not in names
    for tenant in platform.config.tenants:
        bindings = {obj["metadata"]["name"]: obj for obj in by_kind(objects, "RoleBinding") if obj["metadata"]["namespace"] == tenant.name}
        assert set(bindings) == {"spark", "spark-submitter"}
        assert bindings["spark"]["subjects"] == [{"kind": "ServiceAccount", "name": "spark", "namespace": tenant.name}]
        assert bindings["spark-submitter"]["subjects"] == [
            {"kind": "ServiceAccount", "name": f"{tenant.name}-submitter", "namespace": tenant.name}
        ]


def test_spark_role_grants_exactly_the_drivers_needs() -> None:
    """On the prod stack's reference tenant: the rendered driver Role and the binding to it."""
    objects = manifests.objects(load_stack_file("prod"))
    [role] = [obj for obj in by_kind(objects, "Role") if obj["metadata"]["name"] == "spark-driver"]
    assert role["metadata"]["namespace"] == "spark"
    [rule] = role["rules"]
    assert rule["apiGroups"] == [""]
    assert sorted(rule["resources"]) == ["configmaps", "persistentvolumeclaims", "pods", "services"]
    assert sorted(rule["verbs"]) == ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
    [binding] = [obj for obj in by_kind(objects, "RoleBinding") if obj["metadata"]["name"] == "spark"]
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "spark-driver"}


def test_edit_access_binds_the_edit_cluster_role_in_the_namespace_only() -> None:
    tenant = load_stack_file("prod").config.tenants[0].model_copy(update={"access": "edit"})
    objects = tenants.objects(tenant)
    roles = [obj["metadata"]["name"] for obj in by_kind(objects, "Role")]
    assert roles == ["spark-submitter"]  # no driver Role: edit replaces it; submitting keeps its own
    assert not by_kind(objects, "ClusterRoleBinding")
    [binding] = [obj for obj in by_kind(objects, "RoleBinding") if obj["metadata"]["name"] == "spark"]
    assert binding["metadata"]["namespace"] == "spark"
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "spark", "namespace": "spark"}]
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"}


# ---------------------------------------------------------------------------- quotas and priorities


def test_quota_follows_config_and_never_caps_undefaulted_cpu_limits() -> None:
    tenant = load_stack_file("prod").config.tenants[0]
    assert tenants.quota_hard(tenant) == {"requests.cpu": "96", "requests.memory": "384Gi", "limits.memory": "384Gi", "pods": "1000"}
    with_cpu_limit = tenant.model_copy(update={"container_defaults": tenant.container_defaults.model_copy(update={"cpu_limit": "2"})})
    assert tenants.quota_hard(with_cpu_limit)["limits.cpu"] == "96"
    assert tenants.limit_range(with_cpu_limit)["spec"]["limits"][0]["default"] == {"cpu": "2", "memory": "4Gi"}


def test_tenant_without_quota_gets_no_empty_quota() -> None:
    tenant = load_stack_file("prod").config.tenants[0].model_copy(update={"quota": Quota()})
    assert tenants.resource_quota(tenant) is None


def test_tenants_cannot_use_the_reserved_priority_classes(platform: Platform) -> None:
    for tenant in platform.config.tenants:
        quota = tenants.priority_quota(tenant)
        assert quota["spec"]["hard"] == {"pods": "0"}
        [expression] = quota["spec"]["scopeSelector"]["matchExpressions"]
        assert expression == {"scopeName": "PriorityClass", "operator": "In", "values": list(priorities.RESERVED)}
        assert priorities.PLATFORM in expression["values"]


def test_priority_classes_follow_config() -> None:
    prod = load_stack_file("prod")
    classes = {obj["metadata"]["name"]: obj for obj in priorities.priority_classes(prod)}
    values = prod.config.spark.priorities
    assert [classes[name]["value"] for name in (priorities.PLATFORM, priorities.SERVICE, priorities.DRIVER, priorities.EXECUTOR)] == [
        values.platform, values.service, values.spark_driver, values.spark_executor
    ]
    assert classes[priorities.EXECUTOR]["preemptionPolicy"] == "Never"
    assert classes[priorities.DRIVER]["preemptionPolicy"] == "PreemptLowerPriority"
    assert not any(obj["globalDefault"] for obj in classes.values())


# ---------------------------------------------------------------------------- DNS


def test_dns_objects_avoid_kubeadms_coredns_names(platform: Platform) -> None:
    for obj in coredns.objects(platform):
        assert "coredns" not in obj["metadata"]["name"]
        assert obj["metadata"].get("namespace", "kube-system") == "kube-system"


def test_dns_runs_on_the_host_network_bound_to_the_node_address(platform: Platform) -> None:
    pod = coredns.daemon_set(platform)["spec"]["template"]["spec"]
    assert pod["hostNetwork"] is True and pod["dnsPolicy"] == "Default"
    assert pod["priorityClassName"] == "system-cluster-critical"
    [container] = pod["containers"]
    assert container["image"] == platform.coredns_image
    assert container["env"] == [{"name": "NODE_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}}]
    corefile = coredns.corefile()
    assert "bind {$NODE_IP}\n" in corefile
    assert "forward . /etc/resolv.conf" in corefile
    assert "kubernetes cluster.local in-addr.arpa ip6.arpa {" in corefile
    probe_ports = {container["livenessProbe"]["httpGet"]["port"], container["readinessProbe"]["httpGet"]["port"]}
    assert f"health {{$NODE_IP}}:{coredns.HEALTH_PORT}" in corefile and f"ready {{$NODE_IP}}:{coredns.READY_PORT}" in corefile
    # Ports the control plane, kubelet, kube-proxy and etcd hold on every host.
    assert not probe_ports & {6443, 2379, 2380, 10249, 10250, 10256, 10257, 10259, 8080, 8181}


def test_control_plane_dns_node_is_tolerated() -> None:
    prod = load_stack_file("prod")
    tolerations = coredns.daemon_set(prod)["spec"]["template"]["spec"]["tolerations"]
    assert {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"} in tolerations


# ---------------------------------------------------------------------------- Spark


def test_spark_defaults_pin_where_jobs_run() -> None:
    prod = load_stack_file("prod")
    tenant = prod.config.tenants[0].model_copy(
        update={"spark_conf": {"spark.kubernetes.namespace": "elsewhere", IMAGE: "mine/spark:4.0.0", "spark.eventLog.enabled": "true"}}
    )
    conf = spark.spark_conf(prod, tenant)
    assert conf["spark.master"] == "k8s://https://k8s-api.hadooptest.internal:6443"
    assert conf["spark.kubernetes.namespace"] == "spark"
    assert conf["spark.kubernetes.authenticate.driver.serviceAccountName"] == "spark"
    assert conf["spark.kubernetes.node.selector.spark"] == "spark"
    assert conf[IMAGE] == "mine/spark:4.0.0"  # a default a tenant may override
    assert conf["spark.eventLog.enabled"] == "true"
    assert list(conf) == sorted(conf)



def test_platform_setting_keys_cover_every_pinned_setting(platform: Platform) -> None:
    for tenant in platform.config.tenants:
        pinned = {*spark.platform_settings(platform, tenant), *spark.template_conf(spark.CONF_DIR)}
        assert pinned == spark.platform_setting_keys(tenant)


def test_spark_config_map_is_a_conf_dir() -> None:
    prod = load_stack_file("prod")
    config_map = spark.config_map(prod, prod.config.tenants[0])
    assert config_map["metadata"] == {**config_map["metadata"], "name": "spark-defaults", "namespace": "spark"}
    lines = config_map["data"]["spark-defaults.conf"].splitlines()
    assert "spark.kubernetes.driver.podTemplateFile /opt/spark/conf/driver-pod-template.yaml" in lines
    assert "spark.kubernetes.executor.podTemplateFile /opt/spark/conf/executor-pod-template.yaml" in lines
    assert "spark.kubernetes.container.image registry.aliyuncs.com/spark-on-metal/spark:3.5.3" in lines


def test_properties_escaping() -> None:
    text = spark.defaults_file({"a key": "C:\\dir\nnext", "b": " lead"})
    assert "a\\ key C:\\\\dir\\nnext\n" in text
    assert "b \\ lead\n" in text


@pytest.mark.parametrize("role", spark.ROLES)
def test_pod_templates_carry_priority_dns_and_tolerations(role: spark.PodRole) -> None:
    prod = load_stack_file("prod")
    template = spark.pod_template(prod, prod.config.tenants[0], role)
    spec = template["spec"]
    assert spec["priorityClassName"] == spark.PRIORITY_CLASSES[role]
    assert spec["dnsConfig"]["options"] == [
        {"name": "single-request-reopen"},
        {"name": "timeout", "value": str(prod.config.dns.timeout_seconds)},
        {"name": "attempts", "value": str(prod.config.dns.attempts)},
    ]
    assert spec["tolerations"] == [{"key": "spark", "operator": "Equal", "value": "spark", "effect": "NoSchedule"}]
    assert spec["containers"] == [{"name": spark.CONTAINER_NAMES[role]}]


# ---------------------------------------------------------------------------- the whole list


def test_objects_are_unique_deterministic_and_dependency_ordered(platform: Platform) -> None:
    objects = manifests.objects(platform)
    keys = [key(obj) for obj in objects]
    assert len(keys) == len(set(keys))
    assert objects == manifests.objects(platform)
    edges = manifests.prerequisites(objects)
    position = {k: index for index, k in enumerate(keys)}
    for obj in objects:
        for needed in edges[key(obj)]:
            assert position[needed] < position[key(obj)]
    [daemon_set] = by_kind(objects, "DaemonSet")
    needs = edges[key(daemon_set)]
    assert ("ConfigMap", "kube-system", coredns.NAME) in needs
    assert all(("Node", "", node.name) in needs for node in platform.dns_nodes)


def test_every_tenant_object_lives_in_the_tenant_namespace(platform: Platform) -> None:
    names = {tenant.name for tenant in platform.config.tenants}
    for tenant in platform.config.tenants:
        for obj in manifests.tenant_objects(platform, tenant):
            assert manifests.owner_tenant(obj, names) == tenant.name


def test_dns_does_not_wait_for_tenant_namespaces() -> None:
    objects = manifests.objects(load_stack_file("prod"))
    [daemon_set] = by_kind(objects, "DaemonSet")
    assert ("Namespace", "", "spark") not in manifests.prerequisites(objects)[key(daemon_set)]


def test_a_token_secret_waits_for_its_service_account() -> None:
    """The token controller deletes a token Secret whose account is not there yet, and the
    provider waits 5 s for the token: the account must exist first (a real bring-up failed
    on this race)."""
    objects = manifests.objects(load_stack_file("dev"))
    edges = manifests.prerequisites(objects)
    assert edges[("Secret", "analytics", "analytics-submitter-token")] == [
        ("Namespace", "", "analytics"), ("ServiceAccount", "analytics", "analytics-submitter")]
    keys = [key(obj) for obj in objects]
    assert keys.index(("ServiceAccount", "analytics", "analytics-submitter")) < keys.index(
        ("Secret", "analytics", "analytics-submitter-token"))
