"""Which Spark the submitting client is, against the one in the tenant's image.

Why: in cluster mode the client's spark-submit writes the driver's configuration and
the image's Spark reads it. Across release lines (3.5 against 4.x) keys, defaults and the
container contract differ, and the failure shows up as a driver that dies in the
cluster with an error about something else. The helper warns before submitting; a
patch difference is fine and says nothing.

The client's version is read from its jars (``spark-core_<scala>-<version>.jar``), not
by running ``spark-submit --version`` (a JVM start): in a Spark distribution they sit in
``$SPARK_HOME/jars``, in a pip-installed pyspark in ``site-packages/pyspark/jars``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

CORE_JAR = re.compile(r"spark-core_\d+\.\d+-(\d+\.\d+\.\d+)\.jar")
# A tag that starts with a release: 4.3.0, v3.5.3, 4.3.0-java17, 3.5 (not "latest", a digest)
TAG_RELEASE = re.compile(r"v?(\d+)\.(\d+)(?:\.\d+)?(?:[-_.+].*)?")


def image_release(image: str) -> tuple[int, int] | None:
    """(major, minor) from an image reference's tag, or None when the tag does not say."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" not in last:
        return None
    match = TAG_RELEASE.fullmatch(last.rsplit(":", 1)[1])
    return (int(match.group(1)), int(match.group(2))) if match else None


def jar_version(names: Iterable[str]) -> str | None:
    """The Spark version of a jars directory's listing, from its spark-core jar."""
    found = sorted({m.group(1) for m in (CORE_JAR.fullmatch(n) for n in names) if m})
    return found[0] if len(found) == 1 else None


def locate(executable: str, path: str) -> Path | None:
    """The file the exec of ``executable`` would run, searched on ``path`` as execvp does."""
    if "/" in executable:
        return Path(executable)
    for directory in filter(None, path.split(os.pathsep)):
        candidate = Path(directory) / executable
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def jar_dirs(executable: str, env: Mapping[str, str]) -> list[Path]:
    """Where the jars of this spark-submit can be, most specific first."""
    dirs = [Path(env["SPARK_HOME"]) / "jars"] if env.get("SPARK_HOME") else []
    found = locate(executable, env.get("PATH", ""))
    if found:
        prefix = found.resolve().parent.parent
        dirs.append(prefix / "jars")
        dirs += sorted(prefix.glob("lib/python*/site-packages/pyspark/jars"))
    return dirs


def client_version(executable: str, env: Mapping[str, str]) -> str | None:
    for directory in jar_dirs(executable, env):
        if directory.is_dir():
            return jar_version(p.name for p in directory.iterdir())
    return None


def mismatch_warning(client: str | None, image: str) -> str | None:
    """One line when the client's release line is not the image's; None when they agree
    or either cannot be told."""
    release = image_release(image)
    if client is None or release is None:
        return None
    major, minor = (int(p) for p in client.split(".")[:2])
    if (major, minor) == release:
        return None
    return (f"the client is Spark {client} and the tenant's image {image} is Spark {release[0]}.{release[1]}: "
            f"the driver runs the image's Spark with settings the client wrote; submit with a client of "
            f"the image's line (pip install 'pyspark=={release[0]}.{release[1]}.*', or --spark-submit PATH "
            f"of such a Spark), or change the stack's spark.image")
