"""The Debian packages of the lab's Kubernetes apt repository, as plain data.

pkgs.k8s.io's names, version scheme and contents, from kubernetes/release's packaging
(``cmd/krel/templates/latest``: the spec files and ``metadata.yaml``):
- kubeadm, kubelet, kubectl at ``<kubernetes>-1.1``; cri-tools and kubernetes-cni at
  their own versions with the same revision.
- Since 1.32 kubeadm depends on nothing (metadata.yaml lists no dependencies); the
  10-kubeadm.conf drop-in is kubeadm's, not kubelet's.
- kubelet depends on kubernetes-cni (>= 1.2.0), mount and util-linux and only
  recommends iptables (>= 1.8.4) (kubernetes/release#4518); it ships kubelet.service,
  /etc/default/kubelet and keeps /var/lib/kubelet and /etc/kubernetes/manifests.
- kubernetes-cni puts the CNI plugins in /opt/cni/bin and keeps /etc/cni/net.d.
containerd and runc are not on pkgs.k8s.io; the lab serves them from the same
repository (a site's mirror carries its runtime too), versioned ``<upstream>-1``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from ..images.spec import ToolchainBinary
from ..versions import KubernetesRow
from . import package_texts as texts

ARCHITECTURE = "amd64"
K8S_REVISION = "1.1"  # pkgs.k8s.io's Debian revision of a release's first build
RUNTIME_REVISION = "1"
MAINTAINER = "spark-on-metal lab <lab@lab.internal>"
HOMEPAGE = "https://kubernetes.io"
UNIT_DIR = "/usr/lib/systemd/system"
# The CNI plugins kubelet's package has asked for since Kubernetes 1.28.
KUBELET_CNI_FLOOR = "1.2.0"
DEBIAN_CNI_DIR = "/usr/lib/cni"


@dataclass(frozen=True)
class Text:
    """File contents written by the plan itself."""

    content: str


@dataclass(frozen=True)
class HostDirectory:
    """Every file of a directory of this machine (a Debian package's files)."""

    path: str


@dataclass(frozen=True)
class PackageFile:
    """One file of a package (or, for HostDirectory, one directory of files)."""

    path: str
    source: ToolchainBinary | Text | HostDirectory
    mode: int = 0o755


@dataclass(frozen=True)
class CniPlugins:
    """Where kubernetes-cni's plugins come from and the upstream version they are."""

    directory: str
    version: str


DEBIAN_CNI = CniPlugins(DEBIAN_CNI_DIR, "1.1.1")  # Debian 12's containernetworking-plugins


@dataclass(frozen=True)
class PackageSpec:
    """One binary package: control fields and contents."""

    name: str
    version: str
    section: str
    summary: str
    files: tuple[PackageFile, ...]
    depends: tuple[str, ...] = ()
    recommends: tuple[str, ...] = ()
    conffiles: tuple[str, ...] = ()
    scripts: tuple[tuple[str, str], ...] = ()  # (postinst|prerm|postrm, text)

    @property
    def filename(self) -> str:
        return f"{self.name}_{self.version}_{ARCHITECTURE}.deb"

    @property
    def units(self) -> tuple[str, ...]:
        return tuple(sorted({f.source.unit for f in self.files if isinstance(f.source, ToolchainBinary)}))

    def control(self, installed_size_kib: int) -> str:
        """The DEBIAN/control file (fields in the order dpkg writes them)."""
        fields = [("Package", self.name), ("Version", self.version), ("Architecture", ARCHITECTURE),
                  ("Maintainer", MAINTAINER), ("Installed-Size", str(installed_size_kib))]
        if self.depends:
            fields.append(("Depends", ", ".join(self.depends)))
        if self.recommends:
            fields.append(("Recommends", ", ".join(self.recommends)))
        fields += [("Section", self.section), ("Priority", "optional"), ("Homepage", HOMEPAGE),
                   ("Description", f"{self.summary}\n Built by the spark-on-metal lab for its air-gapped mirror.")]
        return "".join(f"{key}: {value}\n" for key, value in fields)

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()


def k8s_version(upstream: str) -> str:
    """pkgs.k8s.io's package version for an upstream release: ``1.35.4`` -> ``1.35.4-1.1``."""
    return f"{upstream.removeprefix('v')}-{K8S_REVISION}"


def _older(a: str, b: str) -> str:
    return min(a, b, key=lambda v: tuple(int(p) for p in v.split(".")))


def _bin(unit: str, binary: str) -> PackageFile:
    return PackageFile(f"/usr/bin/{binary}", ToolchainBinary(unit, binary))


def _keep(path: str) -> PackageFile:
    """An empty marker file: dpkg drops empty directories from a package."""
    return PackageFile(path, Text(""), 0o644)


def kubeadm(row: KubernetesRow) -> PackageSpec:
    return PackageSpec(
        name="kubeadm", version=k8s_version(row.kubernetes), section="admin",
        summary="Command-line utility for administering a Kubernetes cluster",
        files=(_bin("kubernetes", "kubeadm"),
               PackageFile(f"{UNIT_DIR}/kubelet.service.d/10-kubeadm.conf", Text(texts.KUBEADM_DROP_IN), 0o644)),
    )


def kubelet(row: KubernetesRow, cni: CniPlugins) -> PackageSpec:
    """kubelet; its kubernetes-cni floor is upstream's unless the wrapped plugins are older
    (Debian 12 has 1.1.1), in which case it is theirs, so the repository stays installable."""
    return PackageSpec(
        name="kubelet", version=k8s_version(row.kubernetes), section="net",
        summary="Node agent for Kubernetes clusters",
        files=(_bin("kubernetes", "kubelet"),
               PackageFile(f"{UNIT_DIR}/kubelet.service", Text(texts.KUBELET_SERVICE), 0o644),
               PackageFile("/etc/default/kubelet", Text(texts.KUBELET_DEFAULTS), 0o644),
               _keep("/var/lib/kubelet/.kubelet-keep"),
               _keep("/etc/kubernetes/manifests/.kubelet-keep")),
        depends=(f"kubernetes-cni (>= {_older(KUBELET_CNI_FLOOR, cni.version)})", "mount", "util-linux"),
        recommends=("iptables (>= 1.8.4)",),
        conffiles=("/etc/default/kubelet",),
        scripts=texts.service_scripts("kubelet.service"),
    )


def kubectl(row: KubernetesRow) -> PackageSpec:
    return PackageSpec(
        name="kubectl", version=k8s_version(row.kubernetes), section="admin",
        summary="Command-line utility for interacting with a Kubernetes cluster",
        files=(_bin("kubernetes", "kubectl"),),
    )


def cri_tools(row: KubernetesRow) -> PackageSpec:
    return PackageSpec(
        name="cri-tools", version=k8s_version(row.cri_tools), section="admin",
        summary="Command-line utility for interacting with a container runtime",
        files=(_bin("crictl", "crictl"),),
    )


def kubernetes_cni(cni: CniPlugins) -> PackageSpec:
    return PackageSpec(
        name="kubernetes-cni", version=k8s_version(cni.version), section="net",
        summary="Binaries required to provision kubernetes container networking",
        files=(PackageFile("/opt/cni/bin", HostDirectory(cni.directory)),
               _keep("/etc/cni/net.d/.kubernetes-cni-keep")),
    )


def containerd(row: KubernetesRow) -> PackageSpec:
    """containerd with its runc shim and ctr; runc is its own package, as in Debian."""
    return PackageSpec(
        name="containerd", version=f"{row.containerd}-{RUNTIME_REVISION}", section="admin",
        summary="An industry-standard container runtime",
        files=(_bin("containerd", "containerd"), _bin("containerd", "containerd-shim-runc-v2"),
               _bin("containerd", "ctr"),
               PackageFile(f"{UNIT_DIR}/containerd.service", Text(texts.CONTAINERD_SERVICE), 0o644)),
        depends=(f"runc (>= {row.runc})",),
        scripts=texts.service_scripts("containerd.service"),
    )


def runc(row: KubernetesRow) -> PackageSpec:
    """runc links libseccomp and glibc (cgo): the build checks the binary needs no more."""
    return PackageSpec(
        name="runc", version=f"{row.runc}-{RUNTIME_REVISION}", section="admin",
        summary="Open Container Project - runtime",
        files=(_bin("runc", "runc"),),
        depends=("libc6", "libseccomp2"),
    )


def plan(row: KubernetesRow, cni: CniPlugins = DEBIAN_CNI) -> list[PackageSpec]:
    """Every package of the lab's repository for one Kubernetes release."""
    return [kubeadm(row), kubelet(row, cni), kubectl(row), cri_tools(row), kubernetes_cni(cni),
            containerd(row), runc(row)]


def repository_label(row: KubernetesRow) -> str:
    """The Release file's Label (pkgs.k8s.io's names the OBS project: ``...core:stable:v1.35``)."""
    return f"core:stable:v1.{row.minor}"


def repository_path(row: KubernetesRow) -> str:
    """pkgs.k8s.io's path of the release's repository: ``core:/stable:/v1.35/deb``."""
    return f"core:/stable:/v1.{row.minor}/deb"
