"""kubectl against a lab cluster: the toolchain's kubectl, the kubeconfig output in a
0600 file of the lab's state dir (never on a command line), run inside the fabric."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..driver.cli import Toolchain
from ..driver.workspace import Workspace
from ..lab import Lab
from ..proc import LabError
from ..toolchain import ensure

KUBECONFIG_OUTPUT = "kubeconfig"


@dataclass(frozen=True)
class Kubectl:
    lab: Lab
    kubeconfig: Path
    binary: Path

    def argv(self, args: Sequence[str]) -> list[str]:
        return self.lab.fabric_argv([str(self.binary), "--kubeconfig", str(self.kubeconfig), *args])

    def run(self, args: Sequence[str], stdin: str | None = None, timeout: float = 60.0,
            check: bool = True) -> subprocess.CompletedProcess[str]:
        try:
            done = subprocess.run(self.argv(args), input=stdin, capture_output=True, text=True, timeout=timeout,
                                  check=False)
        except subprocess.TimeoutExpired:
            # an API server that restarts (an upgrade, a failover) can hold a request: a
            # failure like any other, which a caller that polls simply retries
            done = subprocess.CompletedProcess(self.argv(args), 124, "", f"no answer within {timeout:.0f}s")
        if check and done.returncode != 0:
            raise LabError(f"kubectl {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()[-800:]}")
        return done

    def json(self, args: Sequence[str]) -> Any:
        return json.loads(self.run([*args, "-o", "json"]).stdout)

    def nodes(self) -> dict[str, dict[str, Any]]:
        return {item["metadata"]["name"]: item for item in self.json(["get", "nodes"])["items"]}

    def ready_nodes(self) -> set[str]:
        """Names of the nodes whose Ready condition is True."""
        return {name for name, node in self.nodes().items()
                if any(c["type"] == "Ready" and c["status"] == "True" for c in node["status"]["conditions"])}

    def wait(self, predicate_name: str, predicate: Any, timeout: float, interval: float = 3.0) -> Any:
        """Poll predicate() until it returns something true; LabError with the last value otherwise."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            try:
                last = predicate()
            except LabError as error:
                last = str(error)
            else:
                if last:
                    return last
            time.sleep(interval)
        raise LabError(f"{predicate_name}: not within {timeout:.0f}s (last: {last})")


def kubectl_binary() -> Path:
    return ensure(["kubernetes"])["kubernetes"] / "kubectl"


def stack_workspace(workspace_dir: Path, stack: str = "dev") -> Workspace:
    """The workspace lab/create made for the lab's stack (its project copy used in place)."""
    return Workspace.create(workspace_dir, stack, project_dir=workspace_dir / "project",
                            toolchain=Toolchain.available())


def for_lab(lab: Lab, workspace_dir: Path, stack: str = "dev") -> Kubectl:
    """kubectl with the admin kubeconfig the stack's ``up`` output."""
    return with_kubeconfig(lab, stack_workspace(workspace_dir, stack).outputs(show_secrets=True)[KUBECONFIG_OUTPUT])


def with_kubeconfig(lab: Lab, kubeconfig: str, name: str = "admin.kubeconfig") -> Kubectl:
    """kubectl with ``kubeconfig``, kept in a 0600 file ``name`` of the lab's state dir."""
    path = lab.names.state_dir / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(kubeconfig)
    return Kubectl(lab, path, kubectl_binary())
