"""The lab's Kubernetes apt repository: built packages published, signed and served over HTTPS.

Publishing puts the cached .deb files (linked, not copied) into pkgs.k8s.io's path
under the service state dir, writes the indexes (repo.py), signs them with the lab's
key (sign.py), and the static HTTPS server serves that tree from the service
namespace on port 443 with the lab's certificate.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..sshd import listening
from ..versions import KubernetesRow
from . import https_server, process, repo, sign
from .debs import BuiltDeb
from .packages import ARCHITECTURE, repository_label, repository_path
from .site import APT_PORT, Site
from .tls import TlsFiles

NAME = "apt"


@dataclass(frozen=True)
class AptFiles:
    directory: Path

    @property
    def gnupg(self) -> Path:
        return self.directory / "gnupg"

    @property
    def www(self) -> Path:
        return self.directory / "www"

    def repository(self, row: KubernetesRow) -> Path:
        return self.www / repository_path(row)


def files(site: Site) -> AptFiles:
    return AptFiles(site.state_dir / "apt")


def create_key(site: Site) -> str:
    """The lab's signing key (once per lab); returns its fingerprint."""
    return sign.create_key(files(site).gnupg, site.lab_id)


def publish(site: Site, row: KubernetesRow, debs: Sequence[BuiltDeb]) -> Path:
    """Add one release's packages to the signed repository of its minor; returns its
    directory. A minor's repository keeps every patch published to it, as pkgs.k8s.io's
    does: a cluster at 1.36.1 upgrading to 1.36.3 installs both from one source line.
    A package published again (same file name: containerd, shared by two patches)
    replaces its link."""
    directory = files(site).repository(row)
    pool = directory / ARCHITECTURE
    pool.mkdir(parents=True, exist_ok=True)
    for deb in debs:
        (pool / deb.path.name).unlink(missing_ok=True)
        (pool / deb.path.name).symlink_to(deb.path)
    release = repo.write_indexes(directory, [repo.read_deb(path) for path in sorted(pool.glob("*.deb"))],
                                 label=repository_label(row))
    sign.sign_release(files(site).gnupg, release)
    return directory


def server_argv(site: Site, tls: TlsFiles) -> list[str]:
    """The server run as a script in isolated mode: it needs the standard library only,
    so it starts whatever state the rest of the lab package is in."""
    return [sys.executable, "-I", https_server.__file__, "--root", str(files(site).www),
            "--address", site.address, "--port", str(APT_PORT),
            "--cert", str(tls.server_cert), "--key", str(tls.server_key)]


def start(site: Site, tls: TlsFiles) -> process.Running:
    """Serve the published tree over HTTPS from the service namespace."""
    files(site).www.mkdir(parents=True, exist_ok=True)
    return process.start(site, NAME, server_argv(site, tls), ready=lambda pid: listening(pid, APT_PORT))
