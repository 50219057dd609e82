"""Looking at lab nodes after a deployment: addresses, pods, reachability, DNS, state.

Shared by the end-to-end tests and the demo, so what the demo shows a person is what the
tests assert.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass

from components.hostfiles.cni import CONF_PATH
from lab import Lab

# What a deployment writes on a host; the lab's own bookkeeping (calls log, stand-in
# state) is not part of the host's configuration.
STATE_ROOTS = ("etc", "usr/local", "var/lib/spark-on-metal", "opt/cni")
IGNORED = ("var/log/som-lab", "usr/local/lib/som-lab")


def ipv4_addresses(lab: Lab, node: str, device: str) -> list[str]:
    done = lab.node_exec(node, ["ip", "-4", "-o", "addr", "show", "dev", device], check=False)
    return [line.split()[3] for line in done.stdout.splitlines()]


def link_exists(lab: Lab, node: str, device: str) -> bool:
    return lab.node_exec(node, ["ip", "link", "show", "dev", device], check=False).returncode == 0


@dataclass(frozen=True)
class Pod:
    node: str
    name: str
    address: str
    routes: tuple[tuple[str, str], ...]


def add_pod(lab: Lab, node: str, name: str) -> Pod:
    """A pod attached with the node's own rendered CNI config, through the real plugins."""
    result = lab.add_pod(node, name, CONF_PATH)
    address = result["ips"][0]["address"].split("/")[0]
    routes = tuple((route["dst"], route.get("gw", "")) for route in result.get("routes", []))
    return Pod(node, name, address, routes)


def reaches(lab: Lab, pod: Pod, address: str) -> bool:
    return lab.pod_exec(pod.node, pod.name, ["ping", "-c", "1", "-W", "1", address]).returncode == 0


def connectivity(lab: Lab, pods: list[Pod], gateway: str) -> dict[str, dict[str, bool]]:
    """pod -> target label -> reachable, for every host, every other pod and the gateway."""
    hosts = {spec.name: spec.address for spec in lab.nodes}
    matrix: dict[str, dict[str, bool]] = {}
    for pod in pods:
        row = {f"host {name}": reaches(lab, pod, address) for name, address in hosts.items()}
        row |= {f"pod {other.node}": reaches(lab, pod, other.address) for other in pods if other is not pod}
        row["gateway"] = reaches(lab, pod, gateway)
        matrix[f"{pod.name}@{pod.node}"] = row
    return matrix


def in_range(address: str, start: str, end: str) -> bool:
    value = ipaddress.IPv4Address(address)
    return ipaddress.IPv4Address(start) <= value <= ipaddress.IPv4Address(end)


# A DNS query in a few lines of Python (the pods have no dig): one A question, the first
# A answer back. Run inside a pod's network namespace.
DNS_QUERY = r"""
import socket, struct, sys
name, server = sys.argv[1], sys.argv[2]
question = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
packet = struct.pack(">HHHHHH", 0x5350, 0x0100, 1, 0, 0, 0) + question + struct.pack(">HH", 1, 1)
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.settimeout(2)
sock.sendto(packet, (server, 53))
reply = sock.recv(512)
print(socket.inet_ntoa(reply[-4:]))
"""


def resolve(lab: Lab, pod: Pod, name: str, server: str, python: str) -> str | None:
    done = lab.pod_exec(pod.node, pod.name, [python, "-c", DNS_QUERY, name, server])
    return done.stdout.strip() if done.returncode == 0 else None


def snapshot(lab: Lab, node: str) -> dict[str, object]:
    """Everything a deployment may change on a host: files, links, addresses, routes, rules."""
    upper = lab.node_dirs(node).upper
    files = {}
    for root in STATE_ROOTS:
        for path in sorted((upper / root).rglob("*")) if (upper / root).exists() else []:
            relative = str(path.relative_to(upper))
            if path.is_file() and not path.is_symlink() and not relative.startswith(IGNORED):
                files[relative] = (oct(path.stat().st_mode), hashlib.sha256(path.read_bytes()).hexdigest())
    commands = {
        "links": ["ip", "-d", "-o", "link", "show"],
        "addresses": ["ip", "-4", "-o", "addr", "show"],
        "routes": ["ip", "-4", "route", "show", "table", "all"],
        **{f"iptables {t}": ["iptables", "-w", "-t", t, "-S"] for t in ("filter", "nat", "raw")},
    }
    live = {key: _stable(lab.node_exec(node, argv).stdout) for key, argv in commands.items()}
    return {"files": files, **live}


def _stable(text: str) -> str:
    """Drop what changes with time alone (link statistics, address lifetimes)."""
    return "\n".join(line.split(" valid_lft")[0] for line in text.splitlines())
