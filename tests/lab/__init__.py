"""The lab: bare-metal Kubernetes nodes as namespaces on one machine (see lab.py).

    from tests.lab import Lab, LabNodeSpec

    with Lab("10.99.0.0/17", "10.99.127.254",
             [LabNodeSpec("cp1", "10.99.0.11"), LabNodeSpec("w1", "10.99.0.12")]) as lab:
        lab.ssh("cp1", "hostname")                    # real OpenSSH, host key pinned
        lab.node_exec("w1", ["ip", "-br", "addr"])     # nsenter, no ssh
        lab.calls("cp1")                               # what the stand-ins were asked to do

Modules, each holding one concern: spec (names, node specs), state (the JSON state
file), proc (running and ending processes), netns (fabric and node namespaces),
overlay (each node's copy-on-write root and its boot script), seed (files a node
starts with), sshd (server config, keys, client argv), nodes (a node's processes),
pods (CNI), cleanup (teardown from what the machine shows), lab (the Lab class),
standins/ (tools a node cannot have), fixtures + testing (pytest), __main__ (CLI).
Needs root, and the Debian packages openssh-server, containernetworking-plugins,
iptables, iproute2, iputils-ping, openssl, util-linux; the stand-ins need PyYAML.
"""

from .lab import Lab
from .proc import LabError
from .spec import DEFAULT_GATEWAY, DEFAULT_SUBNET, LabNodeSpec, default_nodes

__all__ = ["DEFAULT_GATEWAY", "DEFAULT_SUBNET", "Lab", "LabError", "LabNodeSpec", "default_nodes"]
