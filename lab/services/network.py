"""The service namespace on the lab's bridge, and running clients that resolve lab names.

Like a node's namespace (lab/netns.py), the veth pair is created between the fabric
and the service namespace directly, so the machine's root namespace never sees a lab
address. ``lab down`` removes the namespace with the lab's others (it is named
``som-<id>-svc``); ``delete`` here is for taking the services down alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .. import netns
from ..proc import kill_and_wait, pids_in_netns, run
from .site import FABRIC_PORT, UPLINK, Site

# A client sees the lab's names through a private bind mount over /etc/hosts, in a
# mount namespace of its own: the machine's /etc/hosts is never touched.
_WITH_HOSTS = 'mount --bind "$1" /etc/hosts && shift && exec "$@"'


def create(site: Site) -> None:
    """The service namespace with its address, plugged into the lab's bridge."""
    fabric = site.names.fabric_netns
    if not netns.exists(fabric):
        raise ValueError(f"lab {site.lab_id} has no fabric namespace {fabric}: bring the lab up first")
    run(["ip", "netns", "add", site.netns])
    netns.ip(fabric, "link", "add", FABRIC_PORT, "type", "veth", "peer", "name", UPLINK, "netns", site.netns)
    netns.ip(fabric, "link", "set", FABRIC_PORT, "master", netns.BRIDGE, "up")
    netns.ip(site.netns, "link", "set", "lo", "up")
    netns.ip(site.netns, "addr", "add", f"{site.address}/{site.prefixlen}", "dev", UPLINK)
    netns.ip(site.netns, "link", "set", UPLINK, "up")


def delete(site: Site) -> None:
    """End whatever still runs in the service namespace, then remove it (idempotent)."""
    kill_and_wait(pids_in_netns(netns.netns_file(site.netns)))
    if netns.exists(site.names.fabric_netns):
        run(["ip", "-n", site.names.fabric_netns, "link", "del", FABRIC_PORT], check=False)
    netns.delete(site.netns)


def hosts_file(site: Site) -> Path:
    """An /etc/hosts for lab clients: the machine's localhost lines and the services."""
    return site.state_dir / "hosts"


def write_hosts_file(site: Site) -> Path:
    path = hosts_file(site)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" + site.hosts_line())
    return path


def client_argv(site: Site, argv: Sequence[str], namespace: str | None = None) -> list[str]:
    """argv run in a lab namespace (default: the service one) where the lab's names resolve."""
    return ["ip", "netns", "exec", namespace or site.netns,
            "unshare", "--mount", "--propagation", "private", "--",
            "sh", "-c", _WITH_HOSTS, "sh", str(hosts_file(site)), *argv]
