"""Where built binaries and the Go caches live, and whether a stored build is complete.

Why outside the clone: the toolchain takes an hour cold and is the same for every
checkout; keyed by name and version, several checkouts and CI runs share it. The Go
module and build caches sit under the same root, so clearing every cache is one
``rm -rf $SOM_CACHE``. A build is complete only when its stamp exists: the stamp is
written last, so an interrupted build has none and is redone.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .spec import BuildSpec

DEFAULT_ROOT = Path("/var/cache/spark-on-metal")
STAMP = "stamp.json"


def cache_root(environ: dict[str, str] | None = None) -> Path:
    """$SOM_CACHE, else /var/cache/spark-on-metal."""
    env = os.environ if environ is None else environ
    return Path(env.get("SOM_CACHE") or DEFAULT_ROOT)


@dataclass(frozen=True)
class Layout:
    """Every path under one cache root."""

    root: Path

    @property
    def gomodcache(self) -> Path:
        return self.root / "go" / "mod"

    @property
    def gocache(self) -> Path:
        return self.root / "go" / "build"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def scratch(self) -> Path:
        return self.root / "scratch"

    def version_dir(self, spec: BuildSpec) -> Path:
        return self.root / "toolchain" / spec.name / spec.version

    def bin_dir(self, spec: BuildSpec) -> Path:
        return self.version_dir(spec) / "bin"

    def stamp(self, spec: BuildSpec) -> Path:
        return self.version_dir(spec) / STAMP

    def log(self, spec: BuildSpec) -> Path:
        return self.logs / f"{spec.name}-{spec.version}.log"


def read_stamp(path: Path) -> dict[str, Any] | None:
    """The manifest, or None when missing or unreadable (both mean: not built)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def missing_reason(layout: Layout, spec: BuildSpec) -> str:
    """Why the stored build cannot be used ("" when it can)."""
    stamp = read_stamp(layout.stamp(spec))
    if stamp is None:
        return "no stamp"
    if stamp.get("recipe") != spec.fingerprint():
        return "built from another recipe"
    absent = [b for b in spec.binaries if not (layout.bin_dir(spec) / b).is_file()]
    if absent:
        return f"missing {', '.join(absent)}"
    return ""


def is_cached(layout: Layout, spec: BuildSpec) -> bool:
    return not missing_reason(layout, spec)
