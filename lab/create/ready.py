"""Action ``ready``: every lab node a Ready Node of the cluster, seen by kubectl."""

from __future__ import annotations

import time

from ..probes import for_lab
from .run import BringUp

TIMEOUT = 600.0


def run(state: BringUp) -> None:
    assert state.lab is not None and state.workspace_dir is not None
    kubectl = for_lab(state.lab, state.workspace_dir, state.options.stack)
    wanted = {spec.name for spec in state.lab.nodes}
    started = time.monotonic()
    kubectl.wait("every node Ready", lambda: wanted <= kubectl.ready_nodes(), TIMEOUT)
    state.facts["ready_wait_seconds"] = round(time.monotonic() - started, 1)
