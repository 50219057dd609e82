"""The one piece of cluster state the kubeadm and kubectl stand-ins share across nodes.

A real `kubeadm join` talks to the API server: it fails when the token is unknown or
expired, when no pinned CA hash matches the cluster's CA, or when the certificate key
does not decrypt the uploaded certificates. There is no API server in a lab, so the
control plane's `kubeadm init` writes what a joining node would learn from it into
this registry, a directory the lab bind-mounts into every node at the same path, and
`kubeadm join` checks against it. It is a stand-in for the API server, nothing more.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .common import load_json, save_json

CLUSTER_DIR = Path("/var/lib/som-lab/cluster")
REGISTRY = CLUSTER_DIR / "cluster.json"
LOCK = CLUSTER_DIR / ".lock"
CERTIFICATE_KEY_TTL = 2 * 3600  # the kubeadm-certs Secret lives two hours


@contextmanager
def registry() -> Iterator[dict[str, Any]]:
    """The registry as a dict, locked against other nodes, saved on exit."""
    CLUSTER_DIR.mkdir(parents=True, exist_ok=True)
    with open(LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = load_json(REGISTRY, {})
        yield data
        save_json(REGISTRY, data)


def read() -> dict[str, Any]:
    return load_json(REGISTRY, {})


def token_valid(data: dict[str, Any], token: str) -> bool:
    expires = data.get("tokens", {}).get(token)
    return token in data.get("tokens", {}) and (expires is None or expires > time.time())


def certificate_key_valid(data: dict[str, Any], key: str) -> bool:
    uploaded = data.get("certificate_key") or {}
    return uploaded.get("key") == key and uploaded.get("expires", 0) > time.time()
