"""Rule: nothing a tenant runs gets a foothold on the host.

Tenant nodes are physically shared by a tenant's jobs only; a pod on the host's network,
PID or IPC namespace, or a privileged container (or one allowed to gain privileges), can
reach the node itself and, from there, the platform. The rule reads every pod-bearing
object in a tenant namespace, including ConfigMaps holding Spark's driver and executor
pod templates as YAML text (Spark merges them into the pods it creates, so a template
with ``hostNetwork: true`` is as bad as a Pod with it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import yaml

from .model import StackResource, Unknowns, Violation, dig, kind_of, mapping, namespace_of, sequence, tenant_namespaces

# Where each pod-bearing kind keeps its PodSpec.
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "PodTemplate": ("template", "spec"),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
HOST_NAMESPACE_FIELDS = ("hostNetwork", "hostPID", "hostIPC")
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
ESCALATION_FIELDS = ("privileged", "allowPrivilegeEscalation")


def pod_security_violations(resource_type: str, props: Mapping[str, Any], name: str, opts: Any = None) -> list[str]:
    """What would let this object's pods touch their host; [] for objects without pods."""
    kind = kind_of(resource_type)
    specs = config_map_pod_specs(props) if kind == "ConfigMap" else pod_specs(kind, props, "")
    return [f"{name}: {problem}" for where, spec in specs for problem in pod_spec_problems(spec, where)]


def tenant_workload_violations(resources: Iterable[StackResource]) -> Iterator[Violation]:
    """Stack rule: apply :func:`pod_security_violations` to objects in tenant namespaces."""
    resources = list(resources)
    unknowns = Unknowns()
    tenants = tenant_namespaces(resources, unknowns)

    def check(resource: StackResource) -> Iterator[Violation]:
        if namespace_of(resource.props, resource.provider) not in tenants:
            return
        for message in pod_security_violations(resource.resource_type, resource.props, resource.name, resource.opts):
            yield Violation(message, resource.urn)

    yield from unknowns.each(resources, check)
    unknowns.raise_first()


def pod_specs(kind: str | None, manifest: Any, where: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(location, PodSpec) of every pod ``manifest`` of ``kind`` would create, Lists included."""
    if kind is None:
        return
    if kind.endswith("List"):
        for index, item in enumerate(sequence(mapping(manifest).get("items"))):
            item_kind = mapping(item).get("kind") or kind.removesuffix("List")
            yield from pod_specs(item_kind, item, f"{where}items[{index}].")
        return
    path = POD_SPEC_PATHS.get(kind)
    spec = dig(manifest, *path) if path else None
    if isinstance(spec, Mapping):
        yield where + ".".join(path), spec


def config_map_pod_specs(props: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """PodSpecs in a ConfigMap's values that parse as YAML pod templates.

    Spark's templates are Pod manifests whose ``kind`` may be left out; a document with a
    ``spec`` but no kind is read as a Pod. Values that are not YAML mappings are not
    templates and are skipped.
    """
    for key, value in mapping(props.get("data")).items():
        for index, document in enumerate(_yaml_mappings(value)):
            yield from pod_specs(document.get("kind") or "Pod", document, f"data[{key}] document {index}: ")


def _yaml_mappings(text: Any) -> list[Mapping[str, Any]]:
    if not isinstance(text, str):
        return []
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError:
        return []
    return [document for document in documents if isinstance(document, Mapping)]


def pod_spec_problems(spec: Mapping[str, Any], where: str) -> Iterator[str]:
    """Host namespaces shared, and containers that are or may become privileged."""
    for field in HOST_NAMESPACE_FIELDS:
        if spec.get(field) is True:
            yield f"{where}.{field} is true"
    for list_name in CONTAINER_LISTS:
        for index, container in enumerate(sequence(spec.get(list_name))):
            yield from _container_problems(mapping(container), f"{where}.{list_name}[{index}]")


def _container_problems(container: Mapping[str, Any], where: str) -> Iterator[str]:
    context = mapping(container.get("securityContext"))
    label = f"{where} ({container['name']})" if isinstance(container.get("name"), str) else where
    for field in ESCALATION_FIELDS:
        if context.get(field) is True:
            yield f"{label}: securityContext.{field} is true"
