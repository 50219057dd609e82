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
from components.paths import BOOT_SCRIPT_TEMPLATES

LIBEXEC = "/usr/local/libexec/spark-on-metal"
HOST_NETWORK_SCRIPT = f"{LIBEXEC}/host-network.sh"
POD_FORWARDING_SCRIPT = f"{LIBEXEC}/pod-forwarding.sh"
DNS_NOTRACK_SCRIPT = f"{LIBEXEC}/dns-notrack.sh"
IPTABLES_CHAIN = "iptables-chain.sh"  # the prelude both iptables scripts share
UNIT_NAME = "spark-on-metal-network.service"
UNIT_PATH = f"/etc/systemd/system/{UNIT_NAME}"
FORWARD_CHAIN = "SPARK-ON-METAL-FORWARD"
DNS_CHAIN = "SPARK-ON-METAL-DNS"
# The uplink's ARP and rp_filter values before the platform changed them (undo restores).
SAVED_SYSCTLS = "/var/lib/spark-on-metal/host-network/uplink-sysctl"


def stable_mac(node_name: str) -> str:
    """A locally administered unicast MAC derived from the node name.

    A random MAC at every boot would leave stale ARP entries on the switch and peers;
    a derived one survives reboots and re-runs unchanged.
    """
    digest = bytearray(hashlib.sha256(f"spark-on-metal/{node_name}".encode()).digest()[:6])
    digest[0] = (digest[0] & 0b11111100) | 0b00000010
    return ":".join(f"{byte:02x}" for byte in digest)


def _host_script(path: str, purpose: str, values: dict[str, str | int], *templates: str) -> HostFile:
    """An executable script installed on the host: header, quoted values, templates (each
    declares its inputs; together they must be exactly ``values``)."""
    header = f"#!/usr/bin/env bash\n# spark-on-metal: {purpose} (rendered from the stack; do not edit)\nset -euo pipefail\n"
    paths = [BOOT_SCRIPT_TEMPLATES / name for name in templates]
    shell.check_inputs(paths, values)
    return HostFile(path, header + shell.assignments(values) + "".join(shell.template(p) for p in paths), "0755")


def host_network_script(node: NodeNetwork) -> HostFile:
    values = {
        "UPLINK": node.uplink,
        "MACVLAN": node.macvlan_interface,
        "MACVLAN_MAC": stable_mac(node.name),
        "HOST_CIDR": node.host_cidr,
        "GATEWAY": str(node.gateway),
        "SAVED_SYSCTLS": SAVED_SYSCTLS,
    }
    return _host_script(HOST_NETWORK_SCRIPT, f"host networking of {node.name}", values, "host-network.sh")


def pod_forwarding_script(platform: Platform) -> HostFile:
    values = {"TABLE": "filter", "CHAIN": FORWARD_CHAIN, "HOOKS": "FORWARD", "POD_POOL": str(platform.config.pod_pool)}
    return _host_script(POD_FORWARDING_SCRIPT, "forwarding of pod traffic through this host", values, IPTABLES_CHAIN, "pod-forwarding.sh")


def dns_notrack_script(node: NodeNetwork) -> HostFile:
    values = {"TABLE": "raw", "CHAIN": DNS_CHAIN, "HOOKS": "PREROUTING OUTPUT", "DNS_ADDRESS": str(node.address)}
    return _host_script(DNS_NOTRACK_SCRIPT, f"untracked DNS on {node.name}'s address", values, IPTABLES_CHAIN, "dns-notrack.sh")


def boot_scripts(is_dns: bool) -> tuple[str, ...]:
    """What the boot unit runs, in order (and the step runs live)."""
    return (HOST_NETWORK_SCRIPT, POD_FORWARDING_SCRIPT, *((DNS_NOTRACK_SCRIPT,) if is_dns else ()))


def unit_file(is_dns: bool) -> HostFile:
    exec_lines = "".join(f"ExecStart={script} apply\n" for script in boot_scripts(is_dns))
    content = f"""# spark-on-metal: re-create the macvlan host interface and pod forwarding at boot
[Unit]
Description=spark-on-metal host networking for macvlan pods
Wants=network-online.target
After=network-online.target
Before=kubelet.service containerd.service

[Service]
Type=oneshot
RemainAfterExit=yes
{exec_lines}
[Install]
WantedBy=multi-user.target
"""
    return HostFile(UNIT_PATH, content)


def files(platform: Platform, node: NodeNetwork, is_dns: bool) -> tuple[HostFile, ...]:
    scripts = [host_network_script(node), pod_forwarding_script(platform)]
    if is_dns:
        scripts.append(dns_notrack_script(node))
    return (*scripts, unit_file(is_dns))
