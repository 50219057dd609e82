"""The rendered kubeadm files, read by the real kubeadm of the release they are for.

- ``kubeadm config validate`` (strict: unknown fields, wrong types and invalid values are
  errors; the kubelet and kube-proxy configurations are validated too) accepts init.yaml
  and every join.yaml, with the join step's placeholders replaced by values of the shape
  the step puts there;
- ``kubeadm config images list --config images.yaml`` names exactly the images
  prepare-host pre-pulls and the mirror must hold (``Platform.control_plane_images``):
  the CoreDNS path on a mirror, the pause and etcd tags of the release.

The binary is the lab toolchain's build of k8s.io/kubernetes at the dev stack's release
(cmd/kubeadm); the configs are rendered for that release.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest

from components.config import Platform
from components.hostfiles import kubeadm
from components.stack import load_stack_file
from tests.factories import load, node, valid_config, with_settings
from tests.real_binaries import run, toolchain_binary


@pytest.fixture(scope="module")
def binary() -> Path:
    return toolchain_binary("kubernetes", "kubeadm")


@pytest.fixture(scope="module")
def release(binary: Path) -> str:
    """The kubeadm's own release, e.g. 1.35.4 (configs are rendered for it)."""
    result = run([binary, "version", "-o", "short"])
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().removeprefix("v")


VARIANTS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "cgroup-v1-allowed": {"cgroupV1": "allow"},
    "mirror-and-endpoint": {
        "imageRepository": "mirror.example.com:5000/k8s",
        "apiEndpoint": "k8s-api.example.com",
        "apiServerCertSANs": ["10.0.0.100", "api.example.com"],
    },
    "second-control-plane": {"nodes[3]": node("cp2", "10.0.0.60", "control-plane")},
    "small-slices": {"podSlicePrefix": 27},
}


def platform_for(release: str, changes: dict[str, Any]) -> Platform:
    return load(with_settings(valid_config(), {"kubernetesVersion": release, **changes}))


def validate(binary: Path, text: str, tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    result = run([binary, "config", "validate", "--config", path])
    assert result.returncode == 0 and result.stdout.strip() == "ok", f"kubeadm refused:\n{text}\n{result.stderr}"


def filled_in(join_yaml: str) -> str:
    """The join config as the join step hands it to kubeadm: token, CA hash, certificate key."""
    token = f"{secrets.token_hex(3)}.{secrets.token_hex(8)}"
    return (
        join_yaml.replace(kubeadm.TOKEN_PLACEHOLDER, token)
        .replace(kubeadm.CA_HASH_PLACEHOLDER, f"sha256:{secrets.token_hex(32)}")
        .replace(kubeadm.CERTIFICATE_KEY_PLACEHOLDER, secrets.token_hex(32))
    )


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_real_kubeadm_validates_init_yaml(variant: str, binary: Path, release: str, tmp_path: Path) -> None:
    validate(binary, kubeadm.init_file(platform_for(release, VARIANTS[variant])).content, tmp_path)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_real_kubeadm_validates_every_join_yaml(variant: str, binary: Path, release: str, tmp_path: Path) -> None:
    platform = platform_for(release, VARIANTS[variant])
    for joining in platform.joining_nodes:
        validate(binary, filled_in(kubeadm.join_file(platform, joining).content), tmp_path)


def test_real_kubeadm_validates_the_dev_stack(binary: Path, release: str, tmp_path: Path) -> None:
    platform = load_stack_file("dev")
    if str(platform.version) != release:
        pytest.skip(f"the dev stack runs {platform.version}, the built kubeadm is {release}")
    validate(binary, kubeadm.init_file(platform).content, tmp_path)
    for joining in platform.joining_nodes:
        validate(binary, filled_in(kubeadm.join_file(platform, joining).content), tmp_path)


def test_real_kubeadm_refuses_an_unknown_field(binary: Path, release: str, tmp_path: Path) -> None:
    """The negative control: validation is strict, so the checks above can fail."""
    text = kubeadm.init_file(platform_for(release, {})).content.replace("controlPlaneEndpoint:", "controlPlaneEndpiont:")
    path = tmp_path / "config.yaml"
    path.write_text(text)
    result = run([binary, "config", "validate", "--config", path])
    assert result.returncode != 0 and "controlPlaneEndpiont" in result.stderr, result.stderr


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({}, id="registry.k8s.io"),
        pytest.param({"imageRepository": "mirror.example.com:5000/k8s"}, id="mirror"),
        pytest.param({"imageRepository": "registry.aliyuncs.com/google_containers"}, id="reference-mirror"),
        pytest.param({"dns": {"image": "mirror.example.com/dns/coredns:v1.13.1"}}, id="own-coredns-image"),
    ],
)
def test_real_kubeadm_lists_exactly_the_images_the_platform_pulls(
    changes: dict[str, Any], binary: Path, release: str, tmp_path: Path
) -> None:
    platform = platform_for(release, changes)
    path = tmp_path / "images.yaml"
    path.write_text(kubeadm.images_file(platform).content)
    result = run([binary, "config", "images", "list", "--config", path])
    assert result.returncode == 0, result.stderr
    assert tuple(result.stdout.split()) == platform.control_plane_images
