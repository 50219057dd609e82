"""Pods through the real macvlan and host-local CNI plugins, as DESIGN.md's network needs."""

from __future__ import annotations

import ipaddress
import json

import pytest

from lab import Lab, LabError
from lab.testing import requires_root

pytestmark = requires_root
pytest_plugins = ["lab.fixtures"]

CONF = "/etc/cni/net.d/10-macvlan.conflist"
GATEWAY = "10.99.127.254"


def conflist(range_start: str, range_end: str) -> str:
    """The reference design's network: macvlan (bridge) on eth0, host-local slice, default route."""
    return json.dumps({
        "cniVersion": "0.4.0",
        "name": "podnet",
        "plugins": [{
            "type": "macvlan", "master": "eth0", "mode": "bridge",
            "ipam": {
                "type": "host-local",
                "ranges": [[{"subnet": "10.99.0.0/17", "rangeStart": range_start, "rangeEnd": range_end,
                             "gateway": GATEWAY}]],
                "routes": [{"dst": "0.0.0.0/0"}],
            },
        }],
    })


@pytest.fixture(scope="module")
def cni(lab: Lab) -> Lab:
    """The module lab with a node slice of the pod pool configured on cp1 and w1."""
    lab.write_file("cp1", CONF, conflist("10.99.64.1", "10.99.64.126"))
    lab.write_file("w1", CONF, conflist("10.99.64.129", "10.99.64.254"))
    return lab


def pod_ip(result: dict) -> str:
    return result["ips"][0]["address"].split("/")[0]


def pings(lab: Lab, node: str, pod: str, target: str) -> bool:
    return lab.pod_exec(node, pod, ["ping", "-c1", "-W1", target]).returncode == 0


def test_pod_gets_an_address_of_its_slice_and_reaches_gateway_and_other_nodes(cni: Lab) -> None:
    result = cni.add_pod("cp1", "p1", CONF)
    address = ipaddress.IPv4Address(pod_ip(result))
    assert ipaddress.IPv4Address("10.99.64.1") <= address <= ipaddress.IPv4Address("10.99.64.126")
    assert result["ips"][0]["gateway"] == GATEWAY
    assert {"dst": "0.0.0.0/0"} in result["routes"]
    assert "default via 10.99.127.254" in cni.pod_exec("cp1", "p1", ["ip", "route"]).stdout
    assert pings(cni, "cp1", "p1", GATEWAY)
    assert pings(cni, "cp1", "p1", "10.99.0.12")
    other = cni.add_pod("w1", "p1", CONF)
    assert pod_ip(other).startswith("10.99.64.1")
    assert pings(cni, "cp1", "p1", pod_ip(other))
    cni.del_pod("w1", "p1")
    cni.del_pod("cp1", "p1")


def test_leases_are_per_node_and_released_on_delete(cni: Lab) -> None:
    first = pod_ip(cni.add_pod("cp1", "p2", CONF))
    lease = f"/var/lib/cni/networks/podnet/{first}"
    assert cni.read_file("cp1", lease).startswith("p2")
    assert not (cni.node_dirs("w1").upper / lease.lstrip("/")).exists()
    cni.del_pod("cp1", "p2")
    assert not cni.node_path("cp1", lease).exists()
    assert "p2" not in cni.node_exec("cp1", ["ip", "netns", "list"]).stdout


def test_pod_reaches_its_own_host_only_through_a_macvlan_host_interface(cni: Lab) -> None:
    cni.add_pod("cp1", "p3", CONF)
    assert not pings(cni, "cp1", "p3", "10.99.0.11"), "negative control: a macvlan child cannot reach its parent"
    cni.ssh("cp1", "ip link add mac0 link eth0 type macvlan mode bridge && ip link set mac0 up && "
                   "ip addr del 10.99.0.11/17 dev eth0 && ip addr add 10.99.0.11/17 dev mac0 && "
                   "ip route add default via 10.99.127.254 dev mac0")
    assert pings(cni, "cp1", "p3", "10.99.0.11")
    assert pings(cni, "cp1", "p3", GATEWAY)
    cni.del_pod("cp1", "p3")


def test_a_failing_plugin_is_reported_and_leaves_no_pod(cni: Lab) -> None:
    cni.write_file("w2", "/etc/cni/net.d/bad.conf",
                   json.dumps({"cniVersion": "0.4.0", "name": "bad", "type": "macvlan", "master": "nope0",
                               "ipam": {"type": "host-local", "subnet": "10.99.0.0/17"}}))
    with pytest.raises(LabError, match=r"CNI ADD with plugin macvlan failed.*Link not found"):
        cni.add_pod("w2", "p4", "/etc/cni/net.d/bad.conf")
    assert "p4" not in cni.node_exec("w2", ["ip", "netns", "list"]).stdout
