"""The support table (components/versions.py) and the images it names.

The pause, CoreDNS and etcd columns must be kubeadm's own constants of each release: they
are read here from kubeadm's source (cmd/kubeadm/app/constants/constants.go) wherever the
Go module cache holds that release, so a typo in the table fails. The image names follow
kubeadm's rules (cmd/kubeadm/app/images), CoreDNS's nesting on the official registry
included, and the pause image containerd runs is the one kubeadm names.
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import date
from pathlib import Path

import pytest

from components.hostfiles import containerd, kubeadm
from components.versions import RELEASES, coredns_image, describe, supported_on
from tests.factories import load, valid_config, with_settings

GO_MODULES = [
    Path(os.environ.get("GOMODCACHE", "/root/go/pkg/mod")),
    Path("/var/cache/spark-on-metal/go/mod"),
]
CONSTANTS = "cmd/kubeadm/app/constants/constants.go"


def kubeadm_sources(minor: int) -> Path | None:
    """The newest k8s.io/kubernetes@v1.<minor>.* module in a Go module cache, if any."""
    found = [
        path for root in GO_MODULES if (root / "k8s.io").is_dir()
        for path in (root / "k8s.io").glob(f"kubernetes@v1.{minor}.*") if (path / CONSTANTS).is_file()
    ]
    return max(found, key=lambda p: [int(x) for x in re.findall(r"\d+", p.name)]) if found else None


def constant(text: str, name: str) -> str:
    match = re.search(rf'^\s*{name}\s*=\s*"([^"]+)"', text, re.M)
    assert match, f"{name} not found in kubeadm's constants"
    return match[1]


@pytest.mark.parametrize("minor", sorted(RELEASES))
def test_table_row_is_kubeadms_own_constants(minor: int) -> None:
    sources = kubeadm_sources(minor)
    if sources is None:
        pytest.skip(f"no k8s.io/kubernetes@v1.{minor}.* in the Go module caches {[str(p) for p in GO_MODULES]}")
    text = (sources / CONSTANTS).read_text()
    release = RELEASES[minor]
    assert release.pause == constant(text, "PauseVersion"), sources.name
    assert release.coredns == constant(text, "CoreDNSVersion"), sources.name
    assert release.etcd == constant(text, "DefaultEtcdVersion"), sources.name


def test_every_supported_release_needs_containerd_2() -> None:
    """The platform writes containerd 2.x's configuration; 1.36 on need 2.2 or later."""
    for release in RELEASES.values():
        assert int(release.containerd_minimum.split(".")[0]) == 2
        line = tuple(int(part) for part in release.containerd_line.split("."))
        assert line >= tuple(int(part) for part in release.containerd_minimum.split("."))[:2]
    assert [RELEASES[m].containerd_minimum for m in (35, 36, 37)] == ["2.1.5", "2.2.0", "2.3.0"]


def test_supported_releases_by_date() -> None:
    """kubernetes.io's end-of-life dates: on 2026-12-03 all three; 1.35 gone in March 2027."""
    assert describe(supported_on(date(2026, 12, 3))) == (
        "1.35 (end of life 2027-02-28), 1.36 (end of life 2027-06-28), 1.37 (end of life 2027-10-28)"
    )
    assert [r.name for r in supported_on(date(2027, 3, 1))] == ["1.36", "1.37"]
    assert describe(supported_on(date(2028, 1, 1))) == "none"


@pytest.mark.parametrize(
    ("repository", "image"),
    [
        ("registry.k8s.io", "registry.k8s.io/coredns/coredns:v1.13.1"),
        ("mirror.example.com:5000/k8s", "mirror.example.com:5000/k8s/coredns:v1.13.1"),
        ("registry.aliyuncs.com/google_containers", "registry.aliyuncs.com/google_containers/coredns:v1.13.1"),
        ("registry.k8s.io/staging", "registry.k8s.io/staging/coredns:v1.13.1"),
    ],
)
def test_coredns_is_nested_only_on_the_official_registry(repository: str, image: str) -> None:
    """kubeadm's GetDNSImage nests /coredns only when the repository IS registry.k8s.io."""
    assert coredns_image(repository, "v1.13.1") == image


def test_prod_images_are_kubeadms_list_for_1_36_on_the_mirror() -> None:
    """What prepare-host pre-pulls and the mirror must hold, in kubeadm's order; the DNS
    DaemonSet and containerd run exactly the CoreDNS and pause images in it."""
    from components.stack import load_stack_file

    platform = load_stack_file("prod")
    mirror = "registry.aliyuncs.com/google_containers"
    assert platform.control_plane_images == (
        f"{mirror}/kube-apiserver:v1.36.3",
        f"{mirror}/kube-controller-manager:v1.36.3",
        f"{mirror}/kube-scheduler:v1.36.3",
        f"{mirror}/kube-proxy:v1.36.3",
        f"{mirror}/coredns:v1.14.2",
        f"{mirror}/pause:3.10.2",
        f"{mirror}/etcd:3.6.8-0",
    )
    assert platform.coredns_image == f"{mirror}/coredns:v1.14.2"
    sandbox = tomllib.loads(containerd.config_file(platform).content)["plugins"]["io.containerd.cri.v1.images"]["pinned_images"]["sandbox"]
    assert sandbox == f"{mirror}/pause:3.10.2"


def test_a_custom_coredns_image_leaves_kubeadms_list() -> None:
    """With dns.image set, kubeadm's images config disables its CoreDNS (it is not what
    runs), the pre-pull list drops it, and the DaemonSet runs the configured image."""
    platform = load(with_settings(valid_config(), {"dns": {"image": "mirror.example.com/dns/coredns:v1.14.6"}}))
    assert kubeadm.images_configuration(platform)["dns"] == {"disabled": True}
    assert not any("coredns" in image for image in platform.control_plane_images)
    assert platform.coredns_image == "mirror.example.com/dns/coredns:v1.14.6"
    assert "dns" not in kubeadm.images_configuration(load(valid_config()))


def test_prepare_host_pulls_exactly_the_platforms_image_list() -> None:
    """The marker prepare-host compares is the image list itself: a changed list (another
    release, another mirror) pulls again."""
    from components.steps import prepare_host

    platform = load(valid_config())
    step = prepare_host.step(platform, platform.node("cp"))
    assert step.variables["IMAGES_WANTED"] == " ".join(platform.control_plane_images)
    assert step.variables["PULL_IMAGES"] == "yes"
    assert prepare_host.step(platform, platform.node("w1")).variables["PULL_IMAGES"] == "no"
