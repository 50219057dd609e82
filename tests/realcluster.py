"""Fixtures shared by the real-cluster test modules: one lab brought up by lab/create
per module, kubectl with the stack's admin kubeconfig, and the stack outputs.

Import the fixtures into a test module (``from tests.realcluster import cluster,
kubectl, outputs``); each module gets its own bring-up (module scope), removed at the
end also when the bring-up or a check fails.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

TENANT = "analytics"  # the dev stack's tenant, on w1 and w2
WORKERS = ("w1", "w2")
PROJECT = "spark-on-metal"
COMMAND_TYPE = "command:remote:Command"
BOOTSTRAP_TOKEN_TYPE = "bootstrap.kubernetes.io/token"
TIMEOUT = 30 * 60.0  # one run of pulumi up


def up(state: Any, operation: str = "up") -> tuple[dict[str, Any], str]:
    """``operation`` of the lab's stack in the fabric (as lab/create runs it), with the
    program the stack was set up with: the workspace's copy of components/, frozen at
    the bring-up, so that edits to the checkout during the module's minutes of runs do
    not show up as changes between runs. lab/ itself comes from the checkout."""
    from lab.create.pulumi_up import child_argv
    from lab.driver.workspace import PROJECT_ROOT

    project = state.workspace_dir / "project"
    log = state.workspace_dir / f"pulumi-{operation}.log"
    with log.open("w") as out:
        done = subprocess.run(state.lab.fabric_argv(child_argv(state.workspace_dir, state.options.stack, operation)),
                              cwd=project, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
                              stdout=subprocess.PIPE, stderr=out, text=True, timeout=TIMEOUT, check=False)
    try:
        return json.loads(done.stdout), log.read_text()
    except json.JSONDecodeError:
        raise AssertionError(f"the driver exited {done.returncode} without a summary: {log.read_text()[-3000:]}") from None


@contextmanager
def lab_until_stack(**options: Any) -> Iterator[Any]:
    """A lab brought up by lab/create's actions up to the stack config (the module then
    runs ``pulumi up`` itself), removed at the end also when something fails."""
    from lab.cleanup import remove_lab
    from lab.create import Options, bring_up
    from lab.create.actions import ACTIONS
    from lab.spec import new_lab_id

    lab_id = new_lab_id()
    until_stack = [action for action in ACTIONS if action.name in ("fabric", "mirrors", "node-image", "stack")]
    try:
        yield bring_up(Options(lab_id=lab_id, **options), until_stack)
    finally:
        remove_lab(lab_id)


def converge(state: Any) -> tuple[dict[str, Any], str, dict[str, Any], str]:
    """The run that should converge: ``up``, every node Ready once it succeeded, then a
    ``preview`` (which should plan nothing). Both results with their logs."""
    from lab.create import ready

    result, log = up(state)
    if result["ok"]:
        ready.run(state)
    preview, preview_log = up(state, "preview")
    return result, log, preview, preview_log


def stack_node_names(workspace: Any) -> list[str]:
    """The stack's nodes in its order (config keys index into this list)."""
    from lab.driver.labstack import stack_nodes

    nodes, _ = stack_nodes(workspace.stack, workspace.project_dir)
    return [node["name"] for node in nodes]


def created_commands(log: str) -> set[str]:
    """The remote commands the CLI reported created in one run's output."""
    return set(re.findall(rf"{COMMAND_TYPE} (\S+) created", log))


def failed_steps(result: dict[str, Any]) -> dict[str, str]:
    """Resource name -> the engine's error for it."""
    return {urn.rsplit("::", 1)[-1]: message for urn, message in result["failed"].items()}


def join_token_descriptions(kubectl: Any) -> list[str]:
    """The descriptions of the bootstrap tokens spark-on-metal minted that still exist."""
    tokens = kubectl.json(["-n", "kube-system", "get", "secrets", "--field-selector", f"type={BOOTSTRAP_TOKEN_TYPE}"])["items"]
    descriptions = [base64.b64decode(t["data"].get("description", "")).decode() for t in tokens]
    return [d for d in descriptions if d.startswith("spark-on-metal: join ")]


@contextmanager
def brought_up(**options: Any) -> Iterator[Any]:
    """A lab brought up whole by lab/create (``pulumi up`` included), removed at the end
    also when something fails; ``options`` are lab.create.Options' (nodes, control_planes)."""
    from lab.cleanup import remove_lab
    from lab.create import Options, bring_up
    from lab.spec import new_lab_id

    lab_id = new_lab_id()
    started = time.monotonic()
    try:
        state = bring_up(Options(lab_id=lab_id, **options))
        print(f"\nbring-up of lab {lab_id}: {time.monotonic() - started:.1f}s wall; per action "
              + json.dumps({k: round(v, 1) for k, v in state.seconds.items()})
              + f"; facts {json.dumps(state.facts, default=str)}")
        yield state
    finally:
        remove_lab(lab_id)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    with brought_up(nodes=3) as state:
        yield state


@pytest.fixture(scope="module")
def kubectl(cluster: Any) -> Any:
    from lab.probes import for_lab

    return for_lab(cluster.lab, cluster.workspace_dir)


@pytest.fixture(scope="module")
def outputs(cluster: Any) -> dict[str, Any]:
    from lab.probes import stack_workspace

    return stack_workspace(cluster.workspace_dir).outputs()
