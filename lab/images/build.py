"""Building the planned images into cached OCI layouts (the side-effecting half of lab.images).

Why separate from spec.py: the plan is pure and tested without tools; this module
resolves the plan against this machine (toolchain binaries, Debian files, the Go
toolchain, umoci), computes the content key, and builds only what the cache lacks.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..proc import run
from . import hostfiles, oci, programs, rootfs
from .cache import building, cache_root, content_key, entry, file_digests, sha256_file
from .spec import ImageSpec, ProjectProgram, ToolchainBinary

FORMAT = 2  # bump when this module changes what it writes for the same inputs
KIND = "images"


@dataclass(frozen=True)
class Built:
    """An image layout ready to push: the layout holds the one tag ``spec.tag``."""

    spec: ImageSpec
    layout: Path
    key: str
    seconds: float  # build time; 0.0 when it came from the cache
    cached: bool

    @property
    def oci_reference(self) -> str:
        """skopeo/umoci source name: ``oci:<layout>:<tag>``."""
        return f"oci:{self.layout}:{self.spec.tag}"


def toolchain_path(spec_binary: ToolchainBinary, bin_dirs: Mapping[str, Path]) -> Path:
    """The binary inside its toolchain bin dir; ValueError when the toolchain lacks it."""
    if spec_binary.unit not in bin_dirs:
        raise ValueError(f"no bin dir for toolchain build {spec_binary.unit!r} (have: {', '.join(sorted(bin_dirs))})")
    path = Path(bin_dirs[spec_binary.unit]) / spec_binary.binary
    if not path.is_file():
        raise ValueError(f"toolchain build {spec_binary.unit!r} has no {spec_binary.binary} in {path.parent}")
    return path


def tool_version(argv: list[str]) -> str:
    return run(argv).stdout.strip().splitlines()[0]


def key_parts(spec: ImageSpec, bin_dirs: Mapping[str, Path], host_paths: list[str]) -> dict[str, Any]:
    """Everything that decides the image's bytes, as JSON-able data."""
    toolchain = {f.path: sha256_file(toolchain_path(f.source, bin_dirs))
                 for f in spec.files if isinstance(f.source, ToolchainBinary)}
    project = {f.path: {"sources": programs.source_digests(f.source), "go": programs.go_version()}
               for f in spec.files if isinstance(f.source, ProjectProgram)}
    return {
        "format": FORMAT,
        "recipe": spec.fingerprint(),
        "toolchain": toolchain,
        "programs": project,
        "host": file_digests(Path(p) for p in host_paths),
        "umoci": tool_version(["umoci", "--version"]),
    }


def _sources(spec: ImageSpec, bin_dirs: Mapping[str, Path], scratch: Path) -> dict[str, Path]:
    """Image path -> file holding its bytes (project programs are built into scratch)."""
    found = {}
    for image_file in spec.files:
        source = image_file.source
        if isinstance(source, ToolchainBinary):
            found[image_file.path] = toolchain_path(source, bin_dirs)
        else:
            found[image_file.path] = programs.build(source, scratch / Path(image_file.path).name)
    return found


def build(spec: ImageSpec, bin_dirs: Mapping[str, Path], root: Path | None = None) -> Built:
    """The image's layout from the cache, built first if its inputs changed."""
    host_paths = hostfiles.closure(spec.host) if spec.host else []
    parts = key_parts(spec, bin_dirs, host_paths)
    key = content_key(parts)
    found = entry(root or cache_root(), KIND, spec.name, spec.tag, key)
    if found.is_complete():
        return Built(spec, found.layout, key, 0.0, cached=True)
    started = time.monotonic()
    with building(found, {"image": spec.name, "tag": spec.tag, "inputs": parts}) as scratch:
        (scratch / "work").mkdir()
        (scratch / "rootfs").mkdir(mode=0o755)
        rootfs.assemble(scratch / "rootfs", spec, _sources(spec, bin_dirs, scratch / "work"), host_paths)
        oci.write_layout(scratch / "result" / "oci", spec.tag, scratch / "rootfs", scratch / "bundle", spec)
    return Built(spec, found.layout, key, time.monotonic() - started, cached=False)


def manifest(built: Built) -> dict[str, Any]:
    """The image's OCI manifest and config as stored in the layout (for checks and tests)."""
    index = json.loads((built.layout / "index.json").read_text())
    descriptor = next(m for m in index["manifests"]
                      if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == built.spec.tag)
    blobs = built.layout / "blobs"

    def blob(digest: str) -> dict[str, Any]:
        algorithm, value = digest.split(":", 1)
        return json.loads((blobs / algorithm / value).read_text())

    image_manifest = blob(descriptor["digest"])
    config = blob(image_manifest["config"]["digest"])
    return {"digest": descriptor["digest"], "manifest": image_manifest, "config": config}


def layer_listing(built: Built) -> list[str]:
    """``tar -tz`` of the image's single layer: what a container's root holds."""
    layer = manifest(built)["manifest"]["layers"][0]["digest"].split(":", 1)[1]
    listing = subprocess.run(["tar", "-tzf", str(built.layout / "blobs" / "sha256" / layer)],
                             capture_output=True, text=True, check=True)
    return [line.removeprefix("./").rstrip("/") for line in listing.stdout.splitlines()]
