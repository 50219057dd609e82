"""The exact CNI configuration a node gets, as the plugins read it.

Written out literally for one node of the base stack (tests.factories.valid_config:
``w1`` at 10.0.0.62 on 10.0.0.0/17, pool 10.0.64.0/20 in /25 slices, so slice 30,
10.0.79.0/25). The field that matters most and that nothing else shows: host-local's
``dataDir`` must survive a reboot; on a tmpfs (/run, /tmp) the allocations are forgotten
and a rebooted node hands a running pod's address to a new one.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath

from components.hostfiles import cni
from components.network import node_network
from tests.factories import load, valid_config, with_settings

W1_CONFLIST = {
    "cniVersion": "1.0.0",
    "name": "spark-on-metal",
    "plugins": [
        {
            "type": "macvlan",
            "master": "eth0",
            "mode": "bridge",
            "ipam": {
                "type": "host-local",
                "dataDir": "/var/lib/cni/networks",
                "ranges": [
                    [
                        {
                            "subnet": "10.0.0.0/17",
                            "rangeStart": "10.0.79.1",
                            "rangeEnd": "10.0.79.126",
                            "gateway": "10.0.127.254",
                        }
                    ]
                ],
                "routes": [{"dst": "0.0.0.0/0", "gw": "10.0.127.254"}, {"dst": "10.0.80.0/24", "gw": "10.0.0.62"}],
            },
        },
        {"type": "portmap", "capabilities": {"portMappings": True}},
    ],
}

# Mounted as tmpfs on Debian and Ubuntu (or cleaned at boot): nothing there survives a reboot.
VOLATILE = ("/run", "/var/run", "/tmp", "/dev/shm")


def conflist_file(config: dict, node: str) -> tuple[str, dict]:
    platform = load(config)
    written = cni.cni_file(platform, node_network(platform, platform.node(node)))
    return written.path, json.loads(written.content)


def test_a_node_gets_exactly_this_conflist_where_containerd_reads_first() -> None:
    path, conflist = conflist_file(valid_config(), "w1")
    assert path == "/etc/cni/net.d/00-spark-on-metal.conflist"
    assert conflist == W1_CONFLIST


def test_host_local_keeps_its_allocations_on_persistent_storage() -> None:
    _, conflist = conflist_file(valid_config(), "w1")
    data_dir = PurePosixPath(conflist["plugins"][0]["ipam"]["dataDir"])
    assert data_dir.is_absolute()
    assert not any(data_dir == PurePosixPath(v) or PurePosixPath(v) in data_dir.parents for v in VOLATILE), data_dir
    assert data_dir == PurePosixPath("/var/lib/cni/networks")


def test_the_conflist_follows_the_nodes_own_settings() -> None:
    """Uplink, explicit slice and the service route through the node itself."""
    config = with_settings(valid_config(), {"nodes[2].uplink": "enp3s0", "nodes[2].podSlice": 0, "serviceCidr": "10.0.96.0/20"})
    _, conflist = conflist_file(config, "w2")
    macvlan = conflist["plugins"][0]
    assert macvlan["master"] == "enp3s0"
    assert macvlan["ipam"]["ranges"] == [
        [{"subnet": "10.0.0.0/17", "rangeStart": "10.0.64.1", "rangeEnd": "10.0.64.126", "gateway": "10.0.127.254"}]
    ]
    assert macvlan["ipam"]["routes"] == [{"dst": "0.0.0.0/0", "gw": "10.0.127.254"}, {"dst": "10.0.96.0/20", "gw": "10.0.0.63"}]


def test_the_file_is_indented_json_ending_in_a_newline() -> None:
    """Stable bytes: the same stack writes the same file, so an unchanged node re-runs nothing."""
    platform = load(valid_config())
    content = cni.cni_file(platform, node_network(platform, platform.node("w1"))).content
    assert content == json.dumps(W1_CONFLIST, indent=2) + "\n"
