"""Running the bring-up's actions in order, timed, removing the lab on failure."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..cleanup import remove_lab
from ..lab import Lab
from ..services.site import Site
from ..spec import DEFAULT_GATEWAY, DEFAULT_SUBNET, new_lab_id


@dataclass(frozen=True)
class Options:
    """What to bring up: node count (``control_planes`` of them control planes, the rest
    workers), network, stack."""

    nodes: int = 3
    control_planes: int = 1
    subnet: str = DEFAULT_SUBNET
    gateway: str = DEFAULT_GATEWAY
    stack: str = "dev"
    lab_id: str | None = None
    keep_on_failure: bool = False


@dataclass
class BringUp:
    """What the actions share and what they found; ``seconds`` per action, in order."""

    options: Options
    lab_id: str
    lab: Lab | None = None
    site: Site | None = None
    workspace_dir: Path | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    facts: dict[str, object] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


@dataclass(frozen=True)
class Action:
    name: str
    run: Callable[[BringUp], None]


class BringUpError(Exception):
    """An action failed; the message names it and says why."""


def bring_up(options: Options, actions: Sequence[Action] | None = None,
             say: Callable[[str], None] = print) -> BringUp:
    """Run every action in order; on any failure remove the lab (unless keep_on_failure)."""
    from .actions import ACTIONS

    state = BringUp(options, options.lab_id or new_lab_id())
    try:
        for action in actions or ACTIONS:
            say(f"[{state.lab_id}] {action.name} ...")
            started = time.monotonic()
            try:
                action.run(state)
            except Exception as error:
                raise BringUpError(f"action {action.name} failed: {error}") from error
            state.seconds[action.name] = time.monotonic() - started
            say(f"[{state.lab_id}] {action.name} done in {state.seconds[action.name]:.1f}s")
    except BaseException:
        if not options.keep_on_failure:
            remove_lab(state.lab_id)
        raise
    return state
