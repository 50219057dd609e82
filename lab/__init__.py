"""The lab: real bare-metal stand-ins made of network namespaces, booted with systemd.

It is the main job's engine (``python -m lab up|down|status|build|demo``), not a test:
the tests in ``tests/`` drive it. One folder per concern, as kind and KubeOne do it.
"""

from .lab import Lab
from .proc import LabError
from .spec import DEFAULT_GATEWAY, DEFAULT_SUBNET, LabNodeSpec, default_nodes

__all__ = ["DEFAULT_GATEWAY", "DEFAULT_SUBNET", "Lab", "LabError", "LabNodeSpec", "default_nodes"]
