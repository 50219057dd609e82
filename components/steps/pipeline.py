"""The bring-up of a cluster as one graph: read ``PIPELINE`` top to bottom.

Each phase names its step, the function that builds that step for a node (None where the
step does not concern the node), the steps it runs after and the steps whose output it
reads. Everything not ordered by an edge runs in parallel: every node prepares at once,
and every joining node joins at once once ``kubeadm init`` is done. The Pulumi shell
(components/cluster.py) only loops over :func:`edges`; ``render`` draws :func:`mermaid`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Literal

from components.config import NodeConfig, Platform
from components.steps import host_network, join, kubeadm_init, prepare_host
from components.steps.step import Step
from components.vocabulary import (
    HOST_NETWORK,
    JOIN_CREDENTIALS,
    KUBEADM_INIT,
    KUBEADM_JOIN,
    NODE_REGISTERED,
    PREPARE_HOST,
    SECRET_STEPS,
)

StepBuilder = Callable[[Platform, NodeConfig], Step | None]


@dataclass(frozen=True)
class After:
    """An edge: ``step`` of the same node (``"own"``) or of every node that has it (``"every"``)."""

    step: str
    scope: Literal["own", "every"] = "own"


@dataclass(frozen=True)
class Phase:
    name: str
    build: StepBuilder
    after: tuple[After, ...] = ()
    reads: tuple[str, ...] = ()  # steps of the same node whose stdout this one takes as input
    doc: str = ""

    @property
    def secret(self) -> bool:
        return self.name in SECRET_STEPS


PIPELINE: tuple[Phase, ...] = (
    Phase(PREPARE_HOST, prepare_host.step, doc="every node: swap, kernel, containerd, pinned packages, images"),
    Phase(HOST_NETWORK, host_network.step, (After(PREPARE_HOST),), doc="every node: macvlan sub-interface, CNI, forwarding, resolv.conf"),
    Phase(KUBEADM_INIT, kubeadm_init.step, (After(HOST_NETWORK),), doc="the first control plane: kubeadm init, prints the kubeconfig"),
    Phase(JOIN_CREDENTIALS, join.credentials_step, (After(KUBEADM_INIT, "every"),), doc="on the first control plane, per joining node: token, CA hash"),
    Phase(KUBEADM_JOIN, join.join_step, (After(HOST_NETWORK), After(JOIN_CREDENTIALS)), reads=(JOIN_CREDENTIALS,), doc="every other node, in parallel: kubeadm join"),
    Phase(NODE_REGISTERED, join.registered_step, (After(KUBEADM_JOIN),), doc="on the first control plane, per joining node: wait; drain on removal"),
)
PHASES = {phase.name: phase for phase in PIPELINE}
STEP_NAMES = tuple(PHASES)


def steps_for(platform: Platform) -> tuple[Step, ...]:
    """Every step of the stack in pipeline order (node order within a phase), each
    carrying what its phase says it reads."""
    ordered = []
    for phase in PIPELINE:
        for node in platform.nodes:
            step = phase.build(platform, node)
            if step is None:
                continue
            if step.name != phase.name:
                raise ValueError(f"phase {phase.name} built a step named {step.name}")
            ordered.append(replace(step, reads=phase.reads))
    return tuple(ordered)


def steps_by_host(platform: Platform) -> dict[str, list[Step]]:
    """Steps grouped by the host they run on, in run order (``render``'s NN numbering)."""
    hosts: dict[str, list[Step]] = {node.name: [] for node in platform.nodes}
    for step in steps_for(platform):
        hosts[step.runs_on].append(step)
    return hosts


def edges(steps: tuple[Step, ...]) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """``(node, step) -> the (node, step) pairs it runs after``, for every step built."""
    built = {(step.node, step.name) for step in steps}
    graph: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for step in steps:
        before: list[tuple[str, str]] = []
        for edge in PHASES[step.name].after:
            if edge.scope == "own":
                if (step.node, edge.step) not in built:
                    raise ValueError(f"{step.resource_name} runs after {edge.step} of its node, which has none")
                before.append((step.node, edge.step))
            else:
                before += [(other.node, other.name) for other in steps if other.name == edge.step]
        graph[(step.node, step.name)] = before
    return graph


def mermaid(platform: Platform) -> list[str]:
    """The stack's bring-up as a Mermaid flowchart: one box per step, one arrow per edge."""
    steps = steps_for(platform)
    ids = {(step.node, step.name): f"s{index}" for index, step in enumerate(steps)}
    lines = ["flowchart LR"]
    for step in steps:
        where = step.node if step.node == step.runs_on else f"{step.node}, on {step.runs_on}"
        lines.append(f'  {ids[(step.node, step.name)]}["{step.name}<br/>{where}{" (secret)" if PHASES[step.name].secret else ""}"]')
    for target, sources in edges(steps).items():
        lines += [f"  {ids[source]} --> {ids[target]}" for source in sources]
    return lines
