"""What depends on the Kubernetes minor version: kubeadm's config API, default images.

One table, so that supporting a new minor release is a one-line change reviewed in one
place. The range ends where the offline OpenAPI schemas we validate objects against end
(PyPI ``kubernetes-validate``), so every supported version is also a checked one.
"""

from __future__ import annotations

from dataclasses import dataclass

OLDEST_MINOR = 28
NEWEST_MINOR = 37

# kubeadm.k8s.io/v1beta4 became the default in 1.31; v1beta3 is read until its removal.
V1BETA4_FROM_MINOR = 31

# The sandbox ("pause") image each kubeadm release pins (`kubeadm config images list`).
_PAUSE_BY_MINOR = {28: "3.9", 29: "3.9", 30: "3.9", 31: "3.10", 32: "3.10", 33: "3.10"}
_PAUSE_NEWER = "3.10.1"

# CoreDNS: we run our own (host network); its image defaults to the release kubeadm ships.
_COREDNS_BY_MINOR = {28: "v1.10.1", 29: "v1.11.1", 30: "v1.11.3", 31: "v1.11.3", 32: "v1.11.3", 33: "v1.12.0"}
_COREDNS_NEWER = "v1.12.1"


@dataclass(frozen=True)
class KubernetesVersion:
    """A validated ``1.<minor>.<patch>`` release."""

    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> "KubernetesVersion":
        parts = text.removeprefix("v").split(".")
        return cls(minor=int(parts[1]), patch=int(parts[2]))

    def __str__(self) -> str:
        return f"1.{self.minor}.{self.patch}"

    @property
    def tag(self) -> str:
        """The image tag and `kubeadm version -o short` form."""
        return f"v{self}"

    @property
    def minor_series(self) -> str:
        """The pkgs.k8s.io repository series, e.g. ``v1.31``."""
        return f"v1.{self.minor}"

    @property
    def deb_version(self) -> str:
        """The Debian package version pkgs.k8s.io publishes for this release."""
        return f"{self}-1.1"

    @property
    def kubeadm_api(self) -> str:
        return "kubeadm.k8s.io/v1beta4" if self.minor >= V1BETA4_FROM_MINOR else "kubeadm.k8s.io/v1beta3"

    @property
    def pause_tag(self) -> str:
        return _PAUSE_BY_MINOR.get(self.minor, _PAUSE_NEWER)

    @property
    def coredns_tag(self) -> str:
        return _COREDNS_BY_MINOR.get(self.minor, _COREDNS_NEWER)


def supported_range() -> str:
    return f"1.{OLDEST_MINOR} to 1.{NEWEST_MINOR}"
