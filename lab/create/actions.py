"""The bring-up's actions, in the order they run (see the package docstring)."""

from __future__ import annotations

from . import fabric, mirrors, node_image, pulumi_up, ready, stack
from .run import Action

ACTIONS = (
    Action("fabric", fabric.run),
    Action("mirrors", mirrors.run),
    Action("node-image", node_image.run),
    Action("stack", stack.run),
    Action("pulumi-up", pulumi_up.run),
    Action("ready", ready.run),
)
