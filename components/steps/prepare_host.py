"""Step prepare-host: what kubeadm's preflight and the release demand of every node.

An uplink no network manager owns (uplink-owner.sh: one that did would undo the host
address move of host-network), cgroup v2 (or the stack's explicit ``cgroupV1: allow``), swap off for good (fstab, swap
units, zram), kernel modules and sysctls, containerd 2.x at a version containerd's support
matrix recommends for the release (checked on the host) with its configuration and
registry mirrors, kubelet/kubeadm/kubectl pinned and held at the configured release;
control planes also pull kubeadm's images from the mirror ahead of ``kubeadm init``, so a
mirror problem shows here, with its own message.

apt runs in the only order that works on a fresh host: prerequisites from the host's own
sources, then each repository's signing key, then its source line, then the packages.
Removal puts back what the step changed on the host (sysctls, fstab, swap units, the
host's own containerd configuration); packages stay installed and held.
"""

from __future__ import annotations

from components.config import NodeConfig, Platform
from components.hostfiles import HostFile, containerd, kernel, kubeadm, packages
from components.steps.step import HostEdit, Step
from components.vocabulary import PREPARE_HOST

STATE_DIR = "/var/lib/spark-on-metal"


def _files(platform: Platform, node: NodeConfig) -> list[HostFile]:
    files = [
        kernel.modules_file(),
        kernel.sysctl_file(),
        *containerd.files(platform),
        *(key for key in (repo.key_file() for repo in packages.repositories(platform)) if key is not None),
    ]
    if node.is_control_plane:
        files.append(kubeadm.images_file(platform))
    return files


def step(platform: Platform, node: NodeConfig) -> Step:
    repositories = packages.repositories(platform)
    release = platform.release
    return Step(
        name=PREPARE_HOST,
        node=node.name,
        runs_on=node.name,
        templates=("apt.sh", "kube-packages.sh", "release-check.sh", "uplink-owner.sh", "prepare-host.sh"),
        variables={
            "STATE_DIR": STATE_DIR,
            "CGROUP_V1": platform.config.cgroup_v1,
            "UPLINK": node.uplink,
            "KERNEL_MODULES": " ".join(kernel.MODULES),
            "SYSCTL_CONF": kernel.SYSCTL_PATH,
            "APT_KEY_DOWNLOADS": "\n".join(d for d in (repo.key_download() for repo in repositories) if d),
            "APT_SOURCES": " ".join(repo.sources_path for repo in repositories),
            "CONTAINERD_PACKAGE": platform.config.containerd.package,
            "CONTAINERD_VERSION": platform.containerd_version,
            "CONTAINERD_MINIMUM": release.containerd_minimum,
            "CONTAINERD_CONFIG": containerd.CONFIG_PATH,
            "CRI_ENDPOINT": containerd.SOCKET,
            "CRI_WAIT_SECONDS": 60,
            "CONTAINERD_CERTS_DIR": containerd.CERTS_DIR,
            "CONTAINERD_HOSTS_FILES": " ".join(containerd.hosts_path(m.registry) for m in platform.config.registry_mirrors),
            "KUBERNETES_RELEASE": release.name,
            "KUBERNETES_TAG": platform.version.tag,
            "KUBELET_CONF": kubeadm.KUBELET_CONF,
            "KUBERNETES_DEB_VERSION": platform.version.deb_version,
            "PULL_IMAGES": "yes" if node.is_control_plane else "no",
            "IMAGES_CONFIG": kubeadm.IMAGES_CONFIG,
            "IMAGES_MARKER": f"{STATE_DIR}/images-pulled",
            "IMAGES_WANTED": " ".join(platform.control_plane_images),
        },
        files=tuple(_files(platform, node)),
        later_files=tuple(repo.sources_file() for repo in repositories),
        edits=_edits(node, repositories),
    )


def _edits(node: NodeConfig, repositories: tuple[packages.AptRepository, ...]) -> tuple[HostEdit, ...]:
    downloaded = [repo.keyring for repo in repositories if repo.key_download()]
    return (
        HostEdit("/etc/fstab", "swap entries commented out with a marker (restored on remove)"),
        HostEdit(f"{STATE_DIR}/masked-swap-units", "swap units it masked (systemctl mask), unmasked on remove"),
        HostEdit(f"{STATE_DIR}/sysctls-before", "the host's own values of the sysctls it sets, put back on remove"),
        *(HostEdit(keyring, "signing key downloaded from its URL (signingKeyUrl)") for keyring in downloaded),
        *((HostEdit(f"{STATE_DIR}/images-pulled", "the control-plane images pulled from the mirror"),) if node.is_control_plane else ()),
    )
