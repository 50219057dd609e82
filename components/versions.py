"""The supported Kubernetes releases, as data: what each one needs around it, and until when.

One table, so that supporting a new minor release (or dropping a dead one) is a reviewed
change of one row. Sources, read for each row:

- end of life: the kubernetes.io release pages (https://kubernetes.io/releases/1.NN/,
  "End Of Life Date");
- pause, CoreDNS, etcd: kubeadm's own constants of that release
  (``cmd/kubeadm/app/constants/constants.go``: ``PauseVersion``, ``CoreDNSVersion``,
  ``DefaultEtcdVersion``, which equals ``SupportedEtcdVersion`` for the release itself),
  so what the platform pre-pulls and runs is what ``kubeadm config images list`` names;
- containerd: containerd's RELEASES.md "Kubernetes Support" matrix. The platform writes
  the containerd 2.x configuration format (``version = 3``), so only the 2.x entries
  count: ``containerd_minimum`` is the oldest 2.x release the matrix recommends for the
  minor, ``containerd_line`` the line installed by default (a supported one today).

Every release is configured through kubeadm.k8s.io/v1beta4 (GA since 1.31; v1beta3 is
gone from kubeadm 1.37, and 1.37 reads a newer v1 API too but still prefers v1beta4).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

KUBEADM_API = "kubeadm.k8s.io/v1beta4"
DEFAULT_IMAGE_REPOSITORY = "registry.k8s.io"  # kubeadm's kubeadmapiv1.DefaultImageRepository


@dataclass(frozen=True)
class Release:
    """One supported Kubernetes minor release and what it needs around it."""

    minor: int
    end_of_life: date
    pause: str
    coredns: str
    etcd: str  # the etcd image tag, e.g. "3.6.6-0"
    containerd_minimum: str
    containerd_line: str

    @property
    def name(self) -> str:
        return f"1.{self.minor}"


RELEASES: dict[int, Release] = {
    release.minor: release
    for release in (
        # containerd matrix: "1.35 | 2.2.0+, 2.1.5+, 1.7.28+".
        Release(35, date(2027, 2, 28), pause="3.10.1", coredns="v1.13.1", etcd="3.6.6-0",
                containerd_minimum="2.1.5", containerd_line="2.2"),
        # containerd matrix: "1.36 | 2.3.0+, 2.2.0+"; 2.3 is containerd's LTS line (to 2028-04-30).
        Release(36, date(2027, 6, 28), pause="3.10.2", coredns="v1.14.2", etcd="3.6.8-0",
                containerd_minimum="2.2.0", containerd_line="2.3"),
        # Not yet in the matrix (its newest row is 1.36, as of containerd's main of
        # 2026-08-22); 2.3 is the LTS line released before 1.37 and supported past its
        # end of life, and 2.2 reached its own end of life on 2026-11-06.
        Release(37, date(2027, 10, 28), pause="3.10.2", coredns="v1.14.6", etcd="3.7.0-0",
                containerd_minimum="2.3.0", containerd_line="2.3"),
    )
}


@dataclass(frozen=True)
class KubernetesVersion:
    """A ``1.<minor>.<patch>`` release (the support table decides whether it may be used)."""

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
        """The pkgs.k8s.io repository series, e.g. ``v1.35``."""
        return f"v1.{self.minor}"

    @property
    def deb_version(self) -> str:
        """The Debian package version pkgs.k8s.io publishes for this release."""
        return f"{self}-1.1"

    @property
    def release(self) -> Release:
        """The table's row; only validated (supported) versions reach code that asks."""
        return RELEASES[self.minor]


def supported_on(today: date) -> list[Release]:
    """The releases of the table that have not reached their end of life on ``today``."""
    return [release for release in RELEASES.values() if today <= release.end_of_life]


def describe(releases: list[Release]) -> str:
    """``1.35 (end of life 2027-02-28), 1.36 (...)``: what an operator may choose."""
    return ", ".join(f"{r.name} (end of life {r.end_of_life.isoformat()})" for r in releases) or "none"


def kubeadm_image(repository: str, name: str, tag: str) -> str:
    """An image as kubeadm names it under ``repository`` (cmd/kubeadm/app/images)."""
    return f"{repository}/{name}:{tag}"


def coredns_image(repository: str, tag: str) -> str:
    """kubeadm's GetDNSImage: the official registry keeps CoreDNS at ``coredns/coredns``,
    any other repository (a mirror) at ``<repository>/coredns``."""
    prefix = f"{repository}/coredns" if repository == DEFAULT_IMAGE_REPOSITORY else repository
    return kubeadm_image(prefix, "coredns", tag)


def release_numbers(version: str) -> tuple[int, ...]:
    """The dotted numbers a (Debian package) version starts with, epoch dropped:
    ``"2.2.0"`` -> (2, 2, 0), ``"1:2.2.9-1.1"`` -> (2, 2, 9), ``"2.2.*"`` -> (2, 2)."""
    match = re.match(r"(?:[0-9]+:)?([0-9]+(?:\.[0-9]+)*)", version)
    return tuple(int(part) for part in match[1].split(".")) if match else ()
