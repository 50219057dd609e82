"""The Spark settings Spark 4 knows, so a misspelt key in the stack is an error, not a no-op.

Spark accepts any ``spark.*`` key and silently ignores one it does not know: a typo in
``spark.conf`` or a tenant's ``sparkConf`` would ship to every job and do nothing. The
known keys are data (``spark-4.txt``), generated from Spark's own registry of
configuration entries by ``ListConfigKeys.java`` (see its header), not typed by hand.

A key is accepted when it is registered, lies under a prefix Spark reads as an open
family (labels, environment, Hadoop settings, catalogs...), or belongs to a namespace
Spark does not use at all (``spark.cassandra.*``, ``spark.delta.*``: third-party
libraries read those, and Spark's registry cannot know them). A key in one of Spark's
own namespaces that Spark does not know, or a namespace one letter off Spark's, is
reported with the nearest known key.
"""

from __future__ import annotations

import difflib
from functools import cache
from pathlib import Path

KEYS_FILE = Path(__file__).parent / "spark-4.txt"
SPARK_LINE = "4"

# Families Spark reads by prefix (``getAllWithPrefix`` and friends), so their members are
# never registered one by one.
OPEN_PREFIXES: tuple[str, ...] = (
    "spark.hadoop.",
    "spark.executorEnv.",
    "spark.kubernetes.driverEnv.",
    "spark.kubernetes.node.selector.",
    *(
        f"spark.kubernetes.{role}.{family}."
        for role in ("driver", "executor")
        for family in ("label", "annotation", "secrets", "secretKeyRef", "volumes", "node.selector", "service.label", "service.annotation")
    ),
    # Credentials are read by name under these prefixes (caCertFile, oauthTokenFile, ...).
    "spark.kubernetes.authenticate.submission.",
    "spark.kubernetes.authenticate.driver.",
    "spark.kubernetes.authenticate.executor.",
    "spark.driver.resource.",
    "spark.executor.resource.",
    "spark.task.resource.",
    "spark.sql.catalog.",
    "spark.ssl.",
    "spark.metrics.conf.",
    "spark.yarn.appMasterEnv.",
)
# Keys Spark reads by name without a registered entry.
READ_BY_NAME = frozenset({"spark.app.name", "spark.app.id"})


@cache
def known_keys() -> frozenset[str]:
    lines = KEYS_FILE.read_text().splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#")) | READ_BY_NAME


@cache
def spark_namespaces() -> frozenset[str]:
    """``kubernetes`` for ``spark.kubernetes.*``: the second parts Spark's own keys use."""
    return frozenset(key.split(".")[1] for key in known_keys() if key.count(".") >= 2)


def is_known(key: str) -> bool:
    if key in known_keys() or key.startswith(OPEN_PREFIXES):
        return True
    parts = key.split(".")
    if parts[0] != "spark" or len(parts) < 3:
        return False
    namespace = parts[1]
    return namespace not in spark_namespaces() and not difflib.get_close_matches(namespace, spark_namespaces(), n=1, cutoff=0.8)


def suggestion(key: str) -> str | None:
    """The known key (or open prefix) nearest to ``key``, if any is close."""
    candidates = [*known_keys(), *(prefix + "*" for prefix in OPEN_PREFIXES)]
    close = difflib.get_close_matches(key, candidates, n=1, cutoff=0.75)
    return close[0] if close else None


def problem(key: str) -> tuple[str, str] | None:
    """(message, fix) for a key Spark would ignore, or None when Spark reads it."""
    if is_known(key):
        return None
    near = suggestion(key)
    hint = f"did you mean '{near}'?" if near else "check its spelling against Spark's configuration docs"
    if not key.startswith("spark."):
        return f"{key} is not a Spark setting: spark-submit ignores keys outside spark.*", f"remove it or correct it; {hint}"
    return (
        f"{key} is not a setting Spark {SPARK_LINE} knows: Spark would silently ignore it",
        f"correct its spelling; {hint}",
    )
