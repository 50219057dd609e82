"""The lab comes up fast and goes away completely, whichever way it ends."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab import Lab, LabError, LabNodeSpec, default_nodes
from lab.cleanup import stale_lab_ids
from lab.nodes import lifecycle
from lab.nodes.boot import boot_script
from lab.nodes.cgroups import hierarchies
from lab.proc import is_alive
from lab.spec import DEFAULT_GATEWAY, DEFAULT_SUBNET, LabNames
from lab.testing import NO_TRACES, LabFactory, lab_traces, requires_root

REPO = Path(__file__).resolve().parents[2]
pytestmark = requires_root
pytest_plugins = ["lab.fixtures"]


def test_up_and_down_leave_no_trace() -> None:
    lab = Lab(DEFAULT_SUBNET, DEFAULT_GATEWAY, default_nodes(3))
    started = time.monotonic()
    with lab:
        up_seconds = time.monotonic() - started
        present = lab_traces(lab.lab_id)
        assert len(present["netns"]) == 4 and present["mounts"]
        assert len(present["cgroups"]) == 3 * len(hierarchies()), "each node's own cgroup in every hierarchy"
        inits = [lab.init_pid(n.name) for n in lab.nodes]
        assert {str(pid) for pid in inits} <= set(present["processes"])
        assert len(lifecycle.marked(lab.lab_id)) == 6, "a power supply and a launcher per node"
        assert all(row["init"] and row["sshd"] and row["system"] == "running" for row in lab.status())
        sshd_pids = [lab.sshd_pid(n.name) for n in lab.nodes]
    assert lab_traces(lab.lab_id) == NO_TRACES
    assert not any(is_alive(pid) for pid in inits + sshd_pids if pid)
    assert up_seconds < 20, f"3-node lab took {up_seconds:.1f}s to come up"


def test_an_exception_in_the_body_still_tears_down() -> None:
    with pytest.raises(RuntimeError, match="test body failed"):
        with Lab(DEFAULT_SUBNET, DEFAULT_GATEWAY, default_nodes(2)) as lab:
            raise RuntimeError("test body failed")
    assert lab_traces(lab.lab_id) == NO_TRACES


def test_a_failure_during_up_tears_down_what_was_made(monkeypatch: pytest.MonkeyPatch) -> None:
    """The nodes are powered on (systemd running) when the boot wait fails."""
    def broken_wait(*args: object, **kwargs: object) -> None:
        raise LabError("the boot would not finish")

    monkeypatch.setattr(lifecycle, "wait_booted", broken_wait)
    lab = Lab(DEFAULT_SUBNET, DEFAULT_GATEWAY, default_nodes(2))
    with pytest.raises(LabError, match="the boot would not finish"):
        lab.up()
    assert lab_traces(lab.lab_id) == NO_TRACES


def test_two_labs_coexist_on_the_same_subnet(lab_factory: LabFactory) -> None:
    first = lab_factory(nodes=[LabNodeSpec("cp1", "10.99.0.11")])
    second = lab_factory(nodes=[LabNodeSpec("cp1", "10.99.0.11")])
    assert first.host_public_key("cp1") != second.host_public_key("cp1")
    for lab in (first, second):
        assert lab.ssh("cp1", "true").returncode == 0
    first.down()
    assert lab_traces(first.lab_id) == NO_TRACES
    assert second.ssh("cp1", "true").returncode == 0


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lab", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=60, check=True)


def test_cli_up_status_down_and_down_after_a_crash() -> None:
    """A lab left behind by a dead process (and without its state file) is found and removed.

    `down --all` removes every som-* lab on the machine by design, also labs other people
    and other test runs have up, so this checks that the crashed lab is among those it
    finds, then removes that one by id through the same path (cleanup.remove_lab).
    """
    up = cli("up", "--nodes", "2")
    lab_id = up.stdout.split()[1]
    assert "ssh" in up.stdout and "w1" in up.stdout and "setpriv" in up.stdout
    assert "cp1" in cli("status", "--id", lab_id).stdout
    assert cli("ssh", "--id", lab_id, "w1", "hostname").stdout.strip() == "w1"
    cli("down", "--id", lab_id)
    assert lab_traces(lab_id) == NO_TRACES

    crashed = cli("up", "--nodes", "2").stdout.split()[1]
    LabNames(crashed).state_file.unlink()
    assert crashed in stale_lab_ids()
    assert f"lab {crashed} removed" in cli("down", "--id", crashed).stdout
    assert lab_traces(crashed) == NO_TRACES


def test_the_node_scripts_pass_shellcheck(tmp_path: Path) -> None:
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (Debian package shellcheck)")
    names, spec = LabNames("abc123"), LabNodeSpec("cp1", "10.99.0.11")
    scripts = {"boot.sh": boot_script(names, spec.name, hierarchies()),
               "power.sh": lifecycle.power_script(names, spec, DEFAULT_GATEWAY, 17)}
    for name, text in scripts.items():
        (tmp_path / name).write_text(text)
        result = subprocess.run(["shellcheck", "-s", "sh", str(tmp_path / name)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout
