"""The network plan: every node's pods get their own addresses, and keep them.

Properties over random valid racks (random subnet, pool, slice size, and nodes whose
slices are explicit or derived from their addresses): ranges lie inside their slice and
the pool, skip the slice's first and last address, never overlap, and have the slice's
full size; adding or removing nodes never moves another node's range. Plus the
reference design's own numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from components.network import NetworkPlan, Route, plan, slice_count, usable_per_slice
from components.stack import load_stack_file
from tests.factories import SECRET, load, node

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None)


@dataclass(frozen=True)
class Rack:
    """A valid stack by construction, plus the slice each node was meant to get."""

    network: dict[str, Any]
    nodes: tuple[dict[str, Any], ...]  # the first is the control plane
    intended_slice: dict[str, int]

    @property
    def slice_prefix(self) -> int:
        return self.network["podSlicePrefix"]

    def config(self, nodes: tuple[dict[str, Any], ...] | list[dict[str, Any]]) -> dict[str, Any]:
        return {"kubernetesVersion": "1.35.4", "sshPrivateKey": SECRET, **self.network, "nodes": list(nodes)}

    def plan(self, nodes: tuple[dict[str, Any], ...] | list[dict[str, Any]]) -> NetworkPlan:
        return plan(load(self.config(nodes)))


@st.composite
def racks(draw: st.DrawFn) -> Rack:
    """Layout: nodes and the gateway in the subnet's lower half, the pool (and sometimes
    the service CIDR) in aligned blocks of its upper half.

    A derived node sits at offset ``slice + count`` (so offset mod count is its slice), an
    explicit one at ``2 * count + j``; slices stay below ``half / 4``, so both regions fit
    below the gateway at the top of the lower half.
    """
    subnet_prefix = draw(st.integers(16, 24), label="subnet prefix")
    subnet_base = int(IPv4Address("10.0.0.0")) + draw(st.integers(0, 2 ** (subnet_prefix - 8) - 1)) * 2 ** (32 - subnet_prefix)
    pool_prefix = draw(st.integers(subnet_prefix + 1, 30), label="pool prefix")
    slice_prefix = draw(st.integers(pool_prefix, 30), label="slice prefix")
    half, block = 2 ** (31 - subnet_prefix), 2 ** (32 - pool_prefix)
    blocks = list(range(half // block))
    pool_block = draw(st.sampled_from(blocks), label="pool block")
    other_blocks = [b for b in blocks if b != pool_block]
    service_block = draw(st.none() | st.sampled_from(other_blocks)) if other_blocks else None
    count = slice_count(IPv4Network((subnet_base + half + pool_block * block, pool_prefix)), slice_prefix)

    def address(offset: int) -> str:
        return str(IPv4Address(subnet_base + offset))

    network = {
        "podSubnet": f"{address(0)}/{subnet_prefix}",
        "podPool": f"{address(half + pool_block * block)}/{pool_prefix}",
        "podSlicePrefix": slice_prefix,
        "gateway": address(half - 1),
        "serviceCidr": "192.168.0.0/24" if service_block is None else f"{address(half + service_block * block)}/{pool_prefix}",
    }
    slices = draw(st.lists(st.integers(0, count - 1), min_size=1, max_size=min(count, 12), unique=True), label="slices")
    explicit = draw(st.lists(st.booleans(), min_size=len(slices), max_size=len(slices)), label="explicit")
    nodes = []
    for position, (index, is_explicit) in enumerate(zip(slices, explicit)):
        roles = ("control-plane", "dns") if position == 0 else ("worker",)
        if is_explicit:
            nodes.append(node(f"n{index}", address(2 * count + position), *roles, podSlice=index))
        else:
            nodes.append(node(f"n{index}", address(count + index), *roles))
    return Rack(network, tuple(nodes), {f"n{index}": index for index in slices})


@PROPERTY_SETTINGS
@given(racks())
def test_every_node_gets_a_full_private_range_of_its_slice(rack: Rack) -> None:
    """Each range: the intended slice, inside the pool, without the slice's first and last
    address, 2^(32-p)-2 addresses, and no address shared with another node."""
    network = rack.plan(rack.nodes)
    size = 2 ** (32 - rack.slice_prefix)
    taken: set[int] = set()
    for net in network.nodes:
        assert net.slice_index == rack.intended_slice[net.name]
        assert net.pod_slice.prefixlen == rack.slice_prefix
        assert net.pod_slice.subnet_of(network.pool)
        assert net.range_start in net.pod_slice and net.range_end in net.pod_slice
        assert net.range_start in network.pool and net.range_end in network.pool
        assert net.range_start == net.pod_slice.network_address + 1
        assert net.range_end == net.pod_slice.broadcast_address - 1
        assert net.pod_capacity == size - 2 == usable_per_slice(rack.slice_prefix)
        addresses = set(range(int(net.range_start), int(net.range_end) + 1))
        assert not addresses & taken, f"{net.name}'s range overlaps another node's"
        taken |= addresses


@PROPERTY_SETTINGS
@given(racks())
def test_pods_route_to_the_gateway_and_to_services_via_their_node(rack: Rack) -> None:
    """Pods' routes: default via the physical gateway; the service CIDR via their own node
    (macvlan egress skips the host's iptables, where kube-proxy's rules are)."""
    network = rack.plan(rack.nodes)
    for net in network.nodes:
        assert net.routes == (
            Route(IPv4Network("0.0.0.0/0"), network.gateway),
            Route(network.service_cidr, net.address),
        )


@PROPERTY_SETTINGS
@given(rack=racks(), data=st.data())
def test_adding_or_removing_nodes_never_moves_another_nodes_range(rack: Rack, data: st.DataObject) -> None:
    """Two plans over different node sets (and orders): every node in both has the same
    slice, range and routes in both, so running pods never lose their addresses."""
    control_plane, *others = rack.nodes
    some_others = st.lists(st.sampled_from(others), unique_by=lambda n: n["name"]) if others else st.just([])
    before = [control_plane, *data.draw(some_others)]
    after = data.draw(st.permutations([control_plane, *data.draw(some_others)]))
    plan_before = {net.name: net for net in rack.plan(before).nodes}
    plan_after = {net.name: net for net in rack.plan(after).nodes}
    for name in plan_before.keys() & plan_after.keys():
        assert plan_before[name] == plan_after[name]


def test_slice_arithmetic_edges() -> None:
    """A slice larger than the pool gives no slices; /31 and /32 give no pod address."""
    pool = IPv4Network("10.0.64.0/20")
    assert slice_count(pool, 19) == 0
    assert slice_count(pool, 20) == 1
    assert slice_count(pool, 25) == 32
    assert [usable_per_slice(p) for p in (25, 30, 31, 32)] == [126, 2, 0, 0]


def test_reference_numbers_from_the_prod_stack() -> None:
    """TalkingData's numbers: control plane 10.0.0.61 gets 10.0.64.1-10.0.64.126, routes
    default via 10.0.127.254 and 10.0.80.0/24 via 10.0.0.61; 126 pods per node."""
    network = plan(load_stack_file("prod"))
    control_plane = network.node("hadooptest-cp")
    assert control_plane.address == IPv4Address("10.0.0.61")
    assert (str(control_plane.range_start), str(control_plane.range_end)) == ("10.0.64.1", "10.0.64.126")
    assert control_plane.routes == (
        Route(IPv4Network("0.0.0.0/0"), IPv4Address("10.0.127.254")),
        Route(IPv4Network("10.0.80.0/24"), IPv4Address("10.0.0.61")),
    )
    assert control_plane.host_cidr == "10.0.0.61/17"
    ranges = {net.name: (str(net.range_start), str(net.range_end), net.pod_capacity) for net in network.nodes}
    assert ranges["hadooptest-001"] == ("10.0.64.129", "10.0.64.254", 126)
    assert ranges["hadooptest-003"] == ("10.0.65.129", "10.0.65.254", 126)
