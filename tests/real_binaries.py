"""Real upstream binaries for tests that run them on rendered files, from the lab's toolchain.

The toolchain (``python -m lab.toolchain``) builds kubeadm, containerd and the rest from
their Go modules into a cache outside the clone; a test that needs one skips, saying why
and how to build it, until it is there. Asked through the command line (not imported), so
the lab package's state never decides whether these test modules import.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent


def toolchain_binary(build: str, binary: str) -> Path:
    """``<bin dir of build>/<binary>``, or skip with the toolchain's own reason."""
    try:
        result = subprocess.run(
            [sys.executable, "-m", "lab.toolchain", "path", build],
            cwd=PROJECT, capture_output=True, text=True, timeout=120,
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"`python -m lab.toolchain path {build}` did not answer in 120 s")
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no output"])[-1]
        pytest.skip(f"{binary} is not built: {reason}")
    path = Path(result.stdout.strip()) / binary
    if not path.is_file():
        pytest.skip(f"the toolchain's {build} build has no {binary} at {path}")
    return path


def run(argv: list[str | Path], timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout)
