"""Action ``stack``: the stack's config for this lab, set with real ``pulumi config``.

Besides what lab/driver/labstack.py sets (addresses, pinned host keys, the SSH key as
a secret), a lab cluster is an air-gapped site: kubeadm's images come from the lab
registry (``imageRepository``), kubelet/kubeadm/kubectl and containerd from the lab's
apt repository (``packageRepository``, ``containerd.package``/``repository``), signed
with the lab key published beside the Release file, as pkgs.k8s.io publishes its own.
Spark's pods run the lab's own Spark image from the same registry (``spark.image``),
which the mirrors action pushed, and local applications go through the lab's object
store (``spark.uploadPath`` and the S3A endpoint settings in ``spark.conf``).
"""

from __future__ import annotations

from pathlib import Path

from ..driver.cli import Toolchain
from ..driver.labstack import PROJECT, Setting, lab_settings, stack_nodes
from ..driver.workspace import Workspace
from ..images.spark.spec import SparkImage
from ..services.packages import containerd as containerd_package
from ..services.s3a import s3a_settings
from ..services.site import Site
from ..toolchain.plan import lab_kubernetes
from .run import BringUp

CONTAINERD_PACKAGE = "containerd"  # the lab repository's name for it (lab/services/packages.py)


def workspace_dir(state: BringUp) -> Path:
    assert state.lab is not None
    return state.lab.names.state_dir / "driver"


def site_settings(site: Site) -> list[Setting]:
    url = site.apt_url(lab_kubernetes().minor)
    key_url = f"{url}Release.key"
    return [
        Setting(f"{PROJECT}:imageRepository", site.image_repository),
        Setting(f"{PROJECT}:packageRepository.url", url),
        Setting(f"{PROJECT}:packageRepository.signingKeyUrl", key_url),
        Setting(f"{PROJECT}:containerd.package", CONTAINERD_PACKAGE),
        # the one containerd the repository has, whichever release the stack names (1.36's
        # default line, 2.3, is not built here; 1.36 supports 2.2 too)
        Setting(f"{PROJECT}:containerd.version", containerd_package(lab_kubernetes()).version),
        Setting(f"{PROJECT}:containerd.repository.url", url),
        Setting(f"{PROJECT}:containerd.repository.suite", "/"),
        Setting(f"{PROJECT}:containerd.repository.signingKeyUrl", key_url),
        Setting(f"{PROJECT}:spark.image", SparkImage().reference(site.image_repository)),
        Setting(f"{PROJECT}:spark.uploadPath", site.upload_path),
        *(Setting(f'{PROJECT}:spark.conf["{key}"]', value, text=True) for key, value in s3a_settings(site.store_endpoint).items()),
    ]


def run(state: BringUp) -> None:
    assert state.lab is not None and state.site is not None
    lab = state.lab
    root = workspace_dir(state)
    workspace = Workspace.create(root, state.options.stack, toolchain=Toolchain.available())
    nodes, tenants = stack_nodes(state.options.stack, workspace.project_dir)
    machines = [(spec.name, spec.address, lab.host_public_key(spec.name)) for spec in lab.nodes]
    for setting in [*lab_settings(machines, nodes, tenants), *site_settings(state.site)]:
        workspace.set_config(setting.key, setting.value, path=True, text=setting.text)
    workspace.set_secret(f"{PROJECT}:sshPrivateKey", lab.client_private_key)
    state.workspace_dir = root
