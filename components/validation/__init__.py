"""Turn raw stack config into a :class:`Platform`, or report every problem at once.

Each top-level setting, node and tenant is validated on its own (runner.py), so a broken
node does not hide a broken network; then the cross-setting checks run on whatever
parsed. A check is a plain function whose parameters are the typed settings it needs,
by name (``pod_pool: IPv4Network``, ``all_nodes: Items[NodeConfig]``), and it is
skipped when one of them is itself broken. The checks live by domain: releases,
network, nodes, tenants, spark, secrets.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Mapping, Sequence

from components.config import Platform
from components.problems import ConfigError, ConfigProblem
from components.validation import network, nodes, releases, secrets, spark, tenants
from components.validation.runner import parse, platform_config, run
from components.validation.tenants import RESERVED_NAMESPACES

__all__ = ["CHECKS", "RESERVED_NAMESPACES", "load_platform", "today"]

# In the order problems are reported (the order a reader meets the settings).
CHECKS = (*releases.CHECKS, *network.CHECKS, *nodes.CHECKS, *tenants.CHECKS, *nodes.LATE_CHECKS, *spark.CHECKS, *secrets.CHECKS)


def today() -> date:
    """The day releases are judged on (tests replace it to travel in time)."""
    return date.today()


def load_platform(
    raw: Mapping[str, Any], stack: str, today: date | None = None, earlier: Sequence[ConfigProblem] = ()
) -> Platform:
    """Validate raw config (camelCase keys, without the project prefix) into a Platform.

    ``today`` decides which releases are past their end of life (default: the clock);
    ``earlier`` are problems found while reading the raw settings, reported with the rest.
    Raises :class:`ConfigError` listing every problem found; nothing is built otherwise.
    """
    settings, found = parse(raw)
    settings["today"] = today if today is not None else globals()["today"]()
    problems = [*earlier, *found, *run(CHECKS, settings)]
    if problems:
        raise ConfigError(problems)
    return Platform(platform_config(settings), stack, settings["today"])
