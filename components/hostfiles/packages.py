"""Where packages come from: one apt source per concern, each with its own signing key.

kubelet, kubeadm, kubectl, cri-tools and kubernetes-cni come from pkgs.k8s.io's repository
of the configured minor (or the site's mirror of it); containerd from the repository the
stack names (Docker's by default, which packages containerd 2.x for Debian and Ubuntu).

Keys are kept ASCII-armoured as ``.asc`` keyrings, which apt reads directly (no gpg on
the host). A source line is installed only once its key is in place (prepare-host), so
no ``apt-get update`` ever reads a source it cannot verify.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.config import AptSource, Platform
from components.hostfiles import HostFile

KEYRING_DIR = "/etc/apt/keyrings"
SOURCES_DIR = "/etc/apt/sources.list.d"


@dataclass(frozen=True)
class AptRepository:
    """One configured source: its name on the host, the source and where its key lives."""

    name: str
    source: AptSource

    @property
    def keyring(self) -> str:
        return f"{KEYRING_DIR}/spark-on-metal-{self.name}.asc"

    @property
    def sources_path(self) -> str:
        return f"{SOURCES_DIR}/spark-on-metal-{self.name}.list"

    def sources_file(self) -> HostFile:
        return HostFile(self.sources_path, f"deb [signed-by={self.keyring}] {self.source.url} {self.source.source_suite}\n")

    def key_file(self) -> HostFile | None:
        """The key itself when the stack holds it inline; else the host downloads it."""
        key = self.source.signing_key
        return None if key is None else HostFile(self.keyring, key.strip() + "\n")

    def key_download(self) -> str | None:
        """``<keyring> <url>`` for prepare-host to fetch, when the key is given by URL."""
        url = self.source.signing_key_url
        return None if url is None else f"{self.keyring} {url}"


def repositories(platform: Platform) -> tuple[AptRepository, ...]:
    """One source per distinct repository: a site mirror that serves containerd from the
    Kubernetes repository itself gets one source line, since apt refuses the same source
    twice with two keyrings ("Conflicting values set for option Signed-By", exit 100)."""
    kubernetes = AptRepository("kubernetes", platform.package_repository)
    containerd = platform.config.containerd.repository
    if containerd == kubernetes.source:
        return (kubernetes,)
    return (kubernetes, AptRepository("containerd", containerd))
