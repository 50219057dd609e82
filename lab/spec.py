"""What a lab is made of: node specs, addresses, and the names of everything it creates.

Every namespace, mount, directory and process marker of a lab carries the prefix
`som-<lab id>-`, so that two labs can live side by side and a stale one left by a
crashed process can be found by name alone (see cleanup.py).
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

PREFIX = "som-"
STATE_ROOT = Path("/run/som-lab")
MOUNT_ROOT = Path("/mnt")
# Process markers: an argv element `<marker>=<lab id>/<node>` names what a lab process is,
# so that teardown finds it from /proc alone (see nodes/lifecycle.py).
POWER_MARKER = "som-lab-power"  # a node's power supply: boots it, and again when it reboots
INIT_MARKER = "som-lab-init"  # a node's launcher: the parent of the node's PID 1

DEFAULT_SUBNET = "10.99.0.0/17"
DEFAULT_GATEWAY = "10.99.127.254"
FIRST_HOST_OFFSET = 11

_NAME = re.compile(r"^[a-z][a-z0-9-]{0,12}$")
_LAB_ID = re.compile(r"^[a-z0-9]{1,12}$")
_IFNAME = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")


@dataclass(frozen=True)
class LabNodeSpec:
    """One bare-metal node of the lab.

    name: short host name (also the node's hostname), at most 13 characters so that
    the fabric-side interface name `v-<name>` fits the kernel's 15-character limit.
    address: the node's IP on the flat layer-2 subnet.
    uplink: the name of the node's physical interface, as the stack config calls it.
    """

    name: str
    address: str
    uplink: str = "eth0"

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"node name {self.name!r}: use [a-z][a-z0-9-], 1-13 chars")
        ipaddress.IPv4Address(self.address)
        if not _IFNAME.match(self.uplink):
            raise ValueError(f"uplink {self.uplink!r} is not a valid interface name")


@dataclass(frozen=True)
class LabNames:
    """Names and paths derived from a lab id, in one place so nothing spells them twice."""

    lab_id: str

    def __post_init__(self) -> None:
        if not _LAB_ID.match(self.lab_id):
            raise ValueError(f"lab id {self.lab_id!r}: use [a-z0-9], 1-12 chars")

    @property
    def prefix(self) -> str:
        return f"{PREFIX}{self.lab_id}-"

    @property
    def fabric_netns(self) -> str:
        return f"{self.prefix}fabric"

    def node_netns(self, node: str) -> str:
        return f"{self.prefix}n-{node}"

    def node_cgroup(self, node: str) -> str:
        """The node's cgroup, one level below the root of every hierarchy of the machine."""
        return f"{self.prefix}n-{node}"

    def marker(self, kind: str, node: str) -> str:
        """The argv element that marks a process of this node (kind: POWER_MARKER, INIT_MARKER)."""
        return f"{kind}={self.lab_id}/{node}"

    @staticmethod
    def fabric_port(node: str) -> str:
        """The fabric-side end of a node's veth pair (lives in the fabric namespace)."""
        return f"v-{node}"

    @property
    def state_dir(self) -> Path:
        return STATE_ROOT / self.lab_id

    @property
    def state_file(self) -> Path:
        return self.state_dir / "state.json"

    @property
    def mount_dir(self) -> Path:
        """The lab's tmpfs: node upper/work dirs and the shared cluster registry."""
        return MOUNT_ROOT / f"{PREFIX}{self.lab_id}"

    def node_dir(self, node: str) -> Path:
        return self.mount_dir / node

    def node_file(self, node: str, suffix: str) -> Path:
        """A file the lab keeps about a node: boot.sh, power.sh, log."""
        return self.state_dir / f"{node}.{suffix}"

    @property
    def cluster_dir(self) -> Path:
        return self.mount_dir / "cluster"


def parse_marker(arg: str) -> tuple[str, str, str] | None:
    """(kind, lab id, node) of a process marker argument, None for any other argument."""
    kind, sep, rest = arg.partition("=")
    lab_id, slash, node = rest.partition("/")
    if not sep or not slash or kind not in (POWER_MARKER, INIT_MARKER):
        return None
    return kind, lab_id, node


def new_lab_id() -> str:
    """A short random id: enough to keep concurrent labs apart."""
    return secrets.token_hex(3)


CONTROL_PLANE_PREFIX = "cp"  # a lab node so named is a control plane in the lab's stack


def default_nodes(count: int, subnet: str = DEFAULT_SUBNET, control_planes: int = 1) -> list[LabNodeSpec]:
    """cp1, w1, w2, ... at .11, .12, .13 ... of the subnet: the CLI's default lab; with
    ``control_planes`` > 1, cp1, cp2, ... first, then the workers."""
    if not 1 <= control_planes <= count:
        raise ValueError(f"{control_planes} control planes in a lab of {count} nodes: give 1 to {count}")
    network = ipaddress.IPv4Network(subnet)
    names = [f"{CONTROL_PLANE_PREFIX}{i}" for i in range(1, control_planes + 1)] + [f"w{i}" for i in range(1, count - control_planes + 1)]
    return [
        LabNodeSpec(name, str(network.network_address + FIRST_HOST_OFFSET + i))
        for i, name in enumerate(names[:count])
    ]


def check_layout(subnet: str, gateway: str, nodes: list[LabNodeSpec]) -> int:
    """Validate a lab layout and return the subnet's prefix length.

    Fails early on what would otherwise surface as a confusing `ip` error half way
    through lab up: duplicate names or addresses, addresses outside the subnet.
    """
    network = ipaddress.IPv4Network(subnet)
    addresses = [gateway] + [n.address for n in nodes]
    for address in addresses:
        if ipaddress.IPv4Address(address) not in network:
            raise ValueError(f"{address} is not in {subnet}")
    if len(set(addresses)) != len(addresses):
        raise ValueError("node addresses and the gateway must all differ")
    if len({n.name for n in nodes}) != len(nodes):
        raise ValueError("node names must be unique")
    if not nodes:
        raise ValueError("a lab needs at least one node")
    return network.prefixlen
