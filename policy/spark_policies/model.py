"""The few facts the rules read from Pulumi resources, and how they report.

Rules are plain functions over plain data so tests call them directly. The same data comes
from pulumi_policy at run time, wrapped in its unknown-checking proxies: reading a value
that is not known yet (during preview) raises ``UnknownValueError``. Stack rules use
:class:`Unknowns` to go on with the resources they can read and still tell Pulumi, at the
end, that the check was incomplete (it then reports an advisory "can't run during
preview" next to any violation found).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from pulumi_policy.proxy import UnknownValueError

from components.vocabulary import NODE_SELECTOR_ANNOTATION, TENANT_LABEL  # what the platform sets on tenant namespaces

T = TypeVar("T")


class StackResource(Protocol):
    """What a stack rule reads of a resource; pulumi_policy.PolicyResource satisfies it."""

    resource_type: str
    props: Mapping[str, Any]
    name: str
    urn: str
    opts: Any
    provider: Any


@dataclass(frozen=True)
class Resource:
    """A stand-alone StackResource, for tests and for callers outside the Pulumi engine."""

    resource_type: str
    props: Mapping[str, Any]
    name: str
    urn: str = ""
    opts: Any = None
    provider: Any = None


@dataclass(frozen=True)
class Violation:
    """A stack rule's finding; ``urn`` points Pulumi's report at the offending resource."""

    message: str
    urn: str | None = None


class Unknowns:
    """Remembers the first unknown value met, so a stack rule can finish with what it knows."""

    def __init__(self) -> None:
        self.first: UnknownValueError | None = None

    def each(self, items: Iterable[T], check: Callable[[T], Iterable[Any]]) -> Iterator[Any]:
        """Yield ``check(item)``'s results per item, skipping items with unknown values."""
        for item in items:
            try:
                results = list(check(item))
            except UnknownValueError as error:
                self.first = self.first or error
                continue
            yield from results

    def raise_first(self) -> None:
        """Let pulumi_policy turn the skipped part into its "can't run during preview" note."""
        if self.first is not None:
            raise self.first


def mapping(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a mapping, else an empty one: absent and null fields read alike."""
    return value if isinstance(value, Mapping) else {}


def sequence(value: Any) -> Sequence[Any]:
    """``value`` if it is a list (not a string), else an empty one."""
    return value if isinstance(value, Sequence) and not isinstance(value, str) else ()


def dig(value: Any, *path: str) -> Any:
    """The value at ``path`` below ``value``, or None where any step is missing."""
    for key in path:
        value = mapping(value).get(key)
    return value


def kind_of(resource_type: str) -> str | None:
    """The Kubernetes kind a pulumi-kubernetes type token manages.

    ``kubernetes:apps/v1:DeploymentPatch`` manages a Deployment just as
    ``kubernetes:apps/v1:Deployment`` does, so Patch variants count as their kind.
    """
    parts = resource_type.split(":")
    if len(parts) != 3 or parts[0] != "kubernetes":
        return None
    return parts[2].removesuffix("Patch")


def api_group_of(resource_type: str) -> str:
    """``rbac.authorization.k8s.io`` for ``kubernetes:rbac.authorization.k8s.io/v1:RoleBinding``."""
    parts = resource_type.split(":")
    return parts[1].split("/")[0] if len(parts) == 3 else ""


def labels_of(props: Mapping[str, Any]) -> Mapping[str, Any]:
    return mapping(dig(props, "metadata", "labels"))


def object_name(props: Mapping[str, Any]) -> str | None:
    name = dig(props, "metadata", "name")
    return name if isinstance(name, str) else None


def namespace_of(props: Mapping[str, Any], provider: Any = None) -> str:
    """The namespace an object lands in.

    An object without ``metadata.namespace`` goes to its provider's default namespace
    (the kubernetes provider's ``namespace`` input), else to ``default``: a rule that
    looked only at metadata would miss tenant objects placed through a provider.
    """
    namespace = dig(props, "metadata", "namespace")
    if isinstance(namespace, str) and namespace:
        return namespace
    provider_namespace = mapping(getattr(provider, "props", None)).get("namespace")
    if isinstance(provider_namespace, str) and provider_namespace:
        return provider_namespace
    return "default"


@dataclass(frozen=True)
class TenantNamespace:
    """A Namespace the stack labels as a tenant's, with its node selector (maybe absent)."""

    name: str
    tenant: str
    selector: object
    urn: str


def tenant_namespace_of(resource: StackResource) -> Iterator[TenantNamespace]:
    """The resource as a TenantNamespace if it is one (an iterator, for Unknowns.each)."""
    if kind_of(resource.resource_type) != "Namespace":
        return
    tenant = labels_of(resource.props).get(TENANT_LABEL)
    name = object_name(resource.props)
    if isinstance(tenant, str) and name:
        selector = mapping(dig(resource.props, "metadata", "annotations")).get(NODE_SELECTOR_ANNOTATION)
        yield TenantNamespace(name, tenant, selector, resource.urn)


def tenant_namespaces(resources: Iterable[StackResource], unknowns: Unknowns) -> dict[str, str]:
    """Namespace name -> tenant, for every Namespace the stack labels as a tenant's."""
    return {namespace.name: namespace.tenant for namespace in unknowns.each(resources, tenant_namespace_of)}
