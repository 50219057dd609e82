"""The network plan: which addresses each node's pods get, and how they leave.

A node's pod range is a function of that node's own settings only (its explicit
``podSlice``, or its address), never of its position in the list: adding or removing a
node must not re-number another node, whose running pods would lose their addresses.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from components.config import NodeConfig, Platform


def slice_count(pool: IPv4Network, slice_prefix: int) -> int:
    """How many node slices the pool holds (0 if a slice is larger than the pool)."""
    if slice_prefix < pool.prefixlen:
        return 0
    return 2 ** (slice_prefix - pool.prefixlen)


def usable_per_slice(slice_prefix: int) -> int:
    """Pod addresses in one slice: all but the slice's first and last (as the reference's .1-.126)."""
    return max(2 ** (32 - slice_prefix) - 2, 0)


def slice_index(node: NodeConfig, subnet: IPv4Network, count: int) -> int:
    """The node's slice: explicit, or its address's offset in the subnet modulo the slice count."""
    if node.pod_slice is not None:
        return node.pod_slice
    return (int(node.address) - int(subnet.network_address)) % count


def slice_network(pool: IPv4Network, slice_prefix: int, index: int) -> IPv4Network:
    size = 2 ** (32 - slice_prefix)
    return IPv4Network((int(pool.network_address) + index * size, slice_prefix))


@dataclass(frozen=True)
class Route:
    destination: IPv4Network
    via: IPv4Address


@dataclass(frozen=True)
class NodeNetwork:
    """Everything about one node's place on the flat layer-2 network."""

    name: str
    address: IPv4Address
    prefix_length: int
    uplink: str
    macvlan_interface: str
    slice_index: int
    pod_slice: IPv4Network
    range_start: IPv4Address
    range_end: IPv4Address
    gateway: IPv4Address
    routes: tuple[Route, ...]

    @property
    def host_cidr(self) -> str:
        return f"{self.address}/{self.prefix_length}"

    @property
    def pod_capacity(self) -> int:
        return int(self.range_end) - int(self.range_start) + 1


@dataclass(frozen=True)
class NetworkPlan:
    subnet: IPv4Network
    pool: IPv4Network
    gateway: IPv4Address
    service_cidr: IPv4Network
    nodes: tuple[NodeNetwork, ...]

    def node(self, name: str) -> NodeNetwork:
        return next(node for node in self.nodes if node.name == name)


def node_network(platform: Platform, node: NodeConfig) -> NodeNetwork:
    cfg = platform.config
    count = slice_count(cfg.pod_pool, cfg.pod_slice_prefix)
    index = slice_index(node, cfg.pod_subnet, count)
    pods = slice_network(cfg.pod_pool, cfg.pod_slice_prefix, index)
    return NodeNetwork(
        name=node.name,
        address=node.address,
        prefix_length=cfg.pod_subnet.prefixlen,
        uplink=node.uplink,
        macvlan_interface=cfg.macvlan_interface,
        slice_index=index,
        pod_slice=pods,
        range_start=pods.network_address + 1,
        range_end=pods.broadcast_address - 1,
        gateway=cfg.gateway,
        # macvlan egress bypasses the host's iptables, so service VIPs must be routed
        # through the node itself, where kube-proxy's rules are (DESIGN.md, Network).
        routes=(
            Route(IPv4Network("0.0.0.0/0"), cfg.gateway),
            Route(cfg.service_cidr, node.address),
        ),
    )


def plan(platform: Platform) -> NetworkPlan:
    cfg = platform.config
    return NetworkPlan(
        subnet=cfg.pod_subnet,
        pool=cfg.pod_pool,
        gateway=cfg.gateway,
        service_cidr=cfg.service_cidr,
        nodes=tuple(node_network(platform, node) for node in platform.nodes),
    )


def dns_servers(platform: Platform) -> list[str]:
    """The addresses pods and hosts resolve through: the DNS nodes' own (kubelet's
    clusterDNS, the pods' nameservers, the ``dnsServers`` output), computed here once."""
    return [str(node.address) for node in platform.dns_nodes]
