"""The lab comes up fast and goes away completely, whichever way it ends."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab import Lab, LabError, LabNodeSpec, default_nodes
from lab import nodes as lab_nodes
from lab.netns import som_namespaces
from lab.nodes import node_inits
from lab.overlay import node_boot_script, som_mounts
from lab.proc import all_pids, cmdline, is_alive
from lab.spec import DEFAULT_GATEWAY, DEFAULT_SUBNET, LabNames
from lab.testing import LabFactory, requires_root

REPO = Path(__file__).resolve().parents[1]
pytestmark = requires_root
pytest_plugins = ["lab.fixtures"]


def lab_processes(lab_id: str) -> list[int]:
    """Live processes naming the lab: node inits (marker + id), launchers (its paths)."""
    return [pid for pid in all_pids()
            if is_alive(pid) and (lab_id in cmdline(pid) or f"som-{lab_id}" in " ".join(cmdline(pid)))]


def traces(lab_id: str) -> dict[str, list[object]]:
    """What a lab leaves on the machine: namespaces, mounts, live processes, state."""
    names = LabNames(lab_id)
    return {
        "netns": list(som_namespaces(lab_id)),
        "mounts": list(som_mounts(lab_id)),
        "processes": list(lab_processes(lab_id)),
        "inits": list(node_inits(lab_id)),
        "files": [p for p in (names.state_dir, names.mount_dir) if p.exists()],
    }


def no_traces(lab_id: str) -> dict[str, list[object]]:
    return {kind: [] for kind in traces(lab_id)}


def test_up_and_down_leave_no_trace() -> None:
    lab = Lab(DEFAULT_SUBNET, DEFAULT_GATEWAY, default_nodes(3))
    started = time.monotonic()
    with lab:
        up_seconds = time.monotonic() - started
        present = traces(lab.lab_id)
        assert len(present["netns"]) == 4 and len(present["inits"]) == 3 and present["mounts"]
        assert len(present["processes"]) >= 6, "inits and their launchers must be visible to the check"
        assert all(row["init"] and row["sshd"] for row in lab.status())
        sshd_pids = [lab.sshd_pid(n.name) for n in lab.nodes]
    assert traces(lab.lab_id) == no_traces(lab.lab_id)
    assert not any(is_alive(pid) for pid in sshd_pids if pid)
    assert up_seconds < 10, f"3-node lab took {up_seconds:.1f}s to come up"


def test_an_exception_in_the_body_still_tears_down() -> None:
    with pytest.raises(RuntimeError, match="test body failed"):
        with Lab(DEFAULT_SUBNET, DEFAULT_GATEWAY, default_nodes(2)) as lab:
            raise RuntimeError("test body failed")
    assert traces(lab.lab_id) == no_traces(lab.lab_id)


def test_a_failure_during_up_tears_down_what_was_made(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_sshd(*args: object) -> None:
        raise LabError("sshd would not start")

    monkeypatch.setattr(lab_nodes, "start_sshd", broken_sshd)
    lab = Lab(DEFAULT_SUBNET, DEFAULT_GATEWAY, default_nodes(2))
    with pytest.raises(LabError, match="sshd would not start"):
        lab.up()
    assert traces(lab.lab_id) == no_traces(lab.lab_id)


def test_two_labs_coexist_on_the_same_subnet(lab_factory: LabFactory) -> None:
    first = lab_factory(nodes=[LabNodeSpec("cp1", "10.99.0.11")])
    second = lab_factory(nodes=[LabNodeSpec("cp1", "10.99.0.11")])
    assert first.host_public_key("cp1") != second.host_public_key("cp1")
    for lab in (first, second):
        assert lab.ssh("cp1", "true").returncode == 0
    first.down()
    assert traces(first.lab_id) == no_traces(first.lab_id)
    assert second.ssh("cp1", "true").returncode == 0


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lab", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=60, check=True)


def test_cli_up_status_down_and_down_all_after_a_crash() -> None:
    """A lab left behind by a dead process (and without its state file) is found and removed.

    `down --all` removes every som-* lab on the machine by design, so this would also
    remove a lab a person started by hand while the suite runs.
    """
    up = cli("up", "--nodes", "2")
    lab_id = up.stdout.split()[1]
    assert "ssh" in up.stdout and "w1" in up.stdout
    assert "cp1" in cli("status", "--id", lab_id).stdout
    assert cli("ssh", "--id", lab_id, "w1", "hostname").stdout.strip() == "w1"
    cli("down", "--id", lab_id)
    assert traces(lab_id) == no_traces(lab_id)

    crashed = cli("up", "--nodes", "2").stdout.split()[1]
    LabNames(crashed).state_file.unlink()
    assert crashed in cli("down", "--all").stdout
    assert traces(crashed) == no_traces(crashed)


def test_the_node_boot_script_passes_shellcheck(tmp_path: Path) -> None:
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (Debian package shellcheck)")
    script = tmp_path / "boot.sh"
    script.write_text(node_boot_script(LabNames("abc123"), "cp1", sys.executable))
    result = subprocess.run(["shellcheck", "-s", "sh", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
