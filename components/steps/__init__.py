"""The bring-up of a cluster: :mod:`components.steps.pipeline` orders the steps (read
``PIPELINE`` top to bottom), :mod:`components.steps.step` makes each one a script, and a
module per concern builds its step (prepare_host, host_network, kubeadm_init, join).

Step modules import :class:`Step` from ``components.steps.step``; this package's names
are for everyone else.
"""

from __future__ import annotations

from components.steps.step import Step, secret_placeholder
from components.steps.pipeline import PHASES, PIPELINE, STEP_NAMES, Phase, edges, mermaid, steps_by_host, steps_for
from components.vocabulary import SECRET_STEPS

__all__ = [
    "PHASES", "PIPELINE", "SECRET_STEPS", "STEP_NAMES", "Phase", "Step", "edges", "mermaid",
    "secret_placeholder", "steps_by_host", "steps_for",
]
