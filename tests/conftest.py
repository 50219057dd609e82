"""Shared fixtures of the platform-model tests (the lab's live in lab/fixtures.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from components import render
from components.stack import load_stack_file

RenderedStack = Callable[[str], Path]


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
