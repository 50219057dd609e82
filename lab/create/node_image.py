"""Action ``node-image``: each node wired to the lab's mirrors, as a site's install image is.

What an air-gapped site's host image holds and the lab's nodes lack: the mirrors'
names (a hosts line, as the site's DNS would answer), the site CA in the trust store,
and apt sources that are only the site's (the machine's Debian sources, visible
through the node's overlay, are unreachable from a node: an ``apt-get update`` on them
would fail). SRV lookups are off (apt would ask the resolver, which a node lacks).

The machine's own ``kubectl`` package (Google's cloud SDK build, ``1:528.0.0-0``) shows
through the overlay too; its epoch outranks any pkgs.k8s.io version, so prepare-host's
pinned install would be a downgrade. A rack's fresh host has no such package: the
node's image purges it rather than loosening prepare-host.
"""

from __future__ import annotations

from ..lab import Lab
from ..services import mirrors
from ..services.site import Site
from .run import BringUp

APT_CONF = "/etc/apt/apt.conf.d/90som-lab-site"
APT_CONF_TEXT = '// som-lab: the site resolves names through /etc/hosts only\nAcquire::EnableSrvRecords "false";\n'
# Packages of the machine a fresh rack host does not have, purged from each node.
FOREIGN_PACKAGES = ("kubectl",)
# The machine's apt sources, emptied in the node (apt.lab.internal is added by prepare-host).
SOURCES_SCRIPT = """set -eu
: >/etc/apt/sources.list
find /etc/apt/sources.list.d -mindepth 1 -maxdepth 1 -delete
for package in "$@"; do
  if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    dpkg --purge "$package" >/dev/null
  fi
done
update-ca-certificates >/dev/null
"""


def wire(lab: Lab, site: Site, node: str) -> None:
    hosts = lab.read_file(node, "/etc/hosts")
    if site.hosts_line() not in hosts:
        lab.write_file(node, "/etc/hosts", hosts + site.hosts_line())
    for path, content in mirrors.node_files(site).items():
        lab.write_file(node, path, content)
    lab.write_file(node, APT_CONF, APT_CONF_TEXT)
    lab.node_exec(node, ["sh", "-c", SOURCES_SCRIPT, "sh", *FOREIGN_PACKAGES], timeout=120)


def run(state: BringUp) -> None:
    assert state.lab is not None and state.site is not None
    for spec in state.lab.nodes:
        wire(state.lab, state.site, spec.name)
