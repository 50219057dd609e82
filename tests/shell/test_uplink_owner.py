"""uplink-owner.sh against a real systemd-networkd, in a systemd-booted lab node.

prepare-host refuses a host whose uplink a network manager owns (it would undo the host
address move). The fake-host test proves the refusal stops the step first; this one
proves the detection reads a real networkd right: a .network matching the uplink makes
it the owner, ``Unmanaged=yes`` (the documented fix) releases it, and a networkd that
is not running owns nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from components import shell
from components.paths import STEP_TEMPLATES
from lab import Lab, default_nodes
from lab.spec import DEFAULT_GATEWAY, DEFAULT_SUBNET
from lab.testing import requires_root

pytestmark = requires_root

NETWORK_FILE = "/etc/systemd/network/10-uplink.network"
# what a host's installer leaves: the uplink's address, configured by networkd
OWNED = "[Match]\nName=eth0\n\n[Network]\nAddress={address}/17\n"
RELEASED = "[Match]\nName=eth0\n\n[Link]\nUnmanaged=yes\n"


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    lab = Lab(DEFAULT_SUBNET, DEFAULT_GATEWAY, default_nodes(1))
    try:
        yield lab.up()
    finally:
        lab.down()


def owner(lab: Lab) -> str:
    """What uplink_owner says on the node (the rendered template, run by bash there)."""
    script = "UPLINK=eth0\n" + shell.template(STEP_TEMPLATES / "uplink-owner.sh") + "\nuplink_owner\n"
    done = lab.node_exec("cp1", ["bash", "-c", script])
    return done.stdout.strip()


def networkd(lab: Lab, network_file: str | None, action: str) -> None:
    if network_file is not None:
        lab.write_file("cp1", NETWORK_FILE, network_file)
    lab.node_exec("cp1", ["systemctl", action, "systemd-networkd.service"], timeout=60)
    lab.node_exec("cp1", ["sh", "-c", "networkctl reload 2>/dev/null; sleep 1"], check=False)


def test_a_networkd_that_configures_the_uplink_owns_it_and_unmanaged_releases_it(lab: Lab) -> None:
    address = lab.state.node("cp1").address
    assert owner(lab) == ""  # networkd not running: the lab node's static address
    networkd(lab, OWNED.format(address=address), "start")
    assert owner(lab).startswith("systemd-networkd")
    networkd(lab, RELEASED, "restart")
    assert owner(lab) == ""
    networkd(lab, None, "stop")
