"""Check managed objects against the official OpenAPI schemas of the cluster's release.

A typo in a field name or a wrong type fails here, in ``render`` and in the tests, not
half-way through a ``pulumi up``. The schemas come from the PyPI package
``kubernetes-validate`` (offline, strict variant: unknown fields are errors). It is a
development dependency, imported only when validation runs, so the Pulumi program
itself does not need it.

Pod templates stored as YAML in ConfigMaps (Spark's) are checked as the Pods they are.
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping

import yaml

from components.manifests.meta import describe

INSTALL_HINT = "pip install kubernetes-validate (it ships the Kubernetes OpenAPI schemas for offline checks)"


class ValidatorUnavailable(RuntimeError):
    """kubernetes-validate is not installed, so nothing could be checked."""


def _validator() -> Any:
    try:
        import kubernetes_validate
    except ImportError as error:
        raise ValidatorUnavailable(f"cannot validate Kubernetes objects: kubernetes-validate is not installed; {INSTALL_HINT}") from error
    return kubernetes_validate


def embedded_documents(obj: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(label, object) for every Kubernetes object kept as YAML in a ConfigMap's data."""
    if obj.get("kind") != "ConfigMap":
        return
    for name, text in sorted((obj.get("data") or {}).items()):
        if not name.endswith((".yaml", ".yml")):
            continue
        document = yaml.safe_load(text)
        if isinstance(document, dict) and "apiVersion" in document and "kind" in document:
            yield f"{describe(obj)} data[{name}]", document


def validate(objects: list[dict[str, Any]], version: str) -> list[str]:
    """One message per problem (empty when every object and embedded template is valid).

    ``version`` is the Kubernetes release, e.g. ``1.31.4``. Raises
    :class:`ValidatorUnavailable` when kubernetes-validate is missing.
    """
    kv = _validator()
    problems: list[str] = []
    for obj in objects:
        documents = [(describe(obj), obj), *embedded_documents(obj)]
        for label, document in documents:
            problem = _check(kv, document, version)
            if problem:
                problems.append(f"{label}: {problem}")
    return problems


def _check(kv: Any, document: dict[str, Any], version: str) -> str | None:
    try:
        kv.validate(document, version, strict=True)
    except kv.ValidationError as error:
        path = ".".join(str(part) for part in error.path) or "(top level)"
        return f"{path}: {error.message} (Kubernetes {error.version} schema)"
    except kv.SchemaNotFoundError as error:
        return error.message
    except kv.utils.VersionNotSupportedError:
        return f"kubernetes-validate has no schema for Kubernetes {version}; upgrade it"
    return None
