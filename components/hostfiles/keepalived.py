"""keepalived on the control planes: the API endpoint as a virtual IP on the flat network.

Why keepalived, alone: the VIP must answer before ``kubeadm init`` (it is the
``controlPlaneEndpoint`` from day one), so whatever holds it cannot depend on the API
server it fronts; keepalived is a distribution package with no cluster dependency (kube-vip,
the usual static pod, elects its leader through the API and is not served by the Go module
proxy here). No haproxy: every API server listens on all addresses, so the control plane
holding the VIP answers on it itself; balancing the API over three servers is not worth a
second daemon and port for a Spark cluster's API load.

Who holds it: VRRP over unicast between the control planes (no multicast on the rack,
adverts from other sources ignored). Each checks its own API server's ``/livez``; failing
costs 60 of priority. The first control plane starts at 150, the others at 100: it holds
the VIP while ``kubeadm init`` runs (every check fails then: 90 against 40), and loses it
to a healthy one as soon as its own API server fails (90 against 100) or it goes down.
"""

from __future__ import annotations

from components.config import NodeConfig, Platform
from components.hostfiles import HostFile, hostnet

CONFIG = "/etc/keepalived/keepalived.conf"
DROP_IN = "/etc/systemd/system/keepalived.service.d/spark-on-metal.conf"
INSTANCE = "spark_on_metal_api"
FIRST_PRIORITY, PRIORITY, CHECK_WEIGHT = 150, 100, -60
CA_CERT = "/etc/kubernetes/pki/ca.crt"


def config_file(platform: Platform, node: NodeConfig) -> HostFile:
    vip = platform.config.control_plane_vip
    assert vip is not None, "keepalived only runs with controlPlaneVip set"
    interface = platform.config.macvlan_interface  # the host's address lives there (host-network)
    peers = "".join(f"    {plane.address}\n" for plane in platform.control_planes if plane.name != node.name)
    priority = FIRST_PRIORITY if node.name == platform.init_node.name else PRIORITY
    live = f"https://{node.address}:{platform.config.api_port}/livez"
    return HostFile(
        CONFIG,
        f"""# Rendered by spark-on-metal (components/hostfiles/keepalived.py) for {node.name}; do not edit.
global_defs {{
  router_id spark-on-metal-{node.name}
  enable_script_security
  script_user root
}}

vrrp_script api_server_live {{
  script "/usr/bin/curl --silent --fail --max-time 2 --output /dev/null --cacert {CA_CERT} {live}"
  interval 2
  fall 2
  rise 2
  weight {CHECK_WEIGHT}
}}

vrrp_instance {INSTANCE} {{
  state BACKUP
  interface {interface}
  virtual_router_id {vip.router_id}
  priority {priority}
  advert_int 1
  unicast_src_ip {node.address}
  unicast_peer {{
{peers}  }}
  check_unicast_src
  virtual_ipaddress {{
    {vip.address}/32 dev {interface}
  }}
  track_script {{
    api_server_live
  }}
}}
""",
        mode="0600",
    )


def drop_in_file() -> HostFile:
    """keepalived binds to the macvlan sub-interface, which the host network unit makes at boot."""
    return HostFile(
        DROP_IN,
        f"""# Rendered by spark-on-metal (components/hostfiles/keepalived.py); do not edit.
[Unit]
Wants={hostnet.UNIT_NAME}
After={hostnet.UNIT_NAME}
""",
    )
