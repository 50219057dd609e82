"""Every Kubernetes object the program manages, as plain dicts (the Kubernetes layer).

``objects`` is the single source: the Pulumi shell turns each dict into a resource, and
``render`` writes each to ``manifests/``.
"""

from __future__ import annotations

from typing import Any

from components.config import Platform


def objects(platform: Platform) -> list[dict[str, Any]]:
    return []
