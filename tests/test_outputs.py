"""The stack-output contract and its documentation (README.md) cannot drift apart."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from components.hostfiles import kubeadm
from components.manifests import spark
from components.network import plan
from components.outputs import CONTRACT_VERSION, KUBECONFIG_OUTPUT, contract, to_json
from components.stack import load_stack_file

DOC = Path(__file__).resolve().parent.parent / "README.md"
REGENERATE = (
    "regenerate the example: python -c \"from components.stack import load_stack_file; "
    "from components.outputs import contract, to_json; print(to_json(contract(load_stack_file('prod'))), end='')\""
)


def documented_example() -> dict:
    match = re.search(r"### Example \(stack `prod`\)\n\n```json\n(.*?)```", DOC.read_text(), re.S)
    assert match, "README.md lost its '### Example (stack `prod`)' JSON block"
    return json.loads(match.group(1))


def test_documented_example_is_the_functions_output() -> None:
    assert documented_example() == contract(load_stack_file("prod")), REGENERATE


def test_documented_example_is_formatted_as_generated() -> None:
    text = DOC.read_text()
    assert to_json(contract(load_stack_file("prod"))) in text, REGENERATE


def test_every_output_is_documented() -> None:
    section = DOC.read_text().split("## Stack outputs: the contract", 1)[1].split("\n## ", 1)[0]
    table = set(re.findall(r"^\| `([A-Za-z]+)` \|", section, re.M))
    assert table == {*contract(load_stack_file("prod")), KUBECONFIG_OUTPUT}


def test_tenant_kubeconfig_outputs_are_documented() -> None:
    section = DOC.read_text().split("## Stack outputs: the contract", 1)[1].split("\n## ", 1)[0]
    assert "| `kubeconfig-<tenant>` |" in section
    for tenant in contract(load_stack_file("prod"))["tenants"].values():
        assert tenant["kubeconfigOutput"] == f"kubeconfig-{tenant['namespace']}"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_contract_keys_are_stable(stack: str) -> None:
    outputs = contract(load_stack_file(stack))
    assert list(outputs) == [
        "contractVersion", "clusterName", "kubernetesVersion", "apiEndpoint", "sparkMaster", "dnsServers", "network", "nodes", "tenants",
    ]
    assert outputs["contractVersion"] == CONTRACT_VERSION == 1
    for node in outputs["nodes"]:
        assert list(node) == ["name", "address", "roles", "podRange", "tenant"]
        assert list(node["podRange"]) == ["start", "end", "cidr"]
    for tenant in outputs["tenants"].values():
        assert list(tenant) == [
            "namespace", "serviceAccount", "nodeSelector", "priorityClasses", "sparkConf", "podTemplates", "sparkDefaultsConfigMap",
            "executorServiceAccount", "submitServiceAccount", "kubeconfigOutput",
        ]
    assert KUBECONFIG_OUTPUT not in outputs
    json.dumps(outputs)  # plain JSON: no Output, no address objects


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_contract_agrees_with_the_cluster(stack: str) -> None:
    platform = load_stack_file(stack)
    outputs = contract(platform)
    assert outputs["apiEndpoint"] == platform.api_server_url
    assert outputs["sparkMaster"] == f"k8s://{platform.api_server_url}"
    assert outputs["dnsServers"] == kubeadm.kubelet_configuration(platform)["clusterDNS"]
    network = plan(platform)
    for node in outputs["nodes"]:
        assert node["podRange"]["cidr"] == str(network.node(node["name"]).pod_slice)
    for tenant in platform.config.tenants:
        entry = outputs["tenants"][tenant.name]
        assert entry["sparkConf"] == spark.spark_conf(platform, tenant)
        assert set(entry["nodeSelector"].items()) == {tenant.label}
