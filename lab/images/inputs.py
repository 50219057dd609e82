"""Where the toolchain binaries of images and packages come from.

The lab's toolchain (``ensure``: built if missing), or bin dirs given by hand. Why
overridable: the toolchain takes an hour cold; a developer working on images points
``--bin-dir UNIT=DIR`` at binaries built another way, and tests exercise the machinery
with placeholders before the toolchain exists. The content key (sha256 of every
binary) keeps all such builds apart in the cache.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ..toolchain import Layout, ensure, is_cached, plan
from ..toolchain import bin_dir as toolchain_bin_dir
from ..toolchain.cache import cache_root
from ..toolchain.plan import select
from ..versions import KubernetesRow
from .spec import ImageSpec, ToolchainBinary

if TYPE_CHECKING:
    from ..services.packages import PackageSpec


def parse_bin_dirs(values: Iterable[str]) -> dict[str, Path]:
    """``UNIT=DIR`` strings into a mapping; ValueError naming the bad one."""
    found = {}
    for value in values:
        unit, sep, directory = value.partition("=")
        if not sep or not unit or not directory:
            raise ValueError(f"--bin-dir {value!r}: expected UNIT=DIR, e.g. kubernetes=/path/to/bin")
        if not Path(directory).is_dir():
            raise ValueError(f"--bin-dir {value!r}: {directory} is not a directory")
        found[unit] = Path(directory)
    return found


def bin_dirs(units: Iterable[str], overrides: Mapping[str, Path] | None = None,
             row: KubernetesRow | None = None) -> dict[str, Path]:
    """Each unit's bin dir: the override if given, else the toolchain's for ``row`` (the
    lab's release by default), built if missing."""
    overrides = dict(overrides or {})
    missing = sorted(set(units) - overrides.keys())
    if missing:
        overrides.update(ensure(missing, row=row))
    return overrides


def cached_bin_dirs(units: Iterable[str]) -> dict[str, Path] | None:
    """The toolchain's bin dirs when every unit is already built, else None (no build)."""
    wanted = sorted(set(units))
    if not all(is_cached(Layout(cache_root()), spec) for spec in select(plan(), wanted)):
        return None
    return {unit: toolchain_bin_dir(unit) for unit in wanted}


def placeholder_bin_dirs(
    units_binaries: Mapping[str, Iterable[str]], program: Path, directory: Path
) -> dict[str, Path]:
    """Bin dirs holding one static program under every binary name.

    For exercising the image and package machinery (layouts, registry, apt) before the
    toolchain is built: what a placeholder contains does not change how it is packed,
    pushed, signed or served. The content key keeps such builds apart from real ones.
    """
    found = {}
    for unit, binaries in units_binaries.items():
        unit_dir = directory / unit
        unit_dir.mkdir(parents=True, exist_ok=True)
        for binary in binaries:
            target = unit_dir / binary
            shutil.copyfile(program, target)
            target.chmod(0o755)
        found[unit] = unit_dir
    return found


def needed_binaries(specs: Iterable[ImageSpec | PackageSpec]) -> dict[str, set[str]]:
    """Toolchain unit -> the binaries of it that the given image or package specs use."""
    wanted: dict[str, set[str]] = {}
    for spec in specs:
        for spec_file in spec.files:
            if isinstance(spec_file.source, ToolchainBinary):
                wanted.setdefault(spec_file.source.unit, set()).add(spec_file.source.binary)
    return wanted


def placeholder_cache() -> Path:
    """Where builds from placeholders are cached: apart from real builds, which a
    placeholder build would otherwise replace (a new key prunes the old one)."""
    return cache_root() / "placeholders"
