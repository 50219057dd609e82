"""Stacks of any size, for graph tests and the benchmark: one control plane, N workers."""

from __future__ import annotations

import ipaddress
from typing import Any

from tests.program_mocks import PROJECT

# Any well-formed ed25519 public key serves: these stacks never dial a host.
HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPAj8UAjEjB4MSlpkYMQCeqR1OX2wSmop56EetUW4dk+"
SSH_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nscale-test-key\n-----END OPENSSH PRIVATE KEY-----\n"


def scaled_config(workers: int, tenants: int = 1) -> tuple[dict[str, Any], list[str]]:
    """An engine config bag (values as the engine passes them) for 1 + ``workers`` nodes."""
    import json

    base = ipaddress.IPv4Address("10.1.0.10")
    nodes = [{"name": "cp1", "address": str(base), "roles": ["control-plane", "dns"], "sshHostKey": HOST_KEY}]
    nodes += [
        {"name": f"w{i}", "address": str(base + i), "roles": ["worker"], "sshHostKey": HOST_KEY}
        for i in range(1, workers + 1)
    ]
    worker_names = [n["name"] for n in nodes[1:]]
    groups = [worker_names[i::tenants] for i in range(tenants)] if workers else []
    tenant_list = [{"name": f"tenant-{i}", "nodes": group} for i, group in enumerate(groups) if group]
    values = {
        "kubernetesVersion": "1.35.4",
        "podSubnet": "10.0.0.0/12",
        "podPool": "10.8.0.0/14",
        "gateway": "10.15.255.254",
        "serviceCidr": "10.12.0.0/16",
        "nodes": nodes,
        "tenants": tenant_list,
        "sshPrivateKey": SSH_KEY,
    }
    config = {f"{PROJECT}:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}
    return config, [f"{PROJECT}:sshPrivateKey"]
