"""Checks of the flat layer-2 network: the pool inside the subnet, the gateway and the
service CIDR placed where neither pods nor services can take the router's address, and
slices that leave room for pods."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from typing import Iterator

from components.config import ControlPlaneVip
from components.network import usable_per_slice
from components.problems import ConfigProblem


def pool_inside_subnet(pod_pool: IPv4Network, pod_subnet: IPv4Network) -> Iterator[ConfigProblem]:
    if not pod_pool.subnet_of(pod_subnet):
        yield ConfigProblem(
            "podPool",
            f"the pod pool {pod_pool} is not inside the pod subnet {pod_subnet}",
            f"choose a podPool inside {pod_subnet} (the reference: subnet 10.0.0.0/17, pool 10.0.64.0/20)",
        )


def gateway_inside_subnet(gateway: IPv4Address, pod_subnet: IPv4Network) -> Iterator[ConfigProblem]:
    subnet: IPv4Network = pod_subnet
    if gateway not in subnet:
        yield ConfigProblem(
            "gateway", f"the gateway {gateway} is outside the pod subnet {subnet}", f"give the router's address in {subnet}"
        )
    elif gateway in (subnet.network_address, subnet.broadcast_address):
        yield ConfigProblem(
            "gateway",
            f"the gateway {gateway} is the network or broadcast address of {subnet}",
            "give the router's real host address",
        )


def gateway_outside_pool(gateway: IPv4Address, pod_pool: IPv4Network) -> Iterator[ConfigProblem]:
    if gateway in pod_pool:
        yield ConfigProblem(
            "gateway",
            f"the gateway {gateway} lies inside the pod pool {pod_pool}: a pod could be given the router's address",
            "move the pool so it excludes the gateway, or correct the gateway",
        )


def services_outside_pool(pod_pool: IPv4Network, service_cidr: IPv4Network) -> Iterator[ConfigProblem]:
    if service_cidr.overlaps(pod_pool):
        yield ConfigProblem(
            "serviceCidr",
            f"the service CIDR {service_cidr} overlaps the pod pool {pod_pool}",
            "choose a service CIDR outside the pool (it may lie inside podSubnet, as the reference's 10.0.80.0/24 does)",
        )


def services_exclude_gateway(gateway: IPv4Address, service_cidr: IPv4Network) -> Iterator[ConfigProblem]:
    if gateway in service_cidr:
        yield ConfigProblem(
            "serviceCidr",
            f"the service CIDR {service_cidr} contains the gateway {gateway}",
            "choose a service CIDR that excludes the router's address",
        )


def service_cidr_size(service_cidr: IPv4Network) -> Iterator[ConfigProblem]:
    # kube-apiserver refuses service CIDRs with more than 2^20 addresses.
    if service_cidr.prefixlen < 12:
        yield ConfigProblem(
            "serviceCidr",
            f"the service CIDR {service_cidr} is larger than kube-apiserver accepts (/12 at most)",
            "use a prefix of /12 or longer, e.g. a /24",
        )


def slice_fits(pod_pool: IPv4Network, pod_slice_prefix: int) -> Iterator[ConfigProblem]:
    prefix = pod_slice_prefix
    if prefix < pod_pool.prefixlen:
        yield ConfigProblem(
            "podSlicePrefix",
            f"a /{prefix} slice is larger than the pod pool {pod_pool}",
            f"use a prefix of at least /{pod_pool.prefixlen} (the reference: /25, 126 pods per node)",
        )
    elif usable_per_slice(prefix) == 0:
        yield ConfigProblem(
            "podSlicePrefix",
            f"a /{prefix} slice leaves no usable pod address (its first and last addresses are never handed out)",
            "use a prefix of /30 or shorter; /25 gives 126 pods per node",
        )


def vip_placement(
    pod_subnet: IPv4Network, pod_pool: IPv4Network, service_cidr: IPv4Network, gateway: IPv4Address,
    control_plane_vip: ControlPlaneVip | None = None,
) -> Iterator[ConfigProblem]:
    """The VIP is announced with ARP on the flat network, so it must be a free address
    there: not a pod's, not a service's, not the router's."""
    if control_plane_vip is None:
        return
    vip, key = control_plane_vip.address, "controlPlaneVip.address"
    fix = f"give a free address of {pod_subnet} outside podPool {pod_pool} and serviceCidr {service_cidr}"
    if vip not in pod_subnet or vip in (pod_subnet.network_address, pod_subnet.broadcast_address):
        yield ConfigProblem(key, f"the virtual IP {vip} is not a host address of the pod subnet {pod_subnet}: ARP would not carry it", fix)
    elif vip in pod_pool:
        yield ConfigProblem(key, f"the virtual IP {vip} lies inside the pod pool {pod_pool}: a pod could be given it", fix)
    elif vip in service_cidr:
        yield ConfigProblem(key, f"the virtual IP {vip} lies inside the service CIDR {service_cidr}", fix)
    elif vip == gateway:
        yield ConfigProblem(key, f"the virtual IP {vip} is the gateway's address", fix)


def vip_is_the_endpoint(control_plane_vip: ControlPlaneVip | None = None, api_endpoint: str | None = None) -> Iterator[ConfigProblem]:
    if control_plane_vip is None or api_endpoint is None:
        return
    try:
        endpoint = IPv4Address(api_endpoint)
    except ValueError:
        return  # a DNS name: it must resolve to the VIP, which the program cannot check
    if endpoint != control_plane_vip.address:
        yield ConfigProblem(
            "apiEndpoint",
            f"apiEndpoint {endpoint} is not the control plane's virtual IP {control_plane_vip.address}",
            "leave apiEndpoint unset (the virtual IP is the endpoint), or give a DNS name that resolves to the virtual IP",
        )


CHECKS = (
    pool_inside_subnet, gateway_inside_subnet, gateway_outside_pool, services_outside_pool, services_exclude_gateway,
    service_cidr_size, slice_fits, vip_placement, vip_is_the_endpoint,
)
