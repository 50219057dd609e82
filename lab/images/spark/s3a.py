"""The lab's Spark image with S3A: the Spark image plus one layer holding the S3A jars
(lab/services/s3a.py) in Spark's jars directory, tagged ``<version>-s3a``.

Why a layer over the Spark image and not in it: the jars are 690 MB. Every lab pushes
the Spark image and every node that runs a job pulls it, while only jobs that ship a
local application through the upload path need S3A (the driver fetches the upload
with it, and so do executors). As one more layer over the same base, a registry that
holds the Spark image stores only the new layer, and a node that ran Spark pulls only it.
Why umoci ``raw add-layer``: it appends a layer verbatim, so the base layer's bytes and
digest stay those of the Spark image.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ...proc import run
from ..build import Built, tool_version
from ..cache import building, cache_root, content_key, entry, sha256_file
from ..rootfs import EPOCH
from .spec import DISTRIBUTION_DIRS

FORMAT = 1  # bump when this module changes what it writes for the same inputs
KIND = "images"
SUFFIX = "-s3a"
LAYER_TIMEOUT = 1800.0  # umoci gzips 690 MB on a busy 2-core machine


def layer_members(jars: Sequence[Path]) -> list[tarfile.TarInfo]:
    """The layer's entries: Spark's jars directory (as the base has it) and each jar,
    owned by root, world-readable, dated like every file of the lab's images."""
    directory = DISTRIBUTION_DIRS["jars"].strip("/")
    members = []
    parts = directory.split("/")
    for depth in range(1, len(parts) + 1):
        info = tarfile.TarInfo("/".join(parts[:depth]))
        info.type, info.mode = tarfile.DIRTYPE, 0o755
        members.append(info)
    for jar in sorted(jars, key=lambda p: p.name):
        info = tarfile.TarInfo(f"{directory}/{jar.name}")
        info.size, info.mode = jar.stat().st_size, 0o644
        members.append(info)
    for info in members:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        info.mtime = EPOCH
    return members


def write_layer(jars: Sequence[Path], target: Path) -> None:
    """An uncompressed layer archive of the jars (umoci compresses it)."""
    by_name = {jar.name: jar for jar in jars}
    with tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as archive:
        for info in layer_members(jars):
            if info.isdir():
                archive.addfile(info)
                continue
            with by_name[Path(info.name).name].open("rb") as source:
                archive.addfile(info, source)


def _link_blobs(source: str, target: str) -> None:
    """Blobs are named by their digest and never rewritten: share them; copy the rest
    (index.json is rewritten in place by umoci and must not reach the base's copy)."""
    if f"{os.sep}blobs{os.sep}" in source:
        os.link(source, target)
    else:
        shutil.copy2(source, target)


def build(base: Built, jars: Sequence[Path], root: Path | None = None) -> Built:
    """The S3A image's layout from the cache, built over ``base`` first if an input changed."""
    cache = root or cache_root()
    tag = f"{base.spec.tag}{SUFFIX}"
    parts: dict[str, Any] = {
        "format": FORMAT,
        "base": base.key,
        "jars": {jar.name: sha256_file(jar) for jar in jars},
        "umoci": tool_version(["umoci", "--version"]),
    }
    key = content_key(parts)
    found = entry(cache, KIND, base.spec.name, tag, key)
    config = replace(base.spec, tag=tag)
    if found.is_complete():
        return Built(config, found.layout, key, 0.0, cached=True)
    started = time.monotonic()
    with building(found, {"image": base.spec.name, "tag": tag, "inputs": parts}) as scratch:
        layout = scratch / "result" / "oci"
        shutil.copytree(base.layout, layout, copy_function=_link_blobs)
        write_layer(jars, scratch / "layer.tar")
        run(["umoci", "raw", "add-layer", "--image", f"{layout}:{base.spec.tag}", "--tag", tag, "--no-history",
             str(scratch / "layer.tar")], timeout=LAYER_TIMEOUT)
        run(["umoci", "rm", "--image", f"{layout}:{base.spec.tag}"], timeout=60.0)
        run(["umoci", "gc", "--layout", str(layout)], timeout=900.0)
    return Built(config, found.layout, key, time.monotonic() - started, cached=False)
