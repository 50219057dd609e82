"""prepare-host's first check, run with bash against a fake kubelet: a host already in a
cluster is left untouched when the stack names a release its kubelet cannot go to (down,
or past the next minor), with the reason and the fix; one patch or one minor up marks the
host's upgrade as pending (its packages are left to the upgrade steps); a host not yet in
a cluster passes whatever it has installed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from components import shell
from components.paths import STEP_TEMPLATES


def check(tmp_path: Path, configured: str, installed: str | None, in_cluster: bool = True) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    if installed is not None:
        for program in ("kubeadm", "kubelet"):
            (bin_dir / program).write_text(f"#!/bin/sh\n[ \"$*\" = '--version' ] && echo 'Kubernetes {installed}'\n")
            (bin_dir / program).chmod(0o755)
    kubelet_conf = tmp_path / "kubelet.conf"
    if in_cluster:
        kubelet_conf.write_text("apiVersion: v1\n")
    script = "".join([
        "set -Eeuo pipefail\n",
        shell.assignments({"SOM_NODE": "w1", "SOM_RUNS_ON": "w1", "SOM_STEP": "prepare-host",
                           "KUBELET_CONF": str(kubelet_conf), "KUBERNETES_TAG": configured}),
        shell.template(STEP_TEMPLATES / "lib.sh"),
        shell.template(STEP_TEMPLATES / "release-check.sh"),
        "check_release\nif som_upgrade_pending; then echo upgrade; else echo passed; fi\n",
    ])
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30,
                          env={"PATH": f"{bin_dir}:/usr/bin:/bin"})


@pytest.mark.parametrize(
    ("configured", "installed", "says"),
    [
        ("v1.35.3", "v1.35.4", "cannot be downgraded; set kubernetesVersion back to 1.35.4"),
        ("v1.35.9", "v1.36.1", "cannot be downgraded"),
        ("v1.37.2", "v1.35.4", "upgrades go one minor at a time"),
    ],
)
def test_another_release_under_a_running_cluster_is_refused_with_the_fix(tmp_path: Path, configured: str, installed: str, says: str) -> None:
    done = check(tmp_path, configured, installed)
    assert done.returncode == 1 and "passed" not in done.stdout
    assert says in done.stderr and f"runs {installed}" in done.stderr


@pytest.mark.parametrize(("installed", "in_cluster"), [("v1.35.4", True), ("v1.34.0", False), (None, False)])
def test_the_configured_release_or_a_host_outside_a_cluster_passes(tmp_path: Path, installed: str | None, in_cluster: bool) -> None:
    done = check(tmp_path, "v1.35.4", installed, in_cluster)
    assert done.returncode == 0 and done.stdout == "passed\n", done.stderr


@pytest.mark.parametrize(("configured", "installed"), [("v1.36.3", "v1.35.4"), ("v1.35.5", "v1.35.4"), ("v1.36.0", "v1.35.9")])
def test_one_patch_or_one_minor_up_leaves_the_packages_to_the_upgrade_steps(tmp_path: Path, configured: str, installed: str) -> None:
    done = check(tmp_path, configured, installed)
    assert done.returncode == 0 and done.stdout == "upgrade\n", done.stderr
    assert f"upgrade from {installed} to {configured}" in done.stderr
