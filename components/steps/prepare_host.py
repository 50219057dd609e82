"""Step prepare-host: what kubeadm's preflight demands of every node.

Swap off, kernel modules and sysctls, containerd on the systemd cgroup driver with its
sandbox image from the mirror, kubelet/kubeadm/kubectl pinned and held at the configured
release from pkgs.k8s.io; control planes also pull their images from the mirror ahead of
``kubeadm init``, so a mirror problem shows here, with its own message.
"""

from __future__ import annotations

from components.config import NodeConfig, Platform
from components.hostfiles import containerd, kernel, kubeadm, packages
from components.steps import Step

MARKER_DIR = "/var/lib/spark-on-metal"


def step(platform: Platform, node: NodeConfig) -> Step:
    files = [kernel.modules_file(), kernel.sysctl_file(), containerd.config_file(platform), packages.sources_file(platform)]
    if node.is_control_plane:
        files.append(kubeadm.images_file(platform))
    return Step(
        name="prepare-host",
        node=node.name,
        runs_on=node.name,
        templates=("prepare-host.sh",),
        variables={
            "KERNEL_MODULES": " ".join(kernel.MODULES),
            "SYSCTL_CONF": kernel.SYSCTL_PATH,
            "CONTAINERD_CONFIG": containerd.CONFIG_PATH,
            "KUBERNETES_TAG": platform.version.tag,
            "KUBERNETES_DEB_VERSION": platform.version.deb_version,
            "APT_KEYRING": packages.KEYRING,
            "APT_KEY_URL": packages.key_url(platform),
            "PULL_IMAGES": "yes" if node.is_control_plane else "no",
            "IMAGES_CONFIG": kubeadm.IMAGES_CONFIG,
            "IMAGES_MARKER": f"{MARKER_DIR}/images-pulled",
            "IMAGES_WANTED": f"{platform.config.image_repository} {platform.version.tag}",
        },
        files=tuple(files),
    )
