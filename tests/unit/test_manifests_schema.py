"""Every managed object (and every embedded pod template) against the official schemas.

The schemas are those of each stack's own Kubernetes release (kubernetes-validate,
offline, strict: unknown fields fail), and the negative tests prove the check bites.
"""

from __future__ import annotations

import builtins
import copy
from typing import Any

import pytest
import yaml

from components import manifests
from components.manifests import spark, validate
from components.stack import load_stack_file


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_object_is_valid_for_the_stack_release(stack: str) -> None:
    platform = load_stack_file(stack)
    objects = manifests.objects(platform)
    assert objects
    assert validate.validate(objects, str(platform.version)) == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_pod_templates_are_checked_as_pods(stack: str) -> None:
    platform = load_stack_file(stack)
    for tenant in platform.config.tenants:
        embedded = dict(validate.embedded_documents(spark.config_map(platform, tenant)))
        assert sorted(document["kind"] for document in embedded.values()) == ["Pod", "Pod"]


def _broken_daemon_set() -> tuple[list[dict[str, Any]], str]:
    platform = load_stack_file("prod")
    objects = copy.deepcopy(manifests.objects(platform))
    [daemon_set] = [obj for obj in objects if obj["kind"] == "DaemonSet"]
    daemon_set["spec"]["template"]["spec"]["hostNetwrok"] = True  # the typo a review misses
    return objects, str(platform.version)


def test_validator_catches_an_unknown_field() -> None:
    objects, version = _broken_daemon_set()
    [problem] = validate.validate(objects, version)
    assert problem.startswith("DaemonSet kube-system/spark-on-metal-dns: spec.template.spec:")
    assert "hostNetwrok" in problem and "Kubernetes 1.36 schema" in problem


def test_validator_catches_a_broken_embedded_pod_template() -> None:
    platform = load_stack_file("prod")
    config_map = spark.config_map(platform, platform.config.tenants[0])
    template = yaml.safe_load(config_map["data"]["executor-pod-template.yaml"])
    template["spec"]["priorityClassName"] = 10000  # a number where the API wants a name
    config_map["data"]["executor-pod-template.yaml"] = yaml.safe_dump(template)
    [problem] = validate.validate([config_map], str(platform.version))
    assert "data[executor-pod-template.yaml]" in problem and "spec.priorityClassName" in problem


def test_validator_reports_a_wrong_type() -> None:
    platform = load_stack_file("dev")
    bad = {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q", "namespace": "x"}, "spec": {"hard": "lots"}}
    [problem] = validate.validate([bad], str(platform.version))
    assert problem.startswith("ResourceQuota x/q: spec.hard:")


def test_missing_validator_is_reported_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_kubernetes_validate(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "kubernetes_validate":
            raise ImportError("No module named 'kubernetes_validate'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_kubernetes_validate)
    with pytest.raises(validate.ValidatorUnavailable, match="pip install kubernetes-validate"):
        validate.validate([], "1.31.4")
