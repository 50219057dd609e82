"""Host networking for macvlan pods: the host's address moves onto a macvlan sibling.

A macvlan child cannot talk to its parent interface, so pods could not reach their own
host while its address sits on the uplink. Moving the address, prefix and routes onto a
macvlan sub-interface (bridge mode) of the uplink makes host and pods siblings that the
macvlan bridge switches between (DESIGN.md, Network). The same script runs from the
step over SSH and from a systemd unit at every boot, so the state persists.
"""

from __future__ import annotations

import hashlib

from components import shell
from components.config import Platform
from components.hostfiles import HostFile
from components.network import NodeNetwork
from components.paths import TEMPLATES

LIBEXEC = "/usr/local/libexec/spark-on-metal"
HOST_NETWORK_SCRIPT = f"{LIBEXEC}/host-network.sh"
POD_FORWARDING_SCRIPT = f"{LIBEXEC}/pod-forwarding.sh"
UNIT_NAME = "spark-on-metal-network.service"
UNIT_PATH = f"/etc/systemd/system/{UNIT_NAME}"
FORWARD_CHAIN = "SPARK-ON-METAL-FORWARD"


def stable_mac(node_name: str) -> str:
    """A locally administered unicast MAC derived from the node name.

    A random MAC at every boot would leave stale ARP entries on the switch and peers;
    a derived one survives reboots and re-runs unchanged.
    """
    digest = bytearray(hashlib.sha256(f"spark-on-metal/{node_name}".encode()).digest()[:6])
    digest[0] = (digest[0] & 0b11111100) | 0b00000010
    return ":".join(f"{byte:02x}" for byte in digest)


def host_network_script(node: NodeNetwork) -> HostFile:
    header = (
        "#!/usr/bin/env bash\n"
        f"# spark-on-metal: host networking of {node.name} (rendered from the stack; do not edit)\n"
        "set -euo pipefail\n"
    )
    values = shell.assignments(
        {
            "UPLINK": node.uplink,
            "MACVLAN": node.macvlan_interface,
            "MACVLAN_MAC": stable_mac(node.name),
            "HOST_CIDR": node.host_cidr,
            "GATEWAY": str(node.gateway),
        }
    )
    return HostFile(HOST_NETWORK_SCRIPT, header + values + shell.template(TEMPLATES / "host-network.sh"), "0755")


def pod_forwarding_script(platform: Platform) -> HostFile:
    header = (
        "#!/usr/bin/env bash\n"
        "# spark-on-metal: forwarding of pod traffic through this host (rendered; do not edit)\n"
        "set -euo pipefail\n"
    )
    values = shell.assignments({"CHAIN": FORWARD_CHAIN, "POD_POOL": str(platform.config.pod_pool)})
    return HostFile(POD_FORWARDING_SCRIPT, header + values + shell.template(TEMPLATES / "pod-forwarding.sh"), "0755")


def unit_file() -> HostFile:
    content = f"""# spark-on-metal: re-create the macvlan host interface and pod forwarding at boot
[Unit]
Description=spark-on-metal host networking for macvlan pods
Wants=network-online.target
After=network-online.target
Before=kubelet.service containerd.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart={HOST_NETWORK_SCRIPT} apply
ExecStart={POD_FORWARDING_SCRIPT} apply

[Install]
WantedBy=multi-user.target
"""
    return HostFile(UNIT_PATH, content)


def files(platform: Platform, node: NodeNetwork) -> tuple[HostFile, ...]:
    return host_network_script(node), pod_forwarding_script(platform), unit_file()
