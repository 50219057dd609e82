"""lab/create's pieces that need no cluster: the lab's stack settings make a valid
air-gapped stack with one apt source, and the engine's step timings are read back."""

from __future__ import annotations

import re
from typing import Any

from components.hostfiles import packages
from components.stack import raw_from_stack_file
from components.steps import prepare_host
from components.validation import load_platform
from lab.create.pulumi_up import step_seconds
from lab.create.stack import site_settings
from lab.driver.labstack import PROJECT, Setting
from lab.services.site import Site

SITE = Site("t0", "10.99.127.253", 17)


def path_parts(key: str) -> list[str]:
    """A `pulumi config set --path` key's parts: dotted names and ["quoted keys"]."""
    return [name or quoted for name, quoted in re.findall(r'([^.\[\]"]+)|\["([^"]+)"\]', key)]


def as_the_cli_stores(setting: Setting) -> Any:
    """`--path` stores true, false and integers as such, unless `--type string`."""
    if setting.text:
        return setting.value
    if setting.value in ("true", "false"):
        return setting.value == "true"
    return int(setting.value) if re.fullmatch(r"-?[0-9]+", setting.value) else setting.value


def with_settings(raw: dict[str, Any], site: Site) -> dict[str, Any]:
    """raw config with the site's settings applied as `pulumi config set --path` does."""
    for setting in site_settings(site):
        *parents, leaf = path_parts(setting.key.removeprefix(f"{PROJECT}:"))
        target = raw
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = as_the_cli_stores(setting)
    return raw


def test_the_lab_stack_is_a_valid_air_gapped_site_with_one_apt_source() -> None:
    platform = load_platform(with_settings(raw_from_stack_file("dev"), SITE), "dev")
    assert platform.config.image_repository == SITE.image_repository
    [repository] = packages.repositories(platform)  # containerd comes from the same mirror
    assert repository.source.url == SITE.apt_url(platform.version.minor)
    [node] = [n for n in platform.nodes if n.name == "cp1"]
    step = prepare_host.step(platform, node)
    assert step.variables["APT_SOURCES"] == repository.sources_path
    assert step.variables["CONTAINERD_PACKAGE"] == "containerd"
    assert platform.config.spark.upload_path == SITE.upload_path
    assert platform.config.spark.conf["spark.hadoop.fs.s3a.endpoint"] == SITE.store_endpoint
    assert platform.config.spark.conf["spark.hadoop.fs.s3a.path.style.access"] == "true"


def test_setting_paths_split_as_the_cli_splits_them() -> None:
    assert path_parts('spark.conf["spark.hadoop.fs.s3a.endpoint"]') == ["spark", "conf", "spark.hadoop.fs.s3a.endpoint"]
    assert path_parts("containerd.repository.url") == ["containerd", "repository", "url"]


def test_two_repositories_keep_two_sources() -> None:
    platform = load_platform(raw_from_stack_file("dev"), "dev")
    assert [r.name for r in packages.repositories(platform)] == ["kubernetes", "containerd"]


def test_step_seconds_are_read_from_the_engines_progress() -> None:
    log = (" +  command:remote:Command w1-kubeadm created (2s) done\n"
           " +  command:remote:Command cp1-kubeadm created (20s)\n"
           " +  command:remote:Command w1-host-network created (1s)\n")
    assert step_seconds(log) == {"kubeadm": {"w1": 2, "cp1": 20}}
