"""STAND-IN for swapoff, swapon and modprobe: swap and kernel modules belong to the whole
machine, which a lab node shares, so these only record the call and succeed. They are
installed in /usr/local/sbin and over /usr/sbin/<tool> inside every node.
"""

from __future__ import annotations

from .common import record


def main(tool: str, argv: list[str]) -> int:
    record(tool, argv)
    return 0
