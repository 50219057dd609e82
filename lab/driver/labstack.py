"""A stack pointed at a lab: what the lab decides at boot, set with real ``pulumi config``.

The stack file stays the source of the settings (network, version, tenants); the lab
replaces only what it decides: each node's pinned host key (generated at lab up), the
SSH key (the lab's client key, set as a secret from stdin), and, for a lab larger than
the stack, extra nodes: control planes (named ``cp<n>``) and workers (joining the first
tenant). Every other setting is the stack
file's. The CLI then runs inside the lab's fabric namespace, the only place the lab's
addresses are reachable.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lab import Lab

from ..spec import CONTROL_PLANE_PREFIX
from .cli import Toolchain
from .workspace import PROJECT_ROOT, Workspace

PROJECT = "spark-on-metal"


@dataclass(frozen=True)
class Setting:
    """One ``pulumi config set --path KEY VALUE`` (values here are public: host keys, names).

    ``text``: the value is a string even when it reads as true, false or a number, which
    ``--path`` would otherwise store as such (``--type string``)."""

    key: str
    value: str
    text: bool = False


def stack_nodes(stack: str, project_dir: Path = PROJECT_ROOT) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    document = yaml.safe_load((project_dir / f"Pulumi.{stack}.yaml").read_text()) or {}
    config = document.get("config") or {}
    return list(config.get(f"{PROJECT}:nodes") or []), list(config.get(f"{PROJECT}:tenants") or [])


def lab_settings(
    lab_nodes: list[tuple[str, str, str]], nodes: list[dict[str, Any]], tenants: list[dict[str, Any]]
) -> list[Setting]:
    """Settings for lab nodes given as (name, address, host key): a stack node of that
    name gets the lab's address and key; other lab nodes are appended, as control planes
    when named so (``cp<n>``), else as workers of the first tenant. Stack nodes the lab
    lacks are left for the caller to remove."""
    index = {node["name"]: i for i, node in enumerate(nodes)}
    settings: list[Setting] = []
    appended = 0
    tenant_nodes = len(tenants[0]["nodes"]) if tenants else 0
    for name, address, host_key in lab_nodes:
        if name in index:
            i = index[name]
        else:
            i = len(nodes) + appended
            appended += 1
            control_plane = name.startswith(CONTROL_PLANE_PREFIX)
            role = "control-plane" if control_plane else "worker"
            settings += [Setting(f"{PROJECT}:nodes[{i}].name", name), Setting(f"{PROJECT}:nodes[{i}].roles[0]", role)]
            if tenants and not control_plane:
                settings.append(Setting(f"{PROJECT}:tenants[0].nodes[{tenant_nodes}]", name))
                tenant_nodes += 1
        settings += [Setting(f"{PROJECT}:nodes[{i}].address", address), Setting(f"{PROJECT}:nodes[{i}].sshHostKey", host_key)]
    return settings


def for_lab(lab: Lab, stack: str = "dev", root: Path | None = None, toolchain: Toolchain | None = None) -> Workspace:
    """A workspace of ``stack`` for this lab (under the lab's state dir unless ``root``),
    its CLI running in the lab's fabric namespace. Needs the language host: a program run
    in this process could not reach an engine inside the fabric's own loopback."""
    workspace = Workspace.create(root or lab.names.state_dir / "driver", stack, toolchain=toolchain, wrap=lab.fabric_argv)
    nodes, tenants = stack_nodes(stack, workspace.project_dir)
    machines = [(spec.name, spec.address, lab.host_public_key(spec.name)) for spec in lab.nodes]
    for setting in lab_settings(machines, nodes, tenants):
        workspace.set_config(setting.key, setting.value, path=True, text=setting.text)
    workspace.set_secret(f"{PROJECT}:sshPrivateKey", lab.client_private_key)
    return workspace
