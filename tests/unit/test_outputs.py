"""The stack-output contract and its documentation (README.md) cannot drift apart."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from components.hostfiles import kubeadm
from components.network import plan
from components.outputs import CERTIFICATES_EXPIRE_OUTPUT, CONTRACT_VERSION, KUBECONFIG_EXPIRES_OUTPUT, KUBECONFIG_OUTPUT, contract, to_json
from components.stack import load_stack_file

DOC = Path(__file__).resolve().parents[2] / "README.md"
REGENERATE = (
    "regenerate the example: python -c \"from components.stack import load_stack_file; "
    "from components.outputs import contract, to_json; print(to_json(contract(load_stack_file('prod'))), end='')\""
)


def documented_example_text() -> str:
    match = re.search(r"### Example \(stack `prod`\)\n\n```json\n(.*?)```", DOC.read_text(), re.S)
    assert match, "README.md lost its '### Example (stack `prod`)' JSON block"
    return match.group(1)


def documented_example() -> dict:
    return json.loads(documented_example_text())


def spark_conf(api: str, namespace: str, image: str, label: tuple[str, str]) -> dict[str, str]:
    """What a tenant's jobs are pinned to (README "Spark"): the cluster, the tenant's namespace,
    node label and accounts, cluster mode, Spark's default container names, the
    NetworkPolicy step off (MACVLAN enforces none), and a minute for the API (an API
    server restarting under an upgrade)."""
    return {
        "spark.kubernetes.authenticate.driver.serviceAccountName": "spark",
        "spark.kubernetes.authenticate.executor.serviceAccountName": "spark-executor",
        "spark.kubernetes.container.image": image,
        "spark.kubernetes.driver.connectionTimeout": "60000",
        "spark.kubernetes.driver.requestTimeout": "60000",
        "spark.kubernetes.submission.connectionTimeout": "60000",
        "spark.kubernetes.submission.requestTimeout": "60000",
        "spark.kubernetes.driver.pod.excludedFeatureSteps": "org.apache.spark.deploy.k8s.features.NetworkPolicyFeatureStep",
        "spark.kubernetes.driver.podTemplateContainerName": "spark-kubernetes-driver",
        "spark.kubernetes.executor.podTemplateContainerName": "spark-kubernetes-executor",
        "spark.kubernetes.namespace": namespace,
        f"spark.kubernetes.node.selector.{label[0]}": label[1],
        "spark.master": f"k8s://{api}",
        "spark.submit.deployMode": "cluster",
    }


# Each stack's contract as its stack file and the README say it must read, written out.
DEV_API = "https://10.99.0.10:6443"  # the virtual IP (controlPlaneVip)
PROD_API = "https://k8s-api.hadooptest.internal:6443"
EXPECTED = {
    "dev": {
        "apiEndpoint": DEV_API,
        "dnsServers": ["10.99.0.11"],
        "nodeSelectors": {"analytics": {"node-restriction.kubernetes.io/tenant": "analytics"}},
        "sparkConf": {"analytics": spark_conf(DEV_API, "analytics", "apache/spark:3.5.3", ("node-restriction.kubernetes.io/tenant", "analytics"))},
        "kubeconfigOutputs": {"analytics": "kubeconfig-analytics"},
    },
    "prod": {
        "apiEndpoint": PROD_API,
        "dnsServers": ["10.0.0.61", "10.0.0.65"],
        "nodeSelectors": {"spark": {"spark": "spark"}},
        "sparkConf": {"spark": spark_conf(PROD_API, "spark", "registry.aliyuncs.com/spark-on-metal/spark:3.5.3", ("spark", "spark"))},
        "kubeconfigOutputs": {"spark": "kubeconfig-spark"},
    },
}


def test_documented_example_is_the_functions_output() -> None:
    assert documented_example() == contract(load_stack_file("prod")), REGENERATE


def test_documented_example_is_formatted_as_generated() -> None:
    assert documented_example_text() == to_json(contract(load_stack_file("prod"))), REGENERATE


def test_outputs_are_printed_the_way_pulumi_prints_them() -> None:
    """``pulumi stack output --json``: two-space indent, keys in their order, a final newline."""
    assert to_json({"b": [1, "x"], "a": {"c": None}}) == '{\n  "b": [\n    1,\n    "x"\n  ],\n  "a": {\n    "c": null\n  }\n}\n'


def test_every_output_is_documented() -> None:
    section = DOC.read_text().split("## Stack outputs: the contract", 1)[1].split("\n## ", 1)[0]
    table = set(re.findall(r"^\| `([A-Za-z]+)` \|", section, re.M))
    assert table == {*contract(load_stack_file("prod")), KUBECONFIG_OUTPUT, KUBECONFIG_EXPIRES_OUTPUT, CERTIFICATES_EXPIRE_OUTPUT}


def test_tenant_kubeconfig_outputs_are_documented() -> None:
    section = DOC.read_text().split("## Stack outputs: the contract", 1)[1].split("\n## ", 1)[0]
    assert re.search(r"^\| `kubeconfig-<tenant>` \| string, \*\*secret\*\*, one per tenant \|", section, re.M)
    for stack, expected in EXPECTED.items():
        outputs = contract(load_stack_file(stack))["tenants"]
        assert {name: tenant["kubeconfigOutput"] for name, tenant in outputs.items()} == expected["kubeconfigOutputs"]


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
    expected = EXPECTED[stack]
    assert outputs["apiEndpoint"] == expected["apiEndpoint"]
    assert outputs["sparkMaster"] == f"k8s://{expected['apiEndpoint']}"
    assert outputs["dnsServers"] == expected["dnsServers"] == kubeadm.kubelet_configuration(platform)["clusterDNS"]
    network = plan(platform)
    for node in outputs["nodes"]:
        assert node["podRange"]["cidr"] == str(network.node(node["name"]).pod_slice)
    assert {name: entry["sparkConf"] for name, entry in outputs["tenants"].items()} == expected["sparkConf"]
    assert {name: entry["nodeSelector"] for name, entry in outputs["tenants"].items()} == expected["nodeSelectors"]
