"""The lab's state file: what a lab is made of.

Why on disk: `python -m lab down` runs in another process than the one that
brought the lab up (or after that one crashed), so the id, the layout and the paths
are kept in /run/som-lab/<id>/state.json. No PID is kept: a node reboots by itself,
and every process of a lab is found from what the machine shows (nodes/lifecycle.py).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

from .spec import STATE_ROOT, LabNames, LabNodeSpec


@dataclass
class NodeState:
    """A node's entry in the state file (its PIDs are not kept: see the module doc)."""

    spec: LabNodeSpec


@dataclass
class LabState:
    """Everything needed to reach or tear down a lab from any process."""

    lab_id: str
    subnet: str
    gateway: str
    prefixlen: int
    python: str
    nodes: dict[str, NodeState] = field(default_factory=dict)

    @property
    def names(self) -> LabNames:
        return LabNames(self.lab_id)

    def node(self, name: str) -> LabNodeSpec:
        """The spec of a node of this lab."""
        try:
            return self.nodes[name].spec
        except KeyError:
            raise KeyError(f"lab {self.lab_id} has no node {name!r}") from None

    def save(self) -> None:
        """Write atomically, so a reader never sees half a file."""
        path = self.names.state_file
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2))
        os.replace(tmp, path)

    @classmethod
    def load(cls, lab_id: str) -> LabState:
        raw = json.loads(LabNames(lab_id).state_file.read_text())
        nodes = {name: NodeState(LabNodeSpec(**node["spec"])) for name, node in raw.pop("nodes").items()}
        return cls(nodes=nodes, **raw)


def saved_lab_ids() -> list[str]:
    """Ids of every lab that has a state file, live or stale."""
    if not STATE_ROOT.is_dir():
        return []
    return sorted(p.parent.name for p in STATE_ROOT.glob("*/state.json"))
