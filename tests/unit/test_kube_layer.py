"""The Pulumi shell of the Kubernetes layer, run under mocks (no CLI, no cluster).

A recording monitor keeps what the engine would see of each registration: type, name,
parent, provider, dependencies and inputs. The tests read the program's effect from
there, so they hold whatever the shell's internals look like.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pytest
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor

from components import manifests
from components.config import Platform
from components.hostfiles import kubeadm
from components.kube import LAYER_TYPE, TENANT_TYPE, KubernetesLayer, cluster_identifier, resource_name
from components.stack import load_stack_file

NODE_REGISTERED_TYPE = "test:steps:NodeRegistered"
# Written out, not read from components: a renamed annotation or label would otherwise be
# followed by the test instead of caught.
NODE_SELECTOR = "scheduler.alpha.kubernetes.io/node-selector"
DNS_NODE_LABEL = "spark-on-metal.io/dns"
KUBECONFIG = "apiVersion: v1\nkind: Config\n"


@dataclass(frozen=True)
class Registration:
    type: str
    name: str
    urn: str
    parent: str
    provider: str
    dependencies: tuple[str, ...]
    inputs: dict[str, Any]


class EchoMocks(pulumi.runtime.Mocks):
    """Every resource's outputs are its inputs (what an apply of the object returns)."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


class RecordingMonitor(MockMonitor):
    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.registrations.append(
                Registration(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    parent=request.parent,
                    provider=request.provider,
                    dependencies=tuple(request.dependencies),
                    inputs=rpc.deserialize_properties(request.object, keep_unknowns=True),
                )
            )
        return response


Deployed = tuple[Platform, list[Registration]]


def deploy(platform: Platform) -> list[Registration]:
    monitor = RecordingMonitor(EchoMocks())
    pulumi.runtime.set_mocks(monitor.mocks, project="spark-on-metal", stack=platform.stack, preview=False, monitor=monitor)

    @pulumi.runtime.test
    def program() -> pulumi.Output:
        registered = {
            node.name: [pulumi.CustomResource(NODE_REGISTERED_TYPE, f"{node.name}-node-registered")]
            for node in platform.joining_nodes
        }
        layer = KubernetesLayer("kubernetes", platform, kubeconfig=KUBECONFIG, node_dependencies=registered)
        return pulumi.Output.all(*(resource.urn for resource in layer.resources.values()))

    program()
    return monitor.registrations


@pytest.fixture(scope="module", params=["dev", "prod"])
def stack(request: pytest.FixtureRequest) -> Deployed:
    platform = load_stack_file(request.param)
    return platform, deploy(platform)


def kubernetes_resources(registrations: list[Registration]) -> list[Registration]:
    return [r for r in registrations if r.type.startswith("kubernetes:")]


def only(registrations: list[Registration], **match: str) -> Registration:
    [found] = [r for r in registrations if all(getattr(r, k) == v for k, v in match.items())]
    return found


def test_one_resource_per_managed_object_with_its_exact_fields(stack: Deployed) -> None:
    platform, registrations = stack
    resources = {r.name: r for r in kubernetes_resources(registrations)}
    objects = manifests.objects(platform)
    assert sorted(resources) == sorted(resource_name(obj) for obj in objects)
    for obj in objects:
        assert resources[resource_name(obj)].inputs == obj  # camelCase fields reach the provider untouched


def test_nodes_are_patched_never_created(stack: Deployed) -> None:
    platform, registrations = stack
    kinds = {r.type for r in kubernetes_resources(registrations)}
    assert "kubernetes:core/v1:Node" not in kinds
    patches = [r for r in registrations if r.type == "kubernetes:core/v1:NodePatch"]
    assert sorted(r.inputs["metadata"]["name"] for r in patches) == sorted(n.name for n in platform.kubernetes_nodes)


# Project / stack / cluster name, written out per stack (the stack name from the test's own
# parameter, not from the Platform: a stack name lost on the way would read back as "None").
CLUSTER_IDENTIFIERS = {"dev": "spark-on-metal/dev/spark-on-metal", "prod": "spark-on-metal/prod/spark-on-metal"}


def test_provider_is_explicit_identified_and_used_by_every_object(stack: Deployed, request: pytest.FixtureRequest) -> None:
    platform, registrations = stack
    [provider] = [r for r in registrations if r.type == "pulumi:providers:kubernetes"]
    assert provider.inputs["clusterIdentifier"] == CLUSTER_IDENTIFIERS[request.node.callspec.params["stack"]]
    renamed = Platform(platform.config.model_copy(update={"cluster_name": "rack7"}), "qa", platform.today)
    assert cluster_identifier(renamed) == "spark-on-metal/qa/rack7"
    assert provider.inputs["enableServerSideApply"] == "true"
    assert provider.inputs["kubeconfig"][rpc._special_sig_key] == rpc._special_secret_sig
    for resource in kubernetes_resources(registrations):
        assert resource.provider == f"{provider.urn}::{provider.name}-id", resource.name


def test_tenant_objects_are_grouped_in_their_namespace(stack: Deployed) -> None:
    platform, registrations = stack
    layer = only(registrations, type=LAYER_TYPE)
    for tenant in platform.config.tenants:
        component = only(registrations, type=TENANT_TYPE, name=tenant.name)
        assert component.parent == layer.urn
        children = [r for r in registrations if r.parent == component.urn]
        assert {r.type.rsplit(":", 1)[1] for r in children} >= {"Namespace", "ServiceAccount", "RoleBinding", "ResourceQuota", "LimitRange", "ConfigMap"}
        for child in children:
            meta = child.inputs["metadata"]
            assert meta.get("namespace", meta["name"]) == tenant.name
    for resource in kubernetes_resources(registrations):
        if resource.inputs["metadata"].get("namespace") in {t.name for t in platform.config.tenants}:
            assert resource.parent != layer.urn


def test_no_cluster_role_binding_grants_a_tenant_anything(stack: Deployed) -> None:
    platform, registrations = stack
    names = {tenant.name for tenant in platform.config.tenants}
    bindings = [r for r in registrations if r.type == "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"]
    for binding in bindings:
        for subject in binding.inputs["subjects"]:
            assert subject.get("namespace") not in names
            assert subject["name"] not in {f"system:serviceaccounts:{name}" for name in names}
    for binding in (r for r in registrations if r.type == "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"):
        namespace = binding.inputs["metadata"]["namespace"]
        assert all(subject["namespace"] == namespace for subject in binding.inputs["subjects"])


def test_namespace_selector_is_the_label_of_exactly_its_nodes(stack: Deployed) -> None:
    platform, registrations = stack
    patches = {r.inputs["metadata"]["name"]: r.inputs["metadata"]["labels"] for r in registrations if r.type.endswith("NodePatch")}
    for tenant in platform.config.tenants:
        namespace = only(registrations, type="kubernetes:core/v1:Namespace", name=f"namespace/{tenant.name}")
        selector = namespace.inputs["metadata"]["annotations"][NODE_SELECTOR]
        label_key, _, label_value = selector.partition("=")
        assert {name for name, labels in patches.items() if labels.get(label_key) == label_value} == set(tenant.nodes)


def test_dns_daemon_set_nodes_are_kubelets_cluster_dns(stack: Deployed) -> None:
    platform, registrations = stack
    daemon_set = only(registrations, type="kubernetes:apps/v1:DaemonSet")
    selector = daemon_set.inputs["spec"]["template"]["spec"]["nodeSelector"]
    assert selector[DNS_NODE_LABEL] == "true"
    labelled = [r.inputs["metadata"]["name"] for r in registrations if r.type.endswith("NodePatch") and r.inputs["metadata"]["labels"].get(DNS_NODE_LABEL) == "true"]
    addresses = sorted(str(platform.node(name).address) for name in labelled)  # registration order is arbitrary
    assert addresses == sorted(kubeadm.kubelet_configuration(platform)["clusterDNS"])
    patch_urns = {r.urn for r in registrations if r.type.endswith("NodePatch") and r.inputs["metadata"]["name"] in labelled}
    assert patch_urns <= set(daemon_set.dependencies)


def test_dependencies_namespace_first_and_node_patches_after_registration(stack: Deployed) -> None:
    platform, registrations = stack
    by_urn = {r.urn: r for r in registrations}
    for resource in kubernetes_resources(registrations):
        namespace = resource.inputs["metadata"].get("namespace")
        if namespace in {t.name for t in platform.config.tenants}:
            assert only(registrations, name=f"namespace/{namespace}").urn in resource.dependencies
    joining = {node.name for node in platform.joining_nodes}
    for patch in (r for r in registrations if r.type.endswith("NodePatch")):
        node = patch.inputs["metadata"]["name"]
        waits_for = {by_urn[urn].name for urn in patch.dependencies if by_urn[urn].type == NODE_REGISTERED_TYPE}
        assert waits_for == ({f"{node}-node-registered"} if node in joining else set())


def test_resource_classes_follow_api_version_and_kind() -> None:
    import pulumi_kubernetes as k8s

    from components.kube import resource_class

    assert resource_class({"apiVersion": "v1", "kind": "Node"}) is k8s.core.v1.NodePatch
    assert resource_class({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding"}) is k8s.rbac.v1.RoleBinding
    with pytest.raises(ValueError, match="no Pulumi resource class for batch/v1 Job"):
        resource_class({"apiVersion": "batch/v1", "kind": "Job"})
