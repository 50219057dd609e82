"""Names, labels and metadata shared by every managed object.

The label domain and its labels come from components.vocabulary (shared with the policy
pack); here, the identity of an object (kind, namespace, name),
so that ``render``'s file names, the Pulumi shell's resource names and the tests all
agree on what "the same object" means.
"""

from __future__ import annotations

from typing import Any, Mapping

Object = dict[str, Any]

from components.vocabulary import DNS_NODE_LABEL, LABEL_DOMAIN, PART_OF, SYSTEM_NAMESPACE, TENANT_LABEL

__all__ = ["DNS_NODE_LABEL", "LABEL_DOMAIN", "Object", "PART_OF", "SYSTEM_NAMESPACE", "TENANT_LABEL", "describe", "key", "metadata", "namespace_of"]


def metadata(
    name: str,
    namespace: str | None = None,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """ObjectMeta with keys in a fixed order and empty sections left out."""
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    meta["labels"] = {**PART_OF, **(labels or {})}
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta


def key(obj: Mapping[str, Any]) -> tuple[str, str, str]:
    """(kind, namespace or "", name): unique among the managed objects."""
    meta = obj["metadata"]
    return obj["kind"], meta.get("namespace", ""), meta["name"]


def namespace_of(obj: Mapping[str, Any]) -> str | None:
    return obj["metadata"].get("namespace")


def describe(obj: Mapping[str, Any]) -> str:
    """``Kind namespace/name`` for messages."""
    kind, namespace, name = key(obj)
    return f"{kind} {namespace + '/' if namespace else ''}{name}"
