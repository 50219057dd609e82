"""Helpers for lab tests: the root requirement and what a lab leaves on the machine.

Kept apart from fixtures.py so test modules can import these while pytest loads the
fixtures itself (`pytest_plugins = ["lab.fixtures"]`), with assertion rewriting.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from .lab import Lab
from .nodes.lifecycle import lab_processes
from .proc import all_pids, cmdline, is_alive
from .spec import LabNames

NEEDS_ROOT = "the lab needs root: it creates network namespaces, mounts and veth pairs"
requires_root = pytest.mark.skipif(os.geteuid() != 0, reason=NEEDS_ROOT)

LabFactory = Callable[..., Lab]


def lab_traces(lab_id: str) -> dict[str, list[str]]:
    """What a lab leaves on the machine, read from the machine itself (not through the
    lab's own bookkeeping): mounts, network namespaces, cgroups, processes, files."""
    names = LabNames(lab_id)
    mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    return {
        "mounts": [m for m in mounts if names.prefix.rstrip("-") in m],
        "netns": [line.split()[0] for line in listed.splitlines() if line.startswith(names.prefix)],
        "cgroups": sorted(str(p) for p in Path("/sys/fs/cgroup").glob(f"*/{names.prefix}*")),
        "processes": [str(pid) for pid in sorted(set(lab_processes(lab_id)) | set(_naming(names)))],
        "files": [str(p) for p in (names.state_dir, names.mount_dir) if p.exists()],
    }


def _naming(names: LabNames) -> list[int]:
    """Live processes whose argv names the lab (its namespaces, mounts or state dir)."""
    me = os.getpid()
    marks = (names.prefix.rstrip("-"), str(names.state_dir))
    return [pid for pid in all_pids()
            if pid != me and is_alive(pid) and any(m in " ".join(cmdline(pid)) for m in marks)]


NO_TRACES: dict[str, list[str]] = {"mounts": [], "netns": [], "cgroups": [], "processes": [], "files": []}


def skip_unless_root() -> None:
    if os.geteuid() != 0:
        pytest.skip(NEEDS_ROOT)
