"""Which images the lab's registry serves, as plain data computed from the versions table.

Why data: the names and tags must be exactly what ``kubeadm config images list
--image-repository <mirror>`` asks for, and the contents what kubeadm's static pod
manifests and add-on manifests run; both are checked by pure tests, without a build.

What kubeadm 1.35 expects (cmd/kubeadm/app/images and phases/*):
- ``<repo>/kube-apiserver|kube-controller-manager|kube-scheduler|kube-proxy:v<k8s>``;
  the static pods' ``command`` is the bare binary name (``kube-apiserver ...``), so the
  binary must be on the image's PATH; kube-proxy's DaemonSet calls
  ``/usr/local/bin/kube-proxy``.
- ``<repo>/etcd:<etcd>-0`` with ``etcd`` as the command.
- ``<repo>/coredns:<tag>``: nested as ``coredns/coredns`` only for registry.k8s.io; the
  Deployment passes only ``args: [-conf, ...]``, so the entrypoint is the binary.
- ``<repo>/pause:<tag>``: the sandbox image; its entrypoint is the program.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from ..versions import KubernetesRow

ARCHITECTURE = "amd64"
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
LOCAL_BIN = "/usr/local/bin"
# The sandbox user of upstream's pause image (nobody on most systems).
PAUSE_USER = "65535:65535"
# kube-proxy drives the kernel's netfilter through these (pkg/util/iptables); Debian's
# iptables package provides them all as names of one multi-call binary on nf_tables.
IPTABLES_MULTI = "/usr/sbin/xtables-nft-multi"
IPTABLES_COMMANDS = ("iptables", "iptables-save", "iptables-restore",
                     "ip6tables", "ip6tables-save", "ip6tables-restore")
# iptables loads its match and target modules (-m comment, -j MARK, ...) at run time.
XTABLES_MODULES = "/usr/lib/x86_64-linux-gnu/xtables"


@dataclass(frozen=True)
class ToolchainBinary:
    """A binary the lab's toolchain builds: ``unit`` is the toolchain build's name."""

    unit: str
    binary: str


@dataclass(frozen=True)
class ProjectProgram:
    """A program of this project built with ``go build`` (lab/images/<directory>)."""

    directory: str
    version: str


@dataclass(frozen=True)
class HostFiles:
    """Files of this machine (Debian packages) copied with every shared library they load.

    ``executables`` are copied with their ELF dependencies; ``directories`` (plugin
    directories) are copied whole, each plugin with its own dependencies.
    """

    executables: tuple[str, ...]
    directories: tuple[str, ...] = ()
    data: tuple[str, ...] = ()  # plain files, copied if present (e.g. /etc/protocols)


Source = ToolchainBinary | ProjectProgram


@dataclass(frozen=True)
class ImageFile:
    """One file of an image: where its bytes come from and where it lands."""

    source: Source
    path: str
    mode: int = 0o755


@dataclass(frozen=True)
class ImageSpec:
    """One image: its repository name, tag, files and OCI config."""

    name: str
    tag: str
    files: tuple[ImageFile, ...]
    entrypoint: tuple[str, ...]
    env: tuple[str, ...] = (PATH_ENV,)
    user: str = ""
    exposed_ports: tuple[str, ...] = ()
    symlinks: tuple[tuple[str, str], ...] = ()  # (path, target)
    host: HostFiles | None = None

    def reference(self, repository: str) -> str:
        """``<repository>/<name>:<tag>``, as kubeadm spells the image."""
        return f"{repository.rstrip('/')}/{self.name}:{self.tag}"

    @property
    def units(self) -> tuple[str, ...]:
        """Toolchain builds this image needs."""
        return tuple(sorted({f.source.unit for f in self.files if isinstance(f.source, ToolchainBinary)}))

    def fingerprint(self) -> str:
        """A hash of the recipe (not of the input bytes: the cache key adds those)."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True, default=str).encode()).hexdigest()


def _binary_image(name: str, tag: str, unit: str, extra: tuple[str, ...] = (), **config: object) -> ImageSpec:
    """An image of toolchain binaries in /usr/local/bin, the first one the entrypoint."""
    files = tuple(ImageFile(ToolchainBinary(unit, b), f"{LOCAL_BIN}/{b}") for b in (name, *extra))
    return ImageSpec(name=name, tag=tag, files=files, entrypoint=(f"{LOCAL_BIN}/{name}",), **config)  # type: ignore[arg-type]


def kube_proxy(row: KubernetesRow) -> ImageSpec:
    """kube-proxy with Debian's iptables (nf_tables backend, as the lab's nodes use).

    No conntrack binary: kube-proxy 1.35 clears conntrack entries over netlink
    (pkg/proxy/conntrack). No nft binary: the iptables mode only uses it to remove
    leftovers of the nftables mode and skips that when nft is absent.
    """
    base = _binary_image("kube-proxy", f"v{row.kubernetes}", "kubernetes")
    return ImageSpec(
        name=base.name, tag=base.tag, files=base.files, entrypoint=base.entrypoint,
        symlinks=tuple((f"/usr/sbin/{c}", "xtables-nft-multi") for c in IPTABLES_COMMANDS),
        host=HostFiles(executables=(IPTABLES_MULTI,), directories=(XTABLES_MODULES,),
                       data=("/etc/protocols", "/etc/services", "/etc/ethertypes")),
    )


def coredns(row: KubernetesRow) -> ImageSpec:
    """CoreDNS as ``/coredns``, like upstream's image, run as root.

    Upstream's image runs as ``nonroot`` with a file capability on the binary; kubeadm's
    Deployment adds NET_BIND_SERVICE, which root keeps without file capabilities (an
    xattr the lab's layer tooling would have to carry).
    """
    return ImageSpec(
        name="coredns", tag=row.coredns,
        files=(ImageFile(ToolchainBinary("coredns", "coredns"), "/coredns"),),
        entrypoint=("/coredns",), exposed_ports=("53/tcp", "53/udp", "9153/tcp"),
    )


def pause(row: KubernetesRow) -> ImageSpec:
    return ImageSpec(
        name="pause", tag=row.pause,
        files=(ImageFile(ProjectProgram("pause", row.pause), "/pause"),),
        entrypoint=("/pause",), user=PAUSE_USER,
    )


def plan(row: KubernetesRow) -> list[ImageSpec]:
    """Every image of a Kubernetes release, in ``kubeadm config images list`` order."""
    tag = f"v{row.kubernetes}"
    return [
        *(_binary_image(c, tag, "kubernetes") for c in ("kube-apiserver", "kube-controller-manager", "kube-scheduler")),
        kube_proxy(row),
        coredns(row),
        pause(row),
        _binary_image("etcd", row.etcd_image_tag, "etcd", extra=("etcdctl",)),
    ]


def references(row: KubernetesRow, repository: str) -> list[str]:
    """What ``kubeadm config images list --image-repository <repository>`` prints."""
    return [spec.reference(repository) for spec in plan(row)]


def select(specs: list[ImageSpec], names: list[str]) -> list[ImageSpec]:
    """The named specs (all when names is empty); an unknown name is a ValueError."""
    known = [s.name for s in specs]
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise ValueError(f"unknown image {', '.join(unknown)} (known: {', '.join(known)})")
    return [s for s in specs if not names or s.name in names]
