"""The lab's state file: what a lab is and which processes run it.

Why on disk: `python -m lab down` runs in another process than the one that
brought the lab up (or after that one crashed), so ids, PIDs and paths are kept in
/run/som-lab/<id>/state.json and rewritten whenever they change.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

from .spec import STATE_ROOT, LabNames, LabNodeSpec


@dataclass
class NodeState:
    """A node's spec plus the PIDs of its init (unshare'd PID 1) and its sshd."""

    spec: LabNodeSpec
    init_pid: int | None = None
    sshd_pid: int | None = None


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

    def node(self, name: str) -> NodeState:
        try:
            return self.nodes[name]
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
        nodes = {
            name: NodeState(
                spec=LabNodeSpec(**node["spec"]),
                init_pid=node["init_pid"],
                sshd_pid=node["sshd_pid"],
            )
            for name, node in raw.pop("nodes").items()
        }
        return cls(nodes=nodes, **raw)


def saved_lab_ids() -> list[str]:
    """Ids of every lab that has a state file, live or stale."""
    if not STATE_ROOT.is_dir():
        return []
    return sorted(p.parent.name for p in STATE_ROOT.glob("*/state.json"))

