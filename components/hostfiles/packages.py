"""Where kubelet, kubeadm and kubectl come from: the official pkgs.k8s.io repository.

The repository is per minor release, so the source line changes with the configured
version and an upgrade is an explicit change in review.
"""

from __future__ import annotations

from components.config import Platform
from components.hostfiles import HostFile

KEYRING = "/etc/apt/keyrings/kubernetes-apt-keyring.gpg"
SOURCES_PATH = "/etc/apt/sources.list.d/spark-on-metal-kubernetes.list"


def repository_url(platform: Platform) -> str:
    return f"https://pkgs.k8s.io/core:/stable:/{platform.version.minor_series}/deb/"


def sources_file(platform: Platform) -> HostFile:
    return HostFile(SOURCES_PATH, f"deb [signed-by={KEYRING}] {repository_url(platform)} /\n")


def key_url(platform: Platform) -> str:
    return f"{repository_url(platform)}Release.key"
