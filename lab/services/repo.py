"""A flat apt repository in pkgs.k8s.io's layout, from built .deb files.

pkgs.k8s.io serves each minor release as a flat repository (``deb <url> /``): the
directory holds Packages, Release, InRelease, Release.gpg and the armoured Release.key,
the packages under ``<arch>/``. The index files here are computed from the .deb bytes
alone with a fixed date, so the same packages always give the same Release; only the
signatures (by the lab's key, sign.py) differ between labs.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..proc import run
from .packages import ARCHITECTURE

RELEASE_DATE = "Thu, 01 Jan 1970 00:00:00 UTC"
CHECKSUMS = (("MD5Sum", "md5"), ("SHA1", "sha1"), ("SHA256", "sha256"), ("SHA512", "sha512"))


@dataclass(frozen=True)
class DebInfo:
    """What the index says about one .deb: its control stanza and its bytes' checksums."""

    control: str  # the package's DEBIAN/control, as dpkg-deb prints it
    filename: str  # relative to the repository root, e.g. "amd64/kubeadm_1.35.4-1.1_amd64.deb"
    size: int
    digests: dict[str, str]


def digests(data: bytes) -> dict[str, str]:
    return {algorithm: hashlib.new(algorithm, data).hexdigest() for _, algorithm in CHECKSUMS}


def read_deb(path: Path) -> DebInfo:
    control = run(["dpkg-deb", "--field", str(path)]).stdout
    data = path.read_bytes()
    return DebInfo(control.rstrip("\n") + "\n", f"{ARCHITECTURE}/{path.name}", len(data), digests(data))


def packages_text(debs: Sequence[DebInfo]) -> str:
    """The Packages index: each control stanza plus where the file is and its checksums."""
    stanzas = []
    for deb in sorted(debs, key=lambda d: d.filename):
        stanzas.append(deb.control + f"Filename: {deb.filename}\nSize: {deb.size}\n"
                       f"MD5sum: {deb.digests['md5']}\nSHA1: {deb.digests['sha1']}\n"
                       f"SHA256: {deb.digests['sha256']}\n")
    return "\n".join(stanzas)


def release_text(label: str, indexes: dict[str, bytes]) -> str:
    """The Release file: what the repository is and the checksums of its index files."""
    lines = ["Origin: spark-on-metal lab", f"Label: {label}", f"Architectures: {ARCHITECTURE}",
             f"Date: {RELEASE_DATE}", "Description: Kubernetes packages of the spark-on-metal lab (pkgs.k8s.io layout)"]
    for field, algorithm in CHECKSUMS:
        lines.append(f"{field}:")
        for name in sorted(indexes):
            lines.append(f" {hashlib.new(algorithm, indexes[name]).hexdigest()} {len(indexes[name])} {name}")
    return "\n".join(lines) + "\n"


def write_indexes(directory: Path, debs: Sequence[DebInfo], label: str) -> Path:
    """Packages, Packages.gz and Release in directory; returns the Release path."""
    packages = packages_text(debs).encode()
    indexes = {"Packages": packages, "Packages.gz": gzip.compress(packages, mtime=0)}
    for name, data in indexes.items():
        (directory / name).write_bytes(data)
    release = directory / "Release"
    release.write_text(release_text(label, indexes))
    return release
