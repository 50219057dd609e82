"""The bring-up of a cluster as one graph: read ``PIPELINE`` top to bottom.

Each phase names its step, the function that builds that step for a node (None where the
step does not concern the node), the steps it runs after and the steps whose output it
reads. Everything not ordered by an edge runs in parallel: every node prepares at once,
and every worker joins at once once ``kubeadm init`` is done; control planes join, and
check their certificates, one after another, and an upgrade goes wave after wave: the
first control plane, each other control plane, then the workers in batches (a step's
wave, components/steps/waves.py). The Pulumi shell
(components/cluster.py) only loops over :func:`edges`; ``render`` draws :func:`mermaid`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from graphlib import TopologicalSorter
from typing import Callable, Literal

from components.config import NodeConfig, Platform
from components.steps import api_vip, certificates, host_network, join, kubeadm_init, prepare_host, upgrade
from components.steps.step import Step
from components.vocabulary import (
    API_VIP,
    CERTIFICATES,
    HOST_NETWORK,
    JOIN_CREDENTIALS,
    KUBEADM_INIT,
    KUBEADM_JOIN,
    NODE_REGISTERED,
    PREPARE_HOST,
    SECRET_STEPS,
    UPGRADE_DRAIN,
    UPGRADE_KUBEADM,
    UPGRADE_KUBELET,
    UPGRADE_UNCORDON,
)

StepBuilder = Callable[[Platform, NodeConfig], Step | None]


@dataclass(frozen=True)
class After:
    """An edge: ``step`` of the same node (``"own"``; ``"own-if-any"`` where not every
    node has it), of every node that has it (``"every"``), of every node in the wave just
    before this step's (``"previous-wave"``: one control plane, or one batch of workers,
    at a time; no edge for a step without a wave), or of every node in the first wave
    (``"first-wave"``)."""

    step: str
    scope: Literal["own", "own-if-any", "every", "previous-wave", "first-wave"] = "own"


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
    Phase(PREPARE_HOST, prepare_host.step, doc="every node: the release check, swap, kernel, containerd, pinned packages, images"),
    Phase(HOST_NETWORK, host_network.step, (After(PREPARE_HOST),), doc="every node: macvlan sub-interface, CNI, forwarding, resolv.conf"),
    Phase(API_VIP, api_vip.step, (After(HOST_NETWORK),), doc="every control plane, with controlPlaneVip: keepalived holds the API's virtual IP"),
    Phase(KUBEADM_INIT, kubeadm_init.step, (After(HOST_NETWORK), After(API_VIP, "own-if-any")), doc="the first control plane: kubeadm init"),
    Phase(
        JOIN_CREDENTIALS,
        join.credentials_step,
        (After(KUBEADM_INIT, "every"), After(NODE_REGISTERED, "previous-wave"), After(UPGRADE_UNCORDON, "first-wave")),
        doc="on the first control plane, per joining node: token, CA hash; a control plane once the one before it registered; during an upgrade, once the cluster runs the new release",
    ),
    Phase(KUBEADM_JOIN, join.join_step, (After(HOST_NETWORK), After(API_VIP, "own-if-any"), After(JOIN_CREDENTIALS)), reads=(JOIN_CREDENTIALS,), doc="every other node: workers in parallel, control planes one at a time (etcd quorum)"),
    Phase(
        NODE_REGISTERED,
        join.registered_step,
        (After(KUBEADM_INIT, "own-if-any"), After(KUBEADM_JOIN, "own-if-any")),
        doc="on the first control plane, per node: wait for its Node; drain it on removal (a worker's Node deleted then)",
    ),
    Phase(
        UPGRADE_KUBEADM,
        upgrade.kubeadm_step,
        (After(NODE_REGISTERED), After(UPGRADE_UNCORDON, "previous-wave")),
        doc="every node, wave after wave: kubeadm to the release, kubeadm upgrade apply (the first control plane) or node",
    ),
    Phase(UPGRADE_DRAIN, upgrade.drain_step, (After(UPGRADE_KUBEADM),), doc="on the first control plane, per node: when its kubelet is older than the release, cordon and drain it"),
    Phase(UPGRADE_KUBELET, upgrade.kubelet_step, (After(UPGRADE_DRAIN),), doc="every node: kubelet and kubectl to the release, kubelet restarted"),
    Phase(UPGRADE_UNCORDON, upgrade.uncordon_step, (After(UPGRADE_KUBELET),), doc="on the first control plane, per node: Ready at the release, then back in service"),
    Phase(
        CERTIFICATES,
        certificates.step,
        (After(KUBEADM_INIT, "own-if-any"), After(KUBEADM_JOIN, "own-if-any"), After(UPGRADE_UNCORDON, "own-if-any"), After(CERTIFICATES, "previous-wave")),
        doc="every control plane, one at a time, monthly: renew certificates when due; prints the admin kubeconfig",
    ),
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
    """``(node, step) -> the (node, step) pairs it runs after``, for every step built, in
    an order where each step comes after every step it runs after (the shell creates
    commands in this order)."""
    built = {(step.node, step.name) for step in steps}
    graph: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for step in steps:
        before: list[tuple[str, str]] = []
        for edge in PHASES[step.name].after:
            if edge.scope in ("own", "own-if-any"):
                if (step.node, edge.step) in built:
                    before.append((step.node, edge.step))
                elif edge.scope == "own":
                    raise ValueError(f"{step.resource_name} runs after {edge.step} of its node, which has none")
            elif edge.scope in ("previous-wave", "first-wave"):
                before += _wave(step, edge.step, steps, first=edge.scope == "first-wave")
            else:
                before += [(other.node, other.name) for other in steps if other.name == edge.step]
        graph[(step.node, step.name)] = before
    return {key: graph[key] for key in TopologicalSorter(graph).static_order()}


def _wave(step: Step, name: str, steps: tuple[Step, ...], first: bool) -> list[tuple[str, str]]:
    """The ``name`` steps of the first wave, or of the last wave before ``step``'s."""
    waves = [other for other in steps if other.name == name and other.wave is not None
             and (first or (step.wave is not None and other.wave < step.wave))]
    if not waves:
        return []
    chosen = (min if first else max)(other.wave for other in waves if other.wave is not None)
    return [(other.node, other.name) for other in waves if other.wave == chosen]


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
