"""The policy pack's rules on passing and violating resources, and the pack as Pulumi runs it.

Rules are called directly with plain dicts; the last tests drive the pack through
pulumi_policy's own analyzer servicer (real protobuf requests, real property
deserialization and unknown handling), with only the gRPC server stubbed out.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
import yaml
from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policy"
sys.path.insert(0, str(POLICY))

from spark_policies import (  # noqa: E402
    pod_security_violations,
    rbac_violations,
    secret_step_violations,
    tenant_rbac_violations,
    tenant_selector_violations,
    tenant_workload_violations,
)
from spark_policies import secret_steps, tenancy  # noqa: E402
from spark_policies.model import Resource, Violation  # noqa: E402

COMMAND = "command:remote:Command"
NAMESPACE = "kubernetes:core/v1:Namespace"
NODE_PATCH = "kubernetes:core/v1:NodePatch"
CRB = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
RB = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
TENANT_KEY = "node-restriction.kubernetes.io/tenant"
SELECTOR = "scheduler.alpha.kubernetes.io/node-selector"
TOKEN = "abcdef.0123456789abcdef"
HEX64 = "3f" * 32


def secret_outputs(*names: str) -> SimpleNamespace:
    """Resource options as pulumi_policy passes them (only the field the rule reads)."""
    return SimpleNamespace(additional_secret_outputs=list(names))


# --- secret steps -----------------------------------------------------------------------

GOOD_COMMAND = {"create": "bash -s -- apply", "delete": "bash -s -- remove", "logging": "none", "stdin": "#!/bin/bash"}


@pytest.mark.parametrize("name", ["cp1-kubeadm", "cp1-join-credentials", "hadooptest-001-kubeadm"])
def test_secret_step_done_right_passes(name: str) -> None:
    assert secret_step_violations(COMMAND, GOOD_COMMAND, name, secret_outputs("stdout", "stderr")) == []


@pytest.mark.parametrize(
    ("resource_type", "name"),
    [(COMMAND, "cp1-prepare-host"), (COMMAND, "w1-node-registered"), ("command:local:Command", "cp1-kubeadm")],
)
def test_other_commands_are_not_secret_steps(resource_type: str, name: str) -> None:
    assert secret_step_violations(resource_type, {"create": f"kubeadm join --token {TOKEN}"}, name, None) == []


@pytest.mark.parametrize(
    ("change", "opts", "expected"),
    [
        ({"logging": None}, secret_outputs("stdout"), "logging is unset"),
        ({"logging": "stdoutAndStderr"}, secret_outputs("stdout"), "logging is 'stdoutAndStderr'"),
        ({"logging": "stderr"}, secret_outputs("stdout"), "logging is 'stderr'"),
        ({}, None, '"stdout" is not in additional_secret_outputs'),
        ({}, secret_outputs("stderr"), '"stdout" is not in additional_secret_outputs'),
        ({"create": f"kubeadm join 10.0.0.61:6443 --token {TOKEN}"}, secret_outputs("stdout"), "bootstrap token"),
        ({"create": f"kubeadm join x --discovery-token-ca-cert-hash sha256:{HEX64}"}, secret_outputs("stdout"), "CA"),
        ({"update": f"kubeadm join --control-plane --certificate-key {HEX64}"}, secret_outputs("stdout"), "64-hex"),
        ({"delete": "echo '-----BEGIN RSA PRIVATE KEY-----' >k"}, secret_outputs("stdout"), "PEM block"),
        ({"create": "echo bG9uZ1NlY3JldEtleU1hdGVyaWFsMTIzNDU2Nzg5MA== | base64 -d"}, secret_outputs("stdout"), "random"),
    ],
)
def test_secret_step_violations(change: dict[str, Any], opts: Any, expected: str) -> None:
    props = {key: value for key, value in {**GOOD_COMMAND, **change}.items() if value is not None}
    problems = secret_step_violations(COMMAND, props, "w1-kubeadm", opts)
    assert len(problems) == 1 and expected in problems[0] and "w1-kubeadm (step kubeadm)" in problems[0]


def test_secret_step_command_computed_from_an_output_is_a_violation() -> None:
    props = unknown_checking_proxy({**GOOD_COMMAND, "create": UNKNOWN_STRING_VALUE})
    (problem,) = secret_step_violations(COMMAND, props, "w1-kubeadm", secret_outputs("stdout"))
    assert "create is computed from another resource's output" in problem


def test_secret_steps_are_the_programs() -> None:
    """The pack reads the program's vocabulary, and it names exactly the steps the pipeline marks secret."""
    from components.steps import PIPELINE

    assert secret_steps.SECRET_STEPS == {"kubeadm-init", "join-credentials", "kubeadm-join", "certificates"}
    assert {phase.name for phase in PIPELINE if phase.secret} == secret_steps.SECRET_STEPS


@pytest.mark.parametrize("selector", ["spark=spark\n", "spark\n=spark", "spark=", "=spark", "a=b,c=d"])
def test_a_selector_the_core_refuses_is_refused_by_the_pack_too(selector: str) -> None:
    """The pack's parser once took a trailing newline the core refuses (drifted copies)."""
    with pytest.raises(ValueError):
        tenancy.parse_selector(selector)


# --- tenant node selectors (stack) -------------------------------------------------------


def namespace(name: str, tenant: str, selector: str | None = None, **metadata: Any) -> Resource:
    annotations = {SELECTOR: selector} if selector is not None else {}
    props = {"metadata": {"name": name, "labels": {"spark-on-metal.io/tenant": tenant}, "annotations": annotations}}
    props["metadata"].update(metadata)
    return Resource(NAMESPACE, props, name, urn=f"urn:ns:{name}")


def node_patch(node: str, labels: dict[str, Any]) -> Resource:
    return Resource(NODE_PATCH, {"metadata": {"name": node, "labels": labels}}, f"{node}-labels", urn=f"urn:node:{node}")


def member(tenant: str, key: str = TENANT_KEY, value: str | None = None) -> dict[str, str]:
    """Labels of a node that belongs to ``tenant``: its selector label and the membership label."""
    return {key: value or tenant, "spark-on-metal.io/tenant": tenant}


def consistent_stack() -> list[Resource]:
    return [
        namespace("analytics", "analytics", f"{TENANT_KEY}=analytics"),
        namespace("spark", "spark", "spark=spark"),
        node_patch("w1", member("analytics")),
        node_patch("w2", member("analytics")),
        node_patch("w3", member("spark", "spark", "spark")),
        node_patch("cp1", {"node-role.kubernetes.io/control-plane": ""}),
        Resource("kubernetes:core/v1:Namespace", {"metadata": {"name": "kube-system"}}, "kube-system"),
    ]


def messages(violations: Iterable[Violation]) -> list[str]:
    return [violation.message for violation in violations]


def test_consistent_tenancy_passes() -> None:
    assert list(tenant_selector_violations(consistent_stack())) == []


def test_selector_without_membership_labels_needs_only_a_matching_node() -> None:
    stack = [namespace("analytics", "analytics", f"{TENANT_KEY}=analytics"), node_patch("w1", {TENANT_KEY: "analytics"})]
    assert list(tenant_selector_violations(stack)) == []


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        (None, "has no scheduler.alpha.kubernetes.io/node-selector annotation"),
        ("", "has no scheduler.alpha.kubernetes.io/node-selector annotation"),
        (f"{TENANT_KEY}=analytics,disk=ssd", "is not a single key=value pair"),
        (TENANT_KEY, "is not a single key=value pair"),
        (f"{TENANT_KEY}=", "is not a valid label key=value"),
        ("bad key=analytics", "is not a valid label key=value"),
        (f"{TENANT_KEY}=a=b", "is not a valid label key=value"),
        (f"{TENANT_KEY}=nobody", "matches no node"),
    ],
)
def test_bad_or_missing_selector_is_a_violation(selector: str | None, expected: str) -> None:
    stack = consistent_stack()
    stack[0] = namespace("analytics", "analytics", selector)
    found = list(tenant_selector_violations(stack))
    assert any(expected in v.message and v.urn == "urn:ns:analytics" for v in found), found


def test_selector_missing_one_of_the_tenants_nodes_is_a_violation() -> None:
    stack = consistent_stack() + [node_patch("w4", {"spark-on-metal.io/tenant": "analytics"})]
    (problem,) = messages(tenant_selector_violations(stack))
    assert "selects ['w1', 'w2'] but the tenant's nodes" in problem and "'w4'" in problem


def test_node_of_another_tenant_selected_is_a_violation() -> None:
    stack = consistent_stack() + [node_patch("w5", {TENANT_KEY: "analytics", "spark-on-metal.io/tenant": "spark"})]
    found = messages(tenant_selector_violations(stack))
    assert any("node w5 is selected by node selector" in m and "tenant spark's label" in m for m in found), found


def test_node_carrying_two_tenants_selector_labels_is_a_violation() -> None:
    stack = consistent_stack()
    stack[2] = node_patch("w1", {**member("analytics"), "spark": "spark"})
    found = messages(tenant_selector_violations(stack))
    assert any("node w1" in m and "tenant spark's label" in m for m in found), found
    assert any("tenant namespace spark (spark)" in m and "node w1" in m for m in found), found


def test_labels_of_several_patches_of_one_node_merge() -> None:
    stack = consistent_stack() + [node_patch("w3", {"spark": None})]  # a later patch removes the label
    assert any("spark=spark matches no node" in m for m in messages(tenant_selector_violations(stack)))


def test_unknown_values_skip_only_their_resource_then_report_incomplete() -> None:
    unknown = Resource(NAMESPACE, unknown_checking_proxy({"metadata": UNKNOWN_STRING_VALUE}), "later")
    stack = [unknown, *consistent_stack()]
    stack[1] = namespace("analytics", "analytics", None)
    found = []
    with pytest.raises(UnknownValueError):
        for violation in tenant_selector_violations(stack):
            found.append(violation)
    assert len(found) == 1 and "has no scheduler" in found[0].message


# --- RBAC ---------------------------------------------------------------------------------


def binding(resource_type: str, subjects: list[dict[str, str]], namespace: str | None = None) -> dict[str, Any]:
    metadata = {"name": "grant"} | ({"namespace": namespace} if namespace else {})
    return {"metadata": metadata, "roleRef": {"kind": "ClusterRole", "name": "edit"}, "subjects": subjects}


SPARK_SA = {"kind": "ServiceAccount", "name": "spark", "namespace": "analytics"}
TENANTS = frozenset({"analytics", "spark"})


@pytest.mark.parametrize(
    ("resource_type", "props"),
    [
        (RB, binding(RB, [SPARK_SA], "analytics")),
        (RB, binding(RB, [{"kind": "Group", "name": "system:serviceaccounts:analytics"}], "analytics")),
        (CRB, binding(CRB, [{"kind": "ServiceAccount", "name": "coredns", "namespace": "kube-system"}])),
        (CRB, binding(CRB, [{"kind": "Group", "name": "system:nodes"}])),
        (CRB, binding(CRB, [{"kind": "User", "name": "system:serviceaccount:kube-system:x"}])),
        ("kubernetes:core/v1:ServiceAccount", {"metadata": {"name": "spark", "namespace": "analytics"}}),
    ],
)
def test_rbac_within_the_tenant_namespace_passes(resource_type: str, props: dict[str, Any]) -> None:
    assert rbac_violations(resource_type, props, "grant", None, tenant_namespaces=TENANTS) == []


@pytest.mark.parametrize(
    ("resource_type", "subject", "namespace", "reached"),
    [
        (CRB, SPARK_SA, None, "analytics"),
        (CRB + "Patch", SPARK_SA, None, "analytics"),
        (CRB, {"kind": "Group", "name": "system:serviceaccounts:spark"}, None, "spark"),
        (CRB, {"kind": "Group", "name": "system:serviceaccounts"}, None, "analytics, spark"),
        (CRB, {"kind": "Group", "name": "system:authenticated"}, None, "analytics, spark"),
        (CRB, {"kind": "User", "name": "system:serviceaccount:analytics:spark"}, None, "analytics"),
        (RB, SPARK_SA, "kube-system", "analytics"),
        (RB, {"kind": "ServiceAccount", "name": "spark", "namespace": "spark"}, "analytics", "spark"),
        (RB, {"kind": "Group", "name": "system:serviceaccounts"}, "analytics", "spark"),
    ],
)
def test_rbac_reaching_a_tenant_outside_its_namespace_is_a_violation(
    resource_type: str, subject: dict[str, str], namespace: str | None, reached: str
) -> None:
    props = binding(resource_type, [subject], namespace)
    (problem,) = rbac_violations(resource_type, props, "grant", None, tenant_namespaces=TENANTS)
    assert f"covers tenant namespace(s) {reached};" in problem


def test_rbac_stack_rule_finds_tenants_and_binding_namespaces() -> None:
    provider = SimpleNamespace(props={"namespace": "kube-system"})  # RoleBinding without metadata.namespace
    stack = consistent_stack() + [
        Resource(CRB, binding(CRB, [SPARK_SA]), "tenant-edit", urn="urn:crb"),
        Resource(RB, binding(RB, [SPARK_SA], "analytics"), "spark-edit", urn="urn:rb-ok"),
        Resource(RB, binding(RB, [SPARK_SA]), "via-provider", urn="urn:rb-bad", provider=provider),
    ]
    assert [v.urn for v in tenant_rbac_violations(stack)] == ["urn:crb", "urn:rb-bad"]


# --- pods in tenant namespaces ------------------------------------------------------------

CONTAINER = {"name": "spark", "image": "spark:3.5.3"}
POD_SPEC = {"containers": [CONTAINER]}


def workload(kind: str, spec: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A pulumi-kubernetes type token and props of ``kind`` whose pods use ``spec``."""
    template = {"metadata": {"labels": {"app": "x"}}, "spec": spec}
    bodies = {
        "Pod": ("core/v1", {"spec": spec}),
        "ReplicationController": ("core/v1", {"spec": {"template": template}}),
        "Deployment": ("apps/v1", {"spec": {"template": template}}),
        "StatefulSet": ("apps/v1", {"spec": {"template": template}}),
        "DaemonSet": ("apps/v1", {"spec": {"template": template}}),
        "ReplicaSet": ("apps/v1", {"spec": {"template": template}}),
        "Job": ("batch/v1", {"spec": {"template": template}}),
        "CronJob": ("batch/v1", {"spec": {"jobTemplate": {"spec": {"template": template}}}}),
    }
    group, body = bodies[kind]
    return f"kubernetes:{group}:{kind}", {"metadata": {"name": "w", "namespace": "analytics"}, **body}


def pod_template_config_map(*templates: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    data = {f"t{index}.yaml": yaml.safe_dump(template) for index, template in enumerate(templates)}
    data["spark-defaults.conf"] = "spark.kubernetes.namespace analytics\n"
    return "kubernetes:core/v1:ConfigMap", {"metadata": {"name": "pod-templates", "namespace": "analytics"}, "data": data}


KINDS = ["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob"]
PRIVILEGED = {**CONTAINER, "securityContext": {"privileged": True}}
ESCALATING = {**CONTAINER, "securityContext": {"allowPrivilegeEscalation": True}}
BAD_SPECS = [
    ({**POD_SPEC, "hostNetwork": True}, "hostNetwork is true"),
    ({**POD_SPEC, "hostPID": True}, "hostPID is true"),
    ({**POD_SPEC, "hostIPC": True}, "hostIPC is true"),
    ({"containers": [PRIVILEGED]}, "containers[0] (spark): securityContext.privileged is true"),
    ({**POD_SPEC, "initContainers": [PRIVILEGED]}, "initContainers[0] (spark): securityContext.privileged"),
    ({**POD_SPEC, "ephemeralContainers": [ESCALATING]}, "ephemeralContainers[0] (spark): securityContext.allowPriv"),
    ({"containers": [CONTAINER, ESCALATING]}, "containers[1] (spark): securityContext.allowPrivilegeEscalation"),
]


@pytest.mark.parametrize("kind", KINDS)
def test_plain_workloads_pass(kind: str) -> None:
    resource_type, props = workload(kind, {**POD_SPEC, "hostNetwork": False})
    assert pod_security_violations(resource_type, props, "w", None) == []


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("spec", "expected"), BAD_SPECS, ids=[e for _, e in BAD_SPECS])
def test_host_access_in_any_workload_is_a_violation(kind: str, spec: dict[str, Any], expected: str) -> None:
    resource_type, props = workload(kind, spec)
    (problem,) = pod_security_violations(resource_type, props, "w", None)
    assert expected in problem


def test_patch_and_list_variants_are_read() -> None:
    resource_type, props = workload("Deployment", {**POD_SPEC, "hostPID": True})
    assert pod_security_violations(resource_type + "Patch", props, "w") != []
    pods = {"items": [{"kind": "Pod", "spec": {**POD_SPEC, "hostIPC": True}}]}
    (problem,) = pod_security_violations("kubernetes:core/v1:PodList", pods, "w")
    assert "items[0].spec.hostIPC is true" in problem


def test_benign_pod_templates_pass() -> None:
    resource_type, props = pod_template_config_map({"apiVersion": "v1", "kind": "Pod", "spec": POD_SPEC}, {"spec": {}})
    assert pod_security_violations(resource_type, props, "pod-templates") == []


@pytest.mark.parametrize(("spec", "expected"), BAD_SPECS, ids=[e for _, e in BAD_SPECS])
@pytest.mark.parametrize("with_kind", [True, False], ids=["kind-Pod", "no-kind"])
def test_pod_templates_in_config_maps_are_parsed(spec: dict[str, Any], expected: str, with_kind: bool) -> None:
    template = {"apiVersion": "v1", "metadata": {"labels": {"spark-role": "driver"}}, "spec": spec}
    resource_type, props = pod_template_config_map(template | ({"kind": "Pod"} if with_kind else {}))
    (problem,) = pod_security_violations(resource_type, props, "pod-templates")
    assert expected in problem and "data[t0.yaml]" in problem


def test_config_map_values_that_are_not_templates_are_ignored() -> None:
    data = {"a": "not: [valid", "b": "- a list", "c": "plain text", "d": "spec: 3"}
    assert pod_security_violations("kubernetes:core/v1:ConfigMap", {"data": data}, "cm") == []


def test_only_tenant_namespaces_are_held_to_the_rule() -> None:
    """The platform's own host-network CoreDNS in kube-system is fine; the same in a tenant's is not."""
    resource_type, props = workload("DaemonSet", {**POD_SPEC, "hostNetwork": True})
    in_kube_system = {**props, "metadata": {"name": "coredns", "namespace": "kube-system"}}
    via_provider = {**props, "metadata": {"name": "sneaky"}}
    stack = consistent_stack() + [
        Resource(resource_type, props, "tenant-ds", urn="urn:tenant"),
        Resource(resource_type, in_kube_system, "coredns", urn="urn:coredns"),
        Resource(resource_type, via_provider, "sneaky", urn="urn:sneaky", provider=SimpleNamespace(props={"namespace": "spark"})),
    ]
    assert [v.urn for v in tenant_workload_violations(stack)] == ["urn:tenant", "urn:sneaky"]


# --- the pack, as the Pulumi CLI runs it ------------------------------------------------------


def load_pack_main() -> ModuleType:
    """policy/__main__.py imported under another name: it must start nothing."""
    spec = importlib.util.spec_from_file_location("spark_on_metal_policy_main", POLICY / "__main__.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class StubServer:
    """Stands in for grpc.server: PolicyPack registers its servicer, prints a port, serves."""

    def add_insecure_port(self, address: str) -> int:
        return 50051

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


@pytest.fixture
def servicer(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Any]:
    """The pack's analyzer servicer, built by running policy/__main__.py's main() for real.

    ``PolicyPack(...)`` starts a gRPC server and sleeps until interrupted; the stubs let it
    construct and validate everything, then return on the first sleep.
    """
    import pulumi_policy.policy as sdk

    captured: list[Any] = []
    monkeypatch.setattr(sdk.grpc, "server", lambda *args, **kwargs: StubServer())
    monkeypatch.setattr(sdk.analyzer_pb2_grpc, "add_AnalyzerServicer_to_server", lambda s, _: captured.append(s))
    monkeypatch.setattr(sdk.time, "sleep", lambda _: (_ for _ in ()).throw(KeyboardInterrupt))
    load_pack_main().main()
    assert capsys.readouterr().out.strip() == "50051"  # the port handshake the engine reads
    yield captured[0]


def proto_resource(message: Any, resource_type: str, name: str, props: dict[str, Any], secret_outputs: list[str]) -> Any:
    struct = struct_pb2.Struct()
    struct.update(props)
    options = analyzer_pb2.AnalyzerResourceOptions(additionalSecretOutputs=secret_outputs)
    urn = f"urn:pulumi:dev::spark-on-metal::{resource_type}::{name}"
    return message(type=resource_type, name=name, urn=urn, properties=struct, options=options)


def test_pack_main_does_not_serve_when_imported() -> None:
    module = load_pack_main()
    assert [policy.name for policy in module.build_policies()] == [
        "secret-steps-stay-secret",
        "tenant-namespaces-pinned-to-tenant-nodes",
        "tenant-rbac-namespaced",
        "tenant-pods-unprivileged",
    ]


def test_pack_registers_every_policy_as_mandatory(servicer: Any) -> None:
    info = servicer.GetAnalyzerInfo(None, None)
    assert info.name == "spark-on-metal"
    assert {p.enforcementLevel for p in info.policies} == {analyzer_pb2.MANDATORY} and len(info.policies) == 4


def test_pack_reads_additional_secret_outputs_from_the_engine(servicer: Any) -> None:
    good = proto_resource(analyzer_pb2.AnalyzeRequest, COMMAND, "cp1-kubeadm", GOOD_COMMAND, ["stdout"])
    bad = proto_resource(analyzer_pb2.AnalyzeRequest, COMMAND, "cp1-kubeadm", GOOD_COMMAND, ["stderr"])
    assert list(servicer.Analyze(good, None).diagnostics) == []
    (diagnostic,) = servicer.Analyze(bad, None).diagnostics
    assert diagnostic.enforcementLevel == analyzer_pb2.MANDATORY and '"stdout" is not in' in diagnostic.message


def test_pack_flags_a_secret_step_command_unknown_at_preview(servicer: Any) -> None:
    props = {**GOOD_COMMAND, "create": UNKNOWN_STRING_VALUE}
    request = proto_resource(analyzer_pb2.AnalyzeRequest, COMMAND, "w1-kubeadm", props, ["stdout"])
    (diagnostic,) = servicer.Analyze(request, None).diagnostics
    assert "computed from another resource's output" in diagnostic.message


def test_pack_runs_stack_rules_on_the_engines_resources(servicer: Any) -> None:
    resource_type, daemon_set = workload("DaemonSet", {**POD_SPEC, "hostNetwork": True})
    stack = [*consistent_stack(), Resource(resource_type, daemon_set, "tenant-ds")]
    stack.append(Resource(CRB, binding(CRB, [SPARK_SA]), "tenant-edit"))
    stack[0] = namespace("analytics", "analytics", None)
    request = analyzer_pb2.AnalyzeStackRequest(
        resources=[
            proto_resource(analyzer_pb2.AnalyzerResource, r.resource_type, r.name, dict(r.props), [])
            for r in stack
        ]
    )
    found = {(d.policyName, d.urn.rsplit("::", 1)[-1]) for d in servicer.AnalyzeStack(request, None).diagnostics}
    assert found == {
        ("tenant-namespaces-pinned-to-tenant-nodes", "analytics"),
        ("tenant-rbac-namespaced", "tenant-edit"),
        ("tenant-pods-unprivileged", "tenant-ds"),
    }
