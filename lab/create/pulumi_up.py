"""Action ``pulumi-up``: ``pulumi up`` of the lab's stack through lab/driver, in the fabric.

Why a child process in the lab's fabric namespace: without the Python language host
the program runs in-process (lab/driver/inline.py) and talks to the engine over the
engine's loopback; the engine's providers (SSH to the nodes, the Kubernetes API) need
the lab's addresses. Only the fabric has both, so the driver itself runs there
(``python -m lab.create.pulumi_up --workspace DIR --stack S`` under ``ip netns exec``).
Its output goes to ``pulumi-up.log`` in the workspace; it prints one JSON summary.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from ..driver.__main__ import summary
from ..driver.cli import Toolchain
from ..driver.workspace import PROJECT_ROOT, Workspace
from ..lab import Lab
from .run import BringUp

TIMEOUT = 45 * 60.0
# The CLI's progress line of a finished create, e.g. "command:remote:Command w1-kubeadm created (2s)"
# (kubeadm init on the first control plane, kubeadm join elsewhere).
CREATED = re.compile(r"command:remote:Command (\S+)-(prepare-host|kubeadm) created \((\d+)s\)")


def step_seconds(log: str) -> dict[str, dict[str, int]]:
    """Seconds the engine reported per node for the slow steps: step -> node -> seconds."""
    found: dict[str, dict[str, int]] = {}
    for node, step, seconds in CREATED.findall(log):
        found.setdefault(step, {})[node] = int(seconds)
    return found


def child_argv(workspace: Path, stack: str, operation: str = "up") -> list[str]:
    return [sys.executable, "-m", "lab.create.pulumi_up", "--workspace", str(workspace), "--stack", stack,
            "--operation", operation]


def in_fabric(lab: Lab, workspace: Path, stack: str, operation: str = "up") -> tuple[dict[str, Any], str]:
    """``operation`` (up, preview) of the lab's stack, run in the fabric: the driver's
    JSON summary and the CLI's output (also kept in ``<operation>.log`` of the workspace)."""
    log = workspace / f"pulumi-{operation}.log"
    with log.open("w") as out:
        done = subprocess.run(lab.fabric_argv(child_argv(workspace, stack, operation)), cwd=PROJECT_ROOT,
                              stdout=subprocess.PIPE, stderr=out, text=True, timeout=TIMEOUT, check=False)
    try:
        result: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(f"the driver exited {done.returncode} without a summary; see {log}") from None
    return result, log.read_text()


def run(state: BringUp) -> None:
    assert state.lab is not None and state.workspace_dir is not None
    result, log = in_fabric(state.lab, state.workspace_dir, state.options.stack)
    state.facts["pulumi_up"] = {k: result[k] for k in ("seconds", "changes")}
    state.facts["step_seconds"] = step_seconds(log)
    if not result["ok"]:
        errors = "; ".join(result["errors"][:5]) or f"see {state.workspace_dir / 'pulumi-up.log'}"
        raise RuntimeError(f"pulumi up failed: {errors}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.create.pulumi_up")
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--operation", choices=("up", "preview"), default="up")
    args = parser.parse_args(argv)
    from components.program import main as program

    workspace = Workspace.create(args.workspace, args.stack, project_dir=args.workspace / "project",
                                 toolchain=Toolchain.available(), program=program)
    result = workspace.up() if args.operation == "up" else workspace.preview()
    print(result.output, file=sys.stderr)  # into pulumi-up.log (the CLI masks secrets)
    print(json.dumps(summary(result)))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
