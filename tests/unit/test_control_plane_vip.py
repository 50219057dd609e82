"""The control planes' virtual IP: where it may sit, who holds it, and when keepalived
starts. A VIP on a pod's or the router's address, or one another control plane grabs
while ``kubeadm init`` runs, breaks the rack at its first ``up``."""

from __future__ import annotations

import pytest

from components.hostfiles import keepalived
from components.problems import ConfigError
from components.steps import edges, steps_for
from tests.factories import load, node, valid_config

VIP = {"address": "10.0.0.60"}
HA = valid_config(
    controlPlaneVip=VIP,
    nodes=[
        node("cp", "10.0.0.61", "control-plane", "dns"),
        node("cp2", "10.0.0.64", "control-plane"),
        node("cp3", "10.0.0.65", "control-plane"),
        node("w1", "10.0.0.62"),
        node("w2", "10.0.0.63"),
    ],
)


def problems(config: dict) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as caught:
        load(config)
    return [(problem.key, problem.message) for problem in caught.value.problems]


def test_the_vip_is_the_api_endpoint_from_day_one() -> None:
    platform = load(HA)
    assert platform.api_server_url == "https://10.0.0.60:6443"
    assert load(valid_config()).api_server_url == "https://10.0.0.61:6443"


@pytest.mark.parametrize(
    ("address", "says"),
    [
        ("10.1.0.60", "is not a host address of the pod subnet"),
        ("10.0.64.9", "inside the pod pool"),
        ("10.0.80.9", "inside the service CIDR"),
        ("10.0.127.254", "the gateway's address"),
    ],
)
def test_a_vip_where_something_else_lives_is_refused(address: str, says: str) -> None:
    (found,) = problems(valid_config(controlPlaneVip={"address": address}))
    assert found[0] == "controlPlaneVip.address" and says in found[1]


def test_a_vip_on_a_nodes_address_or_another_endpoint_is_refused() -> None:
    assert problems(valid_config(controlPlaneVip={"address": "10.0.0.62"})) == [
        ("nodes[1].address", "10.0.0.62 is the control plane's virtual IP (controlPlaneVip.address)")
    ]
    ((key, message),) = problems(valid_config(controlPlaneVip=VIP, apiEndpoint="10.0.0.59"))
    assert key == "apiEndpoint" and "is not the control plane's virtual IP 10.0.0.60" in message
    load(valid_config(controlPlaneVip=VIP, apiEndpoint="api.example.com"))  # a name for the VIP


def test_keepalived_runs_on_control_planes_before_their_kubeadm() -> None:
    platform = load(HA)
    graph = edges(steps_for(platform))
    assert {node for node, step in graph if step == "api-vip"} == {"cp", "cp2", "cp3"}
    assert ("cp", "api-vip") in graph[("cp", "kubeadm-init")]
    assert ("cp2", "api-vip") in graph[("cp2", "kubeadm-join")]
    assert not any(step == "api-vip" for _, step in edges(steps_for(load(valid_config()))))
    waits = {step.node: step.variables["WAIT_FOR_VIP"] for step in steps_for(platform) if step.name == "api-vip"}
    assert waits == {"cp": "yes", "cp2": "no", "cp3": "no"}


def test_the_first_control_plane_outranks_the_others_even_while_its_check_fails() -> None:
    """It must hold the VIP during kubeadm init (every check fails then) and lose it to a
    healthy control plane once its own API server fails."""
    first, other = keepalived.FIRST_PRIORITY, keepalived.PRIORITY
    assert first + keepalived.CHECK_WEIGHT > other + keepalived.CHECK_WEIGHT
    assert first + keepalived.CHECK_WEIGHT < other


def test_the_keepalived_configuration_of_a_joining_control_plane() -> None:
    platform = load(HA)
    text = keepalived.config_file(platform, platform.node("cp2")).content
    assert "  interface mac0\n" in text and "  priority 100\n" in text and "  virtual_router_id 51\n" in text
    assert "  unicast_src_ip 10.0.0.64\n" in text
    assert "  unicast_peer {\n    10.0.0.61\n    10.0.0.65\n  }\n" in text
    assert "    10.0.0.60/32 dev mac0\n" in text
    assert "https://10.0.0.64:6443/livez" in text and "--cacert /etc/kubernetes/pki/ca.crt" in text
    assert "  priority 150\n" in keepalived.config_file(platform, platform.node("cp")).content


def test_a_leaving_control_plane_is_reset_before_its_node_object_goes() -> None:
    """kubeadm reset finds a control plane's etcd member through its Node object: drained by
    node-registered, reset (giving up the VIP first), and only then deleted."""
    steps = steps_for(load(HA))
    deletes = {step.node: step.variables["DELETE_NODE"] for step in steps if step.name == "node-registered"}
    assert deletes == {"cp": "no", "cp2": "no", "cp3": "no", "w1": "yes", "w2": "yes"}
    for step in steps:
        if step.name in ("kubeadm-init", "kubeadm-join"):
            remove = step.script().split("som_remove() {", 1)[1]
            assert remove.lstrip().startswith("som_leave_cluster"), step.resource_name
