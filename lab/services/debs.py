"""Building the planned packages into .deb files with dpkg-deb, reproducibly and cached.

Why reproducible: the same inputs must give the same .deb bytes, so a rebuilt cache
entry is the package a node already installed, and a change of any input is visible
as a change of hash. Every file is owned by root with mtime 0, dpkg-deb gets
SOURCE_DATE_EPOCH=0 and gzip (xz took minutes per package on two busy cores, and its
multi-threaded output depends on the thread count). Each package is cached on its own under
``$SOM_CACHE/apt/<name>/<version>/<content key>``, so a new kubectl binary rebuilds
kubectl's package only.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..images.build import tool_version, toolchain_path
from ..images.cache import building, cache_root, content_key, entry, file_digests, sha256_file
from ..images.rootfs import EPOCH, fix_metadata
from ..images.spec import ToolchainBinary
from ..proc import run
from .packages import HostDirectory, PackageSpec, Text

FORMAT = 2  # bump when this module changes what it writes for the same inputs
KIND = "apt"
BUILD_TIMEOUT = 1200.0  # gzip -9 of ~100 MB on a busy machine


@dataclass(frozen=True)
class BuiltDeb:
    spec: PackageSpec
    path: Path
    seconds: float  # 0.0 when it came from the cache
    cached: bool


def _host_files(source: HostDirectory) -> list[Path]:
    directory = Path(source.path)
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory} is missing on this machine (install its Debian package)")
    return sorted(p for p in directory.iterdir() if p.is_file())


def key_parts(spec: PackageSpec, bin_dirs: Mapping[str, Path]) -> dict[str, Any]:
    """Everything that decides the .deb's bytes."""
    binaries = {f.path: sha256_file(toolchain_path(f.source, bin_dirs))
                for f in spec.files if isinstance(f.source, ToolchainBinary)}
    host = {f.path: file_digests(_host_files(f.source)) for f in spec.files if isinstance(f.source, HostDirectory)}
    return {"format": FORMAT, "recipe": spec.fingerprint(), "binaries": binaries, "host": host,
            "dpkg-deb": tool_version(["dpkg-deb", "--version"])}


def _write(root: Path, path: str, data: bytes | Path, mode: int) -> Path:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, Path):
        shutil.copyfile(data, target)
    else:
        target.write_bytes(data)
    target.chmod(mode)
    return target


def stage(spec: PackageSpec, bin_dirs: Mapping[str, Path], root: Path) -> None:
    """The package's file tree with its DEBIAN control directory, ready for dpkg-deb."""
    for package_file in spec.files:
        source = package_file.source
        if isinstance(source, ToolchainBinary):
            _write(root, package_file.path, toolchain_path(source, bin_dirs), package_file.mode)
        elif isinstance(source, Text):
            _write(root, package_file.path, source.content.encode(), package_file.mode)
        else:
            for host_file in _host_files(source):
                _write(root, f"{package_file.path}/{host_file.name}", host_file, package_file.mode)
    payload = sorted(p for p in root.rglob("*") if p.is_file())
    control = root / "DEBIAN"
    control.mkdir(mode=0o755)
    _write(root, "DEBIAN/md5sums", "".join(
        f"{hashlib.md5(p.read_bytes()).hexdigest()}  {p.relative_to(root)}\n" for p in payload).encode(), 0o644)
    size_kib = sum((p.stat().st_size + 1023) // 1024 for p in payload) + len(
        {p.parent for p in payload})
    _write(root, "DEBIAN/control", spec.control(size_kib).encode(), 0o644)
    if spec.conffiles:
        _write(root, "DEBIAN/conffiles", "".join(f"{c}\n" for c in spec.conffiles).encode(), 0o644)
    for name, text in spec.scripts:
        _write(root, f"DEBIAN/{name}", text.encode(), 0o755)
    fix_metadata(root)


def check_runtime_libraries(spec: PackageSpec, root: Path) -> None:
    """Every shared library a packaged binary loads must come from a package it depends on."""
    declared = {d.split()[0] for d in spec.depends}
    for package_file in spec.files:
        if not isinstance(package_file.source, ToolchainBinary):
            continue
        needed = run(["ldd", str(root / package_file.path.lstrip("/"))], check=False).stdout
        for line in needed.splitlines():
            parts = line.split("=>")
            if len(parts) != 2 or not parts[1].strip().startswith("/"):
                continue
            library = parts[1].split()[0]
            owner = run(["dpkg-query", "-S", os.path.realpath(library)], check=False).stdout.split(":")[0]
            if owner and owner not in declared:
                raise ValueError(f"{spec.name}: {package_file.path} loads {library} from {owner}, "
                                 f"which is not in Depends ({', '.join(spec.depends) or 'none'})")


def build(spec: PackageSpec, bin_dirs: Mapping[str, Path], root: Path | None = None) -> BuiltDeb:
    """The package's .deb from the cache, built first if its inputs changed."""
    parts = key_parts(spec, bin_dirs)
    found = entry(root or cache_root(), KIND, spec.name, spec.version, content_key(parts))
    deb = found.directory / spec.filename
    if found.is_complete():
        return BuiltDeb(spec, deb, 0.0, cached=True)
    started = time.monotonic()
    with building(found, {"package": spec.name, "version": spec.version, "inputs": parts}) as scratch:
        tree = scratch / "tree"
        tree.mkdir(mode=0o755)
        stage(spec, bin_dirs, tree)
        check_runtime_libraries(spec, tree)
        run(["dpkg-deb", "--root-owner-group", "-Zgzip", "-z9", "--build", str(tree),
             str(scratch / "result" / spec.filename)],
            env={**os.environ, "SOURCE_DATE_EPOCH": str(EPOCH)}, timeout=BUILD_TIMEOUT)
    return BuiltDeb(spec, deb, time.monotonic() - started, cached=False)
