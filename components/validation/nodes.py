"""Checks of the machines: unique names and addresses on the subnet and outside the pool
and the services, a slice each, a control plane, one to three DNS nodes that are not
their own upstream, and no label the platform derives itself."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from typing import Iterator

from components.config import ControlPlaneVip, DnsConfig, NodeConfig
from components.network import slice_count, slice_index, slice_network, usable_per_slice
from components.problems import ConfigProblem, join_key
from components.validation.common import Items, node_key, repeats
from components.vocabulary import LABEL_DOMAIN

GLIBC_MAXNS = 3  # resolv.conf nameservers glibc reads; kubelet truncates beyond it
PLATFORM_LABEL_DOMAIN = f"{LABEL_DOMAIN}/"


def unique_node_names(nodes: Items[NodeConfig]) -> Iterator[ConfigProblem]:
    for index, _, name, first in repeats(nodes, lambda node: node.name):
        yield ConfigProblem(node_key(index, "name"), f"node name {name} is already used by nodes[{first}]", "give every node its own name")


def unique_node_addresses(nodes: Items[NodeConfig]) -> Iterator[ConfigProblem]:
    for index, _, address, first in repeats(nodes, lambda node: node.address):
        yield ConfigProblem(node_key(index, "address"), f"address {address} is already used by nodes[{first}]", "give every node its own address")


def node_addresses_in_subnet(nodes: Items[NodeConfig], pod_subnet: IPv4Network) -> Iterator[ConfigProblem]:
    subnet: IPv4Network = pod_subnet
    for index, node in nodes:
        if node.address not in subnet:
            yield ConfigProblem(
                node_key(index, "address"),
                f"{node.address} is outside the pod subnet {subnet}: pods could not reach the node on layer 2",
                f"give the node its address in {subnet}, or widen podSubnet to the hosts' network",
            )
        elif node.address in (subnet.network_address, subnet.broadcast_address):
            yield ConfigProblem(
                node_key(index, "address"),
                f"{node.address} is the network or broadcast address of {subnet}",
                "give the node a host address",
            )


def node_addresses_outside_pool(nodes: Items[NodeConfig], pod_pool: IPv4Network) -> Iterator[ConfigProblem]:
    for index, node in nodes:
        if node.address in pod_pool:
            yield ConfigProblem(
                node_key(index, "address"),
                f"{node.address} lies inside the pod pool {pod_pool}: a pod could be given this host's address",
                f"give the node an address outside {pod_pool}",
            )


def node_addresses_outside_services(nodes: Items[NodeConfig], service_cidr: IPv4Network) -> Iterator[ConfigProblem]:
    for index, node in nodes:
        if node.address in service_cidr:
            yield ConfigProblem(
                "serviceCidr",
                f"the service CIDR {service_cidr} contains nodes[{index}]'s address {node.address}",
                "choose a service CIDR that contains no node address",
            )


def gateway_is_no_node(gateway: IPv4Address, nodes: Items[NodeConfig]) -> Iterator[ConfigProblem]:
    for index, node in nodes:
        if node.address == gateway:
            yield ConfigProblem(
                node_key(index, "address"),
                f"{node.address} is the gateway's address",
                "the gateway is the physical router; give the node its own address",
            )


def vip_is_no_node(nodes: Items[NodeConfig], control_plane_vip: ControlPlaneVip | None = None) -> Iterator[ConfigProblem]:
    for index, node in nodes:
        if control_plane_vip is not None and node.address == control_plane_vip.address:
            yield ConfigProblem(
                node_key(index, "address"),
                f"{node.address} is the control plane's virtual IP (controlPlaneVip.address)",
                "give the node its own address, or the virtual IP a free one",
            )


def uplink_is_not_macvlan(macvlan_interface: str, nodes: Items[NodeConfig]) -> Iterator[ConfigProblem]:
    for index, node in nodes:
        if node.uplink == macvlan_interface:
            yield ConfigProblem(
                node_key(index, "uplink"),
                f"the uplink {node.uplink} has the name reserved for the macvlan sub-interface",
                "rename macvlanInterface or correct the uplink",
            )


def slices_available(all_nodes: Items[NodeConfig], pod_pool: IPv4Network, pod_slice_prefix: int, pod_subnet: IPv4Network) -> Iterator[ConfigProblem]:
    count = slice_count(pod_pool, pod_slice_prefix)
    if count == 0 or usable_per_slice(pod_slice_prefix) == 0:
        return  # reported by slice_fits
    if len(all_nodes) > count:
        yield ConfigProblem(
            "nodes",
            f"{len(all_nodes)} nodes need {len(all_nodes)} slices but the pool {pod_pool} holds only {count} /{pod_slice_prefix} slices",
            "widen podPool or lengthen podSlicePrefix (smaller slices, fewer pods per node)",
        )
        return
    owner: dict[int, int] = {}
    address_of = {index: node.address for index, node in all_nodes}
    for index, node in all_nodes:
        if node.pod_slice is not None and node.pod_slice >= count:
            yield ConfigProblem(
                node_key(index, "podSlice"),
                f"slice {node.pod_slice} does not exist: the pool {pod_pool} has slices 0 to {count - 1}",
                f"choose a free slice from 0 to {count - 1}",
            )
            continue
        chosen = slice_index(node, pod_subnet, count)
        if chosen in owner and node.pod_slice is None and address_of[owner[chosen]] == node.address:
            continue  # the same address gives the same slice: reported as a duplicate address
        if chosen in owner:
            taken = {slice_index(n, pod_subnet, count) for _, n in all_nodes}
            free = [str(i) for i in range(count) if i not in taken][:5]
            yield ConfigProblem(
                node_key(index, "podSlice"),
                f"pod slice {chosen} ({slice_network(pod_pool, pod_slice_prefix, chosen)}) is already nodes[{owner[chosen]}]'s"
                + ("" if node.pod_slice is not None else " (derived from the address)"),
                f"set podSlice explicitly to a free slice ({', '.join(free)})",  # a clash leaves one free: no more nodes than slices
            )
        else:
            owner[chosen] = index


def has_control_plane(all_nodes: Items[NodeConfig]) -> Iterator[ConfigProblem]:
    if all_nodes and not any(node.is_control_plane for _, node in all_nodes):
        yield ConfigProblem(
            "nodes", "no node has the role control-plane", "add 'control-plane' to the roles of the node that runs kubeadm init"
        )


def dns_nodes(dns: DnsConfig, all_nodes: Items[NodeConfig]) -> Iterator[ConfigProblem]:
    servers = [(index, node) for index, node in all_nodes if node.is_dns]
    for index, node in servers:
        if not node.is_kubernetes_node:
            yield ConfigProblem(
                node_key(index, "roles"),
                f"DNS node {node.name} is not in the cluster (no control-plane or worker role), so CoreDNS cannot run there",
                "add 'worker' (or 'control-plane') to its roles, or remove 'dns'",
            )
    if not servers:
        yield ConfigProblem("nodes", "no node has the role dns", "add 'dns' to the roles of one to three nodes that carry no tenant")
    elif len(servers) > GLIBC_MAXNS:
        yield ConfigProblem(
            "nodes",
            f"{len(servers)} nodes have the role dns but resolv.conf takes at most {GLIBC_MAXNS} nameservers (glibc reads no more)",
            "keep the dns role on at most three nodes",
        )
    elif len(servers) < dns.min_servers:
        yield ConfigProblem(
            "dns.minServers",
            f"the stack asks for at least {dns.min_servers} DNS servers but only {len(servers)} node(s) have the role dns",
            "add the dns role to more nodes that carry no tenant, or lower dns.minServers",
        )


def upstreams_are_not_dns_nodes(dns: DnsConfig, all_nodes: Items[NodeConfig]) -> Iterator[ConfigProblem]:
    dns_addresses = {node.address: node.name for _, node in all_nodes if node.is_dns}
    for position, address in enumerate(dns.upstreams):
        if address in dns_addresses:
            yield ConfigProblem(
                join_key("dns", "upstreams", position),
                f"{address} is DNS node {dns_addresses[address]}, where CoreDNS itself listens: every query it cannot answer would loop",
                "give resolvers outside the cluster, or leave upstreams empty (the hosts' own real upstreams)",
            )


def no_platform_node_labels(nodes: Items[NodeConfig]) -> Iterator[ConfigProblem]:
    # The platform derives spark-on-metal.io/* node labels from roles and tenants (the DNS
    # DaemonSet selects spark-on-metal.io/dns); a hand-set one would contradict them.
    for index, node in nodes:
        for key in sorted(node.labels):
            if key.startswith(PLATFORM_LABEL_DOMAIN):
                yield ConfigProblem(
                    node_key(index, "labels"),
                    f"label {key} is the platform's: it derives {PLATFORM_LABEL_DOMAIN}* labels from roles and tenants",
                    "remove it; give the node the dns role or add it to a tenant instead",
                )


CHECKS = (
    unique_node_names, unique_node_addresses, node_addresses_in_subnet, node_addresses_outside_pool,
    node_addresses_outside_services, gateway_is_no_node, vip_is_no_node, uplink_is_not_macvlan, slices_available, has_control_plane,
    dns_nodes, upstreams_are_not_dns_nodes,
)
# After the tenant checks, as before the split (problems keep the order they are found in).
LATE_CHECKS = (no_platform_node_labels,)
