"""The lab's own tests (namespaces, systemd-booted nodes, mirrors, images, without a
Kubernetes cluster): every one is marked ``lab`` (pyproject.toml)."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "lab/tests" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.lab)
