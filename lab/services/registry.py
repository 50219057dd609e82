"""The lab's image mirror: Debian's docker-registry (distribution 2.8) over TLS.

Why this registry: it is what a site would run for an internal mirror, it is packaged
by Debian, and containerd, kubeadm and skopeo speak to it exactly as to registry.k8s.io.
It listens only on the service namespace's address. Images are pushed with skopeo
from the OCI layouts lab.images built, run inside the service namespace and verifying
the registry's certificate with the lab CA, by name.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..proc import run
from ..sshd import listening
from . import network, process
from .site import REGISTRY_HOST, REGISTRY_PORT, Site
from .tls import TlsFiles

NAME = "registry"
PUSH_TIMEOUT = 900.0


@dataclass(frozen=True)
class RegistryFiles:
    directory: Path

    @property
    def config(self) -> Path:
        return self.directory / "config.yml"

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def cert_dir(self) -> Path:
        """A containers-style cert dir (``ca.crt``) for skopeo's --*-cert-dir."""
        return self.directory / "certs.d"

    @property
    def policy(self) -> Path:
        """skopeo's signature policy: the lab pushes only layouts it built itself."""
        return self.directory / "policy.json"


def files(site: Site) -> RegistryFiles:
    return RegistryFiles(site.state_dir / "registry")


def config_text(site: Site, data: Path, tls: TlsFiles) -> str:
    """distribution's configuration: filesystem storage, TLS, this address only, no auth.

    JSON is valid YAML, and keeps the file free of hand-written indentation.
    """
    config = {
        "version": 0.1,
        "log": {"level": "info", "fields": {"service": "registry"}},
        "storage": {"filesystem": {"rootdirectory": str(data)}, "delete": {"enabled": True}},
        "http": {
            "addr": f"{site.address}:{REGISTRY_PORT}",
            "host": f"https://{REGISTRY_HOST}:{REGISTRY_PORT}",
            "tls": {"certificate": str(tls.server_cert), "key": str(tls.server_key)},
            "headers": {"X-Content-Type-Options": ["nosniff"]},
        },
        "health": {"storagedriver": {"enabled": True, "interval": "10s", "threshold": 3}},
    }
    return json.dumps(config, indent=2) + "\n"


def start(site: Site, tls: TlsFiles) -> process.Running:
    """Write the registry's config and start it in the service namespace."""
    paths = files(site)
    paths.data.mkdir(parents=True, exist_ok=True)
    paths.config.write_text(config_text(site, paths.data, tls))
    paths.cert_dir.mkdir(exist_ok=True)
    (paths.cert_dir / "ca.crt").write_bytes(tls.ca_cert.read_bytes())
    paths.policy.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}) + "\n")
    return process.start(site, NAME, ["docker-registry", "serve", str(paths.config)],
                         ready=lambda pid: listening(pid, REGISTRY_PORT))


def push_argv(site: Site, oci_reference: str, name: str, tag: str) -> list[str]:
    """skopeo copy of one layout into ``<image repository>/<name>:<tag>``, TLS verified."""
    paths = files(site)
    return network.client_argv(site, [
        "skopeo", "--policy", str(paths.policy), "copy", "--quiet",
        "--dest-cert-dir", str(paths.cert_dir), "--dest-tls-verify=true",
        oci_reference, f"docker://{site.image_repository}/{name}:{tag}",
    ])


def push(site: Site, images: Iterable[tuple[str, str, str]]) -> list[str]:
    """Push (oci reference, name, tag) triples; returns the references now served."""
    pushed = []
    for oci_reference, name, tag in images:
        run(push_argv(site, oci_reference, name, tag), timeout=PUSH_TIMEOUT)
        pushed.append(f"{site.image_repository}/{name}:{tag}")
    return pushed
