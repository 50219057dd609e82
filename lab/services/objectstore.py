"""An S3-compatible object store for the lab: gofakes3's own command, built from its Go
module at an exact version through the lab toolchain's build mechanics.

Why gofakes3 and not MinIO: MinIO is AGPL, which this project does not take in;
gofakes3 (MIT) serves the S3 API subset that Hadoop's S3A connector uses for
``spark.kubernetes.file.upload.path`` (put, get, head, list, multipart) from memory.
Why a BuildSpec: the toolchain's cache, lock, log and stamp then apply to it unchanged.

Where it runs: in the lab's service namespace beside the registry, at the site's
address (``Site.store_endpoint``), started by the bring-up's mirrors action and stopped
with the other services. The lab's stack points ``spark.uploadPath`` at its bucket.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..sshd import listening
from ..toolchain import cache as toolchain_cache
from ..toolchain.build import ensure_built
from ..toolchain.spec import BuildSpec, GoBuild
from . import process
from .site import STORE_BUCKET, STORE_PORT, Site

GOFAKES3_MODULE = "github.com/johannesboyne/gofakes3"
GOFAKES3_VERSION = "v1.2.0"
NAME = "objectstore"


def gofakes3_spec() -> BuildSpec:
    """gofakes3's command (cmd/gofakes3) at GOFAKES3_VERSION, built from a scratch module."""
    tag = GOFAKES3_VERSION
    return BuildSpec(
        name="gofakes3", version=tag.removeprefix("v"),
        requires=(f"{GOFAKES3_MODULE}/cmd/gofakes3@{tag}",),
        upstream=f"{GOFAKES3_MODULE}@{tag}",
        builds=(GoBuild((f"{GOFAKES3_MODULE}/cmd/gofakes3",), ("gofakes3",), output="gofakes3"),),
        versions=(("gofakes3", tag),),
    )


def serve_argv(binary: Path, address: str, bucket: str) -> list[str]:
    """gofakes3 serving one bucket from memory: nothing persists, nothing to clean up."""
    return [str(binary), "-backend", "memory", "-host", address, "-initialbucket", bucket]


def gofakes3_binary() -> Path:
    """Where the built command is (built first when not stored)."""
    ensure_gofakes3()
    layout = toolchain_cache.Layout(toolchain_cache.cache_root())
    return layout.bin_dir(gofakes3_spec()) / "gofakes3"


def ensure_gofakes3() -> dict[str, Any] | None:
    """Build gofakes3 into the toolchain cache unless stored; its manifest when built now."""
    return ensure_built(gofakes3_spec(), toolchain_cache.Layout(toolchain_cache.cache_root()))


def start(site: Site) -> process.Running:
    """gofakes3 in the service namespace, serving the upload bucket at the site's address."""
    argv = serve_argv(gofakes3_binary(), f"{site.address}:{STORE_PORT}", STORE_BUCKET)
    return process.start(site, NAME, argv, ready=lambda pid: listening(pid, STORE_PORT))
