"""Network namespaces: the fabric (a bridge = the flat layer-2 network) and the nodes.

Nothing here touches the machine's root network namespace beyond creating and
deleting the namespaces themselves: veth pairs are created directly between the
fabric and a node namespace (`ip -n fabric link add ... peer ... netns node`), and
no address or route for a lab range is ever added outside the lab's namespaces.
"""

from __future__ import annotations

from pathlib import Path

from .proc import run
from .spec import PREFIX, LabNames, LabNodeSpec

NETNS_DIR = Path("/run/netns")
BRIDGE = "br0"


def netns_file(name: str) -> Path:
    return NETNS_DIR / name


def exists(name: str) -> bool:
    return netns_file(name).exists()


def ip(netns: str, *args: str) -> None:
    """Run one `ip` command inside a namespace."""
    run(["ip", "-n", netns, *args])


def create_fabric(names: LabNames, gateway: str, prefixlen: int) -> None:
    """The lab's switch: a bridge carrying the physical gateway's address.

    Clients (ssh, test code) run in this namespace and use the gateway address as
    their source, as an administrator's machine behind the router would.
    """
    fabric = names.fabric_netns
    run(["ip", "netns", "add", fabric])
    ip(fabric, "link", "set", "lo", "up")
    ip(fabric, "link", "add", BRIDGE, "type", "bridge", "forward_delay", "0")
    ip(fabric, "addr", "add", f"{gateway}/{prefixlen}", "dev", BRIDGE)
    ip(fabric, "link", "set", BRIDGE, "up")


def uplink_mac(address: str) -> str:
    """The node's uplink MAC address: fixed per node, as a NIC's, so that a reboot (a new
    veth pair) does not leave the fabric's neighbours sending to a vanished address.
    Locally administered (02:...), the node's IPv4 address in the last four bytes."""
    return "02:50:" + ":".join(f"{int(octet):02x}" for octet in address.split("."))


def node_network_argvs(names: LabNames, node: LabNodeSpec, gateway: str, prefixlen: int) -> list[list[str]]:
    """The commands that give a node its namespace in its power-on state.

    lo up; the uplink (one end of a veth pair whose other end is a bridge port)
    carrying the node's address, and a default route via the gateway: what the
    machine's provisioning gives a bare-metal host before our scripts run.
    """
    netns, fabric, port = names.node_netns(node.name), names.fabric_netns, names.fabric_port(node.name)
    return [
        ["ip", "netns", "add", netns],
        ["ip", "-n", fabric, "link", "add", port, "type", "veth",
         "peer", "name", node.uplink, "address", uplink_mac(node.address), "netns", netns],
        ["ip", "-n", fabric, "link", "set", port, "master", BRIDGE, "up"],
        ["ip", "-n", netns, "link", "set", "lo", "up"],
        ["ip", "-n", netns, "addr", "add", f"{node.address}/{prefixlen}", "dev", node.uplink],
        ["ip", "-n", netns, "link", "set", node.uplink, "up"],
        ["ip", "-n", netns, "route", "add", "default", "via", gateway, "dev", node.uplink],
    ]


def reset_node_network_argvs(names: LabNames, node: LabNodeSpec, gateway: str, prefixlen: int) -> list[list[str]]:
    """The commands that put a node's network back in its power-on state (after a reboot).

    Everything the node configured goes with its namespace. The fabric end is deleted
    first (which deletes the pair) because the kernel frees a namespace's devices
    asynchronously: recreating the port right after `ip netns del` could otherwise
    collide with the old one.
    """
    return [
        ["ip", "-n", names.fabric_netns, "link", "del", names.fabric_port(node.name)],
        ["ip", "netns", "del", names.node_netns(node.name)],
        *node_network_argvs(names, node, gateway, prefixlen),
    ]


def create_node_network(names: LabNames, node: LabNodeSpec, gateway: str, prefixlen: int) -> None:
    for argv in node_network_argvs(names, node, gateway, prefixlen):
        run(argv)


def delete(name: str) -> None:
    """Delete a namespace if it exists (idempotent, for every teardown path)."""
    if exists(name):
        run(["ip", "netns", "del", name])


def som_namespaces(lab_id: str | None = None) -> list[str]:
    """Names of lab namespaces on this machine: one lab's, or every som-* one."""
    prefix = LabNames(lab_id).prefix if lab_id else PREFIX
    if not NETNS_DIR.is_dir():
        return []
    return sorted(p.name for p in NETNS_DIR.iterdir() if p.name.startswith(prefix))
