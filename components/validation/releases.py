"""Checks of the release and its packages: a supported Kubernetes minor (or a knowing
opt-in past its end of life), a containerd the support matrix recommends, one mirror per
registry."""

from __future__ import annotations

from datetime import date
from typing import Iterator

from components.config import ContainerdConfig, RegistryMirror
from components.problems import ConfigProblem, join_key
from components.validation.common import repeats
from components.versions import RELEASES, KubernetesVersion, describe, release_numbers, supported_on


def supported_release(allow_end_of_life: str | None, kubernetes_version: str, today: date) -> Iterator[ConfigProblem]:
    version = KubernetesVersion.parse(kubernetes_version)
    name, allowed = f"1.{version.minor}", allow_end_of_life
    supported = describe(supported_on(today))
    release = RELEASES.get(version.minor)
    if release is None:
        newer = version.minor > max(RELEASES)
        yield ConfigProblem(
            "kubernetesVersion",
            f"Kubernetes {version} is "
            + ("newer than the support table (its kubeadm images and containerd line are not known here)" if newer else "past its end of life and no longer supported"),
            f"choose a supported release: {supported}" + ("; supporting it means adding its row to components/versions.py" if newer else ""),
        )
        return
    past_end = today > release.end_of_life
    if allowed is not None and allowed != name:
        yield ConfigProblem(
            "allowEndOfLife", f"it names {allowed} but the stack runs Kubernetes {name}", f"remove it, or write '{name}' if that is meant"
        )
    elif allowed is not None and not past_end:
        yield ConfigProblem(
            "allowEndOfLife",
            f"Kubernetes {name} is supported until {release.end_of_life.isoformat()}: there is nothing to allow",
            "remove allowEndOfLife",
        )
    elif past_end and allowed is None:
        yield ConfigProblem(
            "kubernetesVersion",
            f"Kubernetes {name} reached its end of life on {release.end_of_life.isoformat()} (no security fixes since)",
            f"upgrade to a supported release: {supported}; or, knowingly and for a while, set allowEndOfLife: '{name}'",
        )


def containerd_supports_release(containerd: ContainerdConfig, kubernetes_version: str) -> Iterator[ConfigProblem]:
    release = RELEASES.get(KubernetesVersion.parse(kubernetes_version).minor)
    wanted = containerd.version
    if release is None or wanted is None:
        return
    given = release_numbers(wanted)
    minimum = release_numbers(release.containerd_minimum)
    if given and given < minimum[: len(given)]:
        yield ConfigProblem(
            "containerd.version",
            f"containerd {wanted} is older than {release.containerd_minimum}, the oldest containerd 2.x that "
            f"containerd's support matrix recommends for Kubernetes {release.name}",
            f"use {release.containerd_line}.* (the default) or another version from {release.containerd_minimum} on",
        )


def one_mirror_per_registry(registry_mirrors: tuple[RegistryMirror, ...]) -> Iterator[ConfigProblem]:
    for index, _, registry, first in repeats(list(enumerate(registry_mirrors)), lambda mirror: mirror.registry):
        yield ConfigProblem(
            join_key("registryMirrors", index, "registry"),
            f"registry {registry} already has a mirror (registryMirrors[{first}])",
            "give each registry one entry",
        )


CHECKS = (supported_release, containerd_supports_release, one_mirror_per_registry)
