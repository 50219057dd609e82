"""resolv.conf for kubelet and the host: real upstream resolvers, and no 5-second stalls.

``single-request-reopen`` makes glibc retry the A/AAAA pair on a new socket when one
answer is lost to the conntrack race (kubernetes/kubernetes#56903); ``timeout`` keeps the
retry short. kubelet's ``resolvConf`` must list the real upstreams, never the
127.0.0.53 stub, because hostNetwork CoreDNS forwards to what it finds there.
"""

from __future__ import annotations

from components.config import Platform
from components.hostfiles import HostFile

KUBELET_RESOLV_CONF = "/etc/spark-on-metal/resolv.conf"


def options(platform: Platform) -> str:
    dns = platform.config.dns
    return f"single-request-reopen timeout:{dns.timeout_seconds} attempts:{dns.attempts}"


def kubelet_resolv_file(platform: Platform) -> HostFile | None:
    """The file itself when upstreams are configured; else the step derives it on the host."""
    upstreams = platform.config.dns.upstreams
    if not upstreams:
        return None
    lines = ["# spark-on-metal: kubelet resolvConf (upstream resolvers for CoreDNS and hostNetwork pods)"]
    lines += [f"nameserver {address}" for address in upstreams]
    lines.append(f"options {options(platform)}")
    return HostFile(KUBELET_RESOLV_CONF, "\n".join(lines) + "\n")
