"""The node's CNI network: macvlan (bridge mode) on the uplink, host-local IPAM on its slice.

Pods join the flat layer-2 network directly (no overlay). Their routes: the physical
gateway by default, and the service CIDR through the node's own address, because macvlan
egress never passes the host's iptables where kube-proxy's service rules live.

``portmap`` follows in the chain, so a pod's ``hostPort`` works: kubelet hands the port
mappings to the runtime, and only a plugin with the ``portMappings`` capability turns them
into DNAT rules on the host.
"""

from __future__ import annotations

import json

from components.config import Platform
from components.hostfiles import HostFile
from components.hostfiles.containerd import CNI_CONF_DIR
from components.network import NodeNetwork

CNI_VERSION = "1.0.0"
CONF_DIR = CNI_CONF_DIR
# "00-" sorts before anything a distribution's containerd package drops into net.d
# (kubelet/containerd use the lexically first config).
CONF_PATH = f"{CONF_DIR}/00-spark-on-metal.conflist"
NETWORK_NAME = "spark-on-metal"
IPAM_DATA_DIR = "/var/lib/cni/networks"


def conflist(platform: Platform, node: NodeNetwork) -> dict:
    return {
        "cniVersion": CNI_VERSION,
        "name": NETWORK_NAME,
        "plugins": [
            {
                "type": "macvlan",
                "master": node.uplink,
                "mode": "bridge",
                "ipam": {
                    "type": "host-local",
                    "dataDir": IPAM_DATA_DIR,
                    "ranges": [
                        [
                            {
                                "subnet": str(platform.config.pod_subnet),
                                "rangeStart": str(node.range_start),
                                "rangeEnd": str(node.range_end),
                                "gateway": str(node.gateway),
                            }
                        ]
                    ],
                    "routes": [{"dst": str(route.destination), "gw": str(route.via)} for route in node.routes],
                },
            },
            {"type": "portmap", "capabilities": {"portMappings": True}},
        ],
    }


def cni_file(platform: Platform, node: NodeNetwork) -> HostFile:
    return HostFile(CONF_PATH, json.dumps(conflist(platform, node), indent=2) + "\n")
