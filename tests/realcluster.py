"""Fixtures shared by the real-cluster test modules: one lab brought up by lab/create
per module, kubectl with the stack's admin kubeconfig, and the stack outputs.

Import the fixtures into a test module (``from tests.realcluster import cluster,
kubectl, outputs``); each module gets its own bring-up (module scope), removed at the
end also when the bring-up or a check fails.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

TENANT = "analytics"  # the dev stack's tenant, on w1 and w2
WORKERS = ("w1", "w2")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    from lab.cleanup import remove_lab
    from lab.create import Options, bring_up
    from lab.spec import new_lab_id

    lab_id = new_lab_id()
    started = time.monotonic()
    try:
        state = bring_up(Options(nodes=3, lab_id=lab_id))
        print(f"\nbring-up of lab {lab_id}: {time.monotonic() - started:.1f}s wall; per action "
              + json.dumps({k: round(v, 1) for k, v in state.seconds.items()})
              + f"; facts {json.dumps(state.facts, default=str)}")
        yield state
    finally:
        remove_lab(lab_id)


@pytest.fixture(scope="module")
def kubectl(cluster: Any) -> Any:
    from lab.probes import for_lab

    return for_lab(cluster.lab, cluster.workspace_dir)


@pytest.fixture(scope="module")
def outputs(cluster: Any) -> dict[str, Any]:
    from lab.probes import stack_workspace

    return stack_workspace(cluster.workspace_dir).outputs()
