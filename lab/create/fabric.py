"""Action ``fabric``: the lab's fabric and nodes, booted with systemd, real apt/curl/gpg."""

from __future__ import annotations

from ..lab import Lab
from ..spec import default_nodes
from .run import BringUp


def run(state: BringUp) -> None:
    options = state.options
    lab = Lab(options.subnet, options.gateway, default_nodes(options.nodes, options.subnet, options.control_planes),
              lab_id=state.lab_id)
    lab.up()
    lab.detach()  # the bring-up's own failure handling removes it (run.py)
    state.lab = lab
    state.facts["boot_seconds"] = {name: round(boot.seconds, 2) for name, boot in lab.boots.items()}
