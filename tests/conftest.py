"""Shared fixtures of the platform-model tests (the lab's live in lab/fixtures.py), and
the kind of every test module (pyproject.toml's markers): `-m unit` is the fast loop.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from components import render
from components.stack import load_stack_file

RenderedStack = Callable[[str], Path]

# Modules that run real programs on this machine without a cluster; test_lab_* are the
# lab's; modules marked realcluster bring one up; everything else is the pure core.
SHELL_MODULES = frozenset({
    "test_boot_scripts", "test_command_standin", "test_containerd_real", "test_driver", "test_kubeadm_real",
    "test_prepare_host", "test_scripts", "test_toolchain", "test_uplink_owner", "test_workflows",
})


def kind(module: str, markers: set[str]) -> str:
    if "realcluster" in markers:
        return "realcluster"
    if module.startswith("test_lab_"):
        return "lab"
    return "shell" if module in SHELL_MODULES else "unit"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        module = Path(str(item.fspath)).stem
        found = kind(module, {marker.name for marker in item.iter_markers()})
        if found != "realcluster":
            item.add_marker(getattr(pytest.mark, found))


@pytest.fixture(scope="session")
def rendered_stack(tmp_path_factory: pytest.TempPathFactory) -> RenderedStack:
    """``rendered_stack("dev")``: the directory `render` wrote for that stack, once per session."""
    written: dict[str, Path] = {}

    def rendered(stack: str) -> Path:
        if stack not in written:
            out = tmp_path_factory.mktemp(f"render-{stack}")
            render.write(load_stack_file(stack), out)
            written[stack] = out
        return written[stack]

    return rendered
