"""The rendered containerd configuration, read by a real containerd 2.x.

``containerd --config <rendered> config dump`` loads the file the way the daemon does
(version 3, plugin ids, option types) and prints the configuration it would run with: the
sandbox image, the systemd cgroup driver, the CNI directories and the registry hosts
directory must come back as rendered. The binary is the lab toolchain's build of the
containerd release the dev stack's Kubernetes runs with (lab/versions.py).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from components.hostfiles import containerd
from components.stack import load_stack_file
from tests.factories import load, valid_config, with_settings
from tests.real_binaries import run, toolchain_binary


@pytest.fixture(scope="module")
def binary() -> Path:
    return toolchain_binary("containerd", "containerd")


def dump(binary: Path, config_text: str, tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "config.toml"
    path.write_text(config_text)
    result = run([binary, "--config", path, "config", "dump"])
    assert result.returncode == 0, f"containerd refused the rendered config:\n{result.stderr}"
    return tomllib.loads(result.stdout)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_real_containerd_reads_the_rendered_config_as_rendered(stack: str, binary: Path, tmp_path: Path) -> None:
    platform = load_stack_file(stack)
    config = dump(binary, containerd.config_file(platform).content, tmp_path)
    assert config["version"] == 3
    images = config["plugins"]["io.containerd.cri.v1.images"]
    runtime = config["plugins"]["io.containerd.cri.v1.runtime"]
    assert images["pinned_images"]["sandbox"] == platform.pause_image
    assert images["registry"]["config_path"] == "/etc/containerd/certs.d"
    runc = runtime["containerd"]["runtimes"]["runc"]
    assert runc["runtime_type"] == "io.containerd.runc.v2"
    assert runc["options"]["SystemdCgroup"] is True
    assert runtime["containerd"]["default_runtime_name"] == "runc"
    assert runtime["cni"]["bin_dirs"] == ["/opt/cni/bin"]
    assert runtime["cni"]["conf_dir"] == "/etc/cni/net.d"
    assert runtime["restrict_oom_score_adj"] is platform.config.containerd.restrict_oom_score_adj


def test_real_containerd_refuses_a_config_version_it_does_not_know(binary: Path, tmp_path: Path) -> None:
    """The negative control: `config dump` does refuse a file containerd cannot read, so the
    check above can fail."""
    text = containerd.config_file(load(valid_config())).content.replace("version = 3", "version = 99")
    path = tmp_path / "config.toml"
    path.write_text(text)
    assert run([binary, "--config", path, "config", "dump"]).returncode != 0


def test_restrict_oom_score_adj_follows_the_stack(binary: Path, tmp_path: Path) -> None:
    for value in (True, False):
        platform = load(with_settings(valid_config(), {"containerd": {"restrictOomScoreAdj": value}}))
        config = dump(binary, containerd.config_file(platform).content, tmp_path)
        assert config["plugins"]["io.containerd.cri.v1.runtime"]["restrict_oom_score_adj"] is value


def test_prepare_host_reads_the_real_containerd_version(binary: Path) -> None:
    """prepare-host's own parsing of `containerd --version`, on the real binary's output
    ("containerd github.com/containerd/containerd/v2 v2.2.9 ..."): the release number, and
    its comparison with the minimum of the dev stack's Kubernetes release."""
    import subprocess

    from components import shell
    from components.paths import STEP_TEMPLATES
    from components.steps import prepare_host
    from components.steps.step import LIB

    platform = load_stack_file("dev")
    step = prepare_host.step(platform, platform.nodes[0])
    script = "".join([
        "set -Eeuo pipefail\n",
        shell.assignments({"SOM_NODE": "n", "SOM_RUNS_ON": "n", "SOM_STEP": "test", **step.variables}),
        shell.template(LIB),
        shell.template(STEP_TEMPLATES / "prepare-host.sh"),
        'version=$(containerd_version)\necho "$version"\n',
        'version_at_least "$version" "$CONTAINERD_MINIMUM" && echo supported\n',
        'version_at_least 2.1.4 "$CONTAINERD_MINIMUM" || echo too-old\n',
    ])
    result = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=60,
        env={"PATH": f"{binary.parent}:/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    version, *verdicts = result.stdout.split()
    words = run([binary, "--version"]).stdout.split()
    assert version.count(".") == 2 and (version in words or f"v{version}" in words), (version, words)
    assert verdicts == ["supported", "too-old"]
