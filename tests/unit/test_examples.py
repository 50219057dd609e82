"""examples/consumer, run under mocks that answer its StackReference with the prod contract."""

from __future__ import annotations

import runpy
import shlex
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from components.outputs import contract
from components.stack import load_stack_file

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "consumer"
PROJECT = "spark-on-metal-consumer"
PLATFORM_STACK = "my-org/spark-on-metal/prod"


class StackReferenceMocks(pulumi.runtime.Mocks):
    """Answers the read of ``pulumi:pulumi:StackReference`` as the engine would."""

    def __init__(self, outputs: dict[str, Any]) -> None:
        self.outputs = outputs
        self.read: list[str] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ == "pulumi:pulumi:StackReference":
            stack = str(args.resource_id)  # a StackReference is read by the referenced stack's name
            self.read.append(stack)
            return stack, {"name": stack, "outputs": self.outputs, "secretOutputNames": ["kubeconfig"]}
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


def load_example() -> dict[str, Any]:
    """The example's functions, without running its program."""
    return runpy.run_path(str(EXAMPLE / "__main__.py"), run_name="consumer_example")


def test_project_file_declares_the_config_it_reads() -> None:
    project = yaml.safe_load((EXAMPLE / "Pulumi.yaml").read_text())
    assert project["name"] == PROJECT and project["runtime"]["name"] == "python"
    assert "platformStack" in project["config"]


@pulumi.runtime.test
def test_consumer_exports_a_spark_submit_prefix_per_tenant() -> pulumi.Output:
    mocks = StackReferenceMocks({**contract(load_stack_file("prod")), "kubeconfig": "secret"})
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack="dev", preview=False)
    pulumi.runtime.set_all_config({f"{PROJECT}:platformStack": PLATFORM_STACK})

    def check(prefixes: dict[str, str]) -> None:
        assert mocks.read == [PLATFORM_STACK]
        assert list(prefixes) == ["spark"]
        words = shlex.split(prefixes["spark"])
        assert words[:5] == ["spark-submit", "--master", "k8s://https://k8s-api.hadooptest.internal:6443", "--deploy-mode", "cluster"]
        assert "spark.kubernetes.namespace=spark" in words
        assert "spark.kubernetes.authenticate.driver.serviceAccountName=spark" in words
        assert "spark.kubernetes.executor.podTemplateFile=/opt/spark/conf/executor-pod-template.yaml" in words

    return load_example()["main"]().apply(check)


def test_consumer_refuses_an_unknown_contract_version() -> None:
    with pytest.raises(ValueError, match="contractVersion 2"):
        load_example()["prefixes"]({"contractVersion": 2, "sparkMaster": "k8s://x", "tenants": {}})
