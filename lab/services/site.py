"""Where the lab's services live: one service namespace on the fabric, its address and names.

Why one namespace of their own: an air-gapped site reaches its mirrors at a fixed
address on its own network, by name. The lab does the same: the registry and the apt
repository listen in ``som-<id>-svc``, a namespace plugged into the lab's bridge like
a node, at the highest free address of the subnet below the gateway. Nothing listens
in the machine's root namespace. Names resolve through /etc/hosts lines the lab puts
on its nodes (``hosts_line``), as a site's DNS would answer.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..spec import LabNames

REGISTRY_HOST = "registry.lab.internal"
APT_HOST = "apt.lab.internal"
REGISTRY_PORT = 5000
APT_PORT = 443
STORE_PORT = 9000  # the S3-compatible object store (lab/services/objectstore.py), plain HTTP
STORE_BUCKET = "spark-uploads"
REPOSITORY_PATH = "k8s"  # images at <registry>/k8s/<name>:<tag>
FABRIC_PORT = "svc0"  # the bridge end of the service namespace's veth (node ports are v-<node>)
UPLINK = "eth0"


@dataclass(frozen=True)
class Site:
    """A lab's service namespace: its name, address and the URLs clients use."""

    lab_id: str
    address: str
    prefixlen: int

    @property
    def names(self) -> LabNames:
        return LabNames(self.lab_id)

    @property
    def netns(self) -> str:
        return f"{self.names.prefix}svc"

    @property
    def state_dir(self) -> Path:
        """Keys, certificates, configs, data and logs of the services (inside the lab's state)."""
        return self.names.state_dir / "services"

    @property
    def registry(self) -> str:
        """``host:port`` of the image registry."""
        return f"{REGISTRY_HOST}:{REGISTRY_PORT}"

    @property
    def image_repository(self) -> str:
        """kubeadm's ``imageRepository`` for this lab's mirror."""
        return f"{self.registry}/{REPOSITORY_PATH}"

    @property
    def store_endpoint(self) -> str:
        """The object store's S3 endpoint, by address: Spark's pods resolve names through
        the cluster's DNS, which knows nothing of the lab's /etc/hosts names."""
        return f"http://{self.address}:{STORE_PORT}"

    @property
    def upload_path(self) -> str:
        """What the lab's stack sets as ``spark.uploadPath``."""
        return f"s3a://{STORE_BUCKET}/uploads"

    def apt_url(self, minor: int) -> str:
        """The Kubernetes apt repository of one minor release, in pkgs.k8s.io's layout."""
        return f"https://{APT_HOST}/core:/stable:/v1.{minor}/deb/"

    def hosts_line(self) -> str:
        """The /etc/hosts line that makes the services' names resolve on a node."""
        return f"{self.address}\t{REGISTRY_HOST} {APT_HOST}\n"


def service_address(subnet: str, gateway: str, taken: Iterable[str] = ()) -> str:
    """The highest address of the subnet that is neither the gateway nor taken."""
    network = ipaddress.IPv4Network(subnet)
    used = {ipaddress.IPv4Address(gateway), *(ipaddress.IPv4Address(a) for a in taken)}
    for offset in range(network.num_addresses - 2, 0, -1):
        candidate = network.network_address + offset
        if candidate not in used:
            return str(candidate)
    raise ValueError(f"no free address left in {subnet} for the lab's services")


def site_for(lab_id: str, subnet: str, gateway: str, taken: Iterable[str] = ()) -> Site:
    return Site(lab_id, service_address(subnet, gateway, taken), ipaddress.IPv4Network(subnet).prefixlen)
