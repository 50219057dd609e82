"""What a preview/up/refresh/destroy did, read from the engine's event log.

Why the event log (``--event-log FILE``, what the Automation API reads too): it is the
engine's own structured account (apitype ``EngineEvent``: resource steps, failures,
diagnostics, policy violations, the change summary), written the same way by every
command and independent of the terminal display. Secret values appear in it masked.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Step:
    op: str  # create, update, same, delete, replace, create-replacement, delete-replaced, refresh, read...
    urn: str
    type: str
    diffs: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]


@dataclass(frozen=True)
class Diagnostic:
    severity: str
    message: str
    urn: str = ""


@dataclass(frozen=True)
class PolicyViolation:
    pack: str
    policy: str
    level: str
    message: str
    urn: str = ""


@dataclass
class Outcome:
    """One command's result: ``ok`` is the CLI's exit status; ``steps`` the engine's
    steps in order (planned ones for a preview); ``changes`` the summary's counts."""

    command: str
    ok: bool
    seconds: float
    steps: list[Step] = field(default_factory=list)
    completed: list[Step] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    changes: dict[str, int] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    policy_violations: list[PolicyViolation] = field(default_factory=list)
    output: str = ""

    @property
    def errors(self) -> list[str]:
        return [d.message for d in self.diagnostics if d.severity == "error"]

    def ops(self, op: str) -> list[Step]:
        return [s for s in self.steps if s.op == op]

    def count_by_type(self, op: str | None = None) -> Counter[str]:
        """Resources per type, optionally only those with step ``op``."""
        return Counter(s.type for s in self.steps if op is None or s.op == op)

    def names(self, op: str, type_: str | None = None) -> set[str]:
        return {s.name for s in self.steps if s.op == op and (type_ is None or s.type == type_)}


def _step(metadata: dict[str, Any]) -> Step:
    return Step(metadata["op"], metadata["urn"], metadata.get("type", ""), tuple(metadata.get("diffs") or ()))


def read_events(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def outcome(command: str, ok: bool, seconds: float, events: list[dict[str, Any]], output: str = "") -> Outcome:
    result = Outcome(command, ok, seconds, output=output)
    for event in sorted(events, key=lambda e: e.get("sequence", 0)):
        if pre := event.get("resourcePreEvent"):
            result.steps.append(_step(pre["metadata"]))
        elif done := event.get("resOutputsEvent"):
            result.completed.append(_step(done["metadata"]))
        elif failed := event.get("resOpFailedEvent"):
            result.failed[failed["metadata"]["urn"]] = ""
        elif diag := event.get("diagnosticEvent"):
            if diag.get("ephemeral"):
                continue
            message = diag.get("message", "").strip()
            result.diagnostics.append(Diagnostic(diag.get("severity", ""), message, diag.get("urn", "")))
        elif policy := event.get("policyEvent"):
            result.policy_violations.append(
                PolicyViolation(
                    policy.get("policyPackName", ""), policy.get("policyName", ""),
                    policy.get("enforcementLevel", ""), policy.get("message", "").strip(), policy.get("resourceUrn", ""),
                )
            )
        elif summary := event.get("summaryEvent"):
            result.changes = {op: int(n) for op, n in (summary.get("resourceChanges") or {}).items()}
    for urn in result.failed:  # the engine may report the error before or after the failure
        result.failed[urn] = "\n".join(d.message for d in result.diagnostics if d.urn == urn and d.severity == "error")
    return result
