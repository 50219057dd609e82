"""The order in which nodes take steps that must not run everywhere at once.

Control planes take their turn one at a time, in the stack's order (the first one, which
runs ``kubeadm init``, first): each join adds an etcd member, each certificate renewal
and each upgrade restarts an API server and an etcd member, and etcd keeps quorum only
with one member away. Workers come after them in batches of ``upgrade.workerBatchSize``,
for upgrades only: they join, and check nothing, in parallel. A step's ``wave`` holds the
number; the pipeline's ``previous-wave`` edge runs it after the wave before.
"""

from __future__ import annotations

from components.config import NodeConfig, Platform


def waves(platform: Platform) -> dict[str, int]:
    """Each Kubernetes node's wave: one per control plane (0 the first), then the workers
    in batches, all in the stack's order."""
    found = {node.name: index for index, node in enumerate(platform.control_planes)}
    workers = [node for node in platform.kubernetes_nodes if not node.is_control_plane]
    batch = platform.config.upgrade.worker_batch_size
    found.update({node.name: len(found) + index // batch for index, node in enumerate(workers)})
    return found


def control_plane_wave(platform: Platform, node: NodeConfig) -> int | None:
    """A control plane's turn; None for a worker, which takes no turn (joins in parallel)."""
    return waves(platform)[node.name] if node.is_control_plane else None
