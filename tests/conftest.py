"""Shared fixtures of the platform's tests (the lab's live in lab/fixtures.py), and the
kind of every test, from its directory: tests/unit (the pure core, `-m unit`, the fast
loop), tests/shell (real programs without a cluster), tests/e2e (real clusters, marked
realcluster); the lab's own tests are in lab/tests (marked lab there).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from components import render
from components.stack import load_stack_file

RenderedStack = Callable[[str], Path]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each module's kind is its directory (pyproject.toml declares the markers)."""
    for item in items:
        kind = Path(str(item.fspath)).parent.name
        if kind in ("unit", "shell"):
            item.add_marker(getattr(pytest.mark, kind))


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
