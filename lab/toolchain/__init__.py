"""The lab's toolchain, built from Go modules at exact versions and cached by version.

Kubernetes, etcd, CoreDNS, containerd, runc, crictl, the Pulumi CLI, its Python
language host and the pulumi-kubernetes provider: everything the lab runs that is Go,
built here because this machine reaches the Go module proxy but no release downloads.

    python -m lab.toolchain build [NAME ...]   # default: everything, both releases, in plan order
    python -m lab.toolchain list               # name, version, cached or why not, bin dir
    python -m lab.toolchain path NAME          # the bin dir of a built NAME
    python -m lab.toolchain apt                # Debian packages the builds need

Other code calls ``ensure(["kubernetes", "etcd"])`` and gets each bin dir (of the lab's
release; ``row=`` another release of lab/versions.py, such as the upgrade test's).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from .build import BuildError, build_all
from .cache import Layout, cache_root, is_cached, missing_reason
from .plan import apt_packages, plan, select
from ..versions import KubernetesRow
from .spec import BuildSpec

__all__ = ["BuildError", "BuildSpec", "Layout", "apt_packages", "bin_dir", "ensure", "is_cached",
           "missing_reason", "plan"]


def ensure(names: Iterable[str], layout: Layout | None = None, row: KubernetesRow | None = None) -> dict[str, Path]:
    """Each named build's bin dir, building what is not cached (progress on stderr).

    Raises ValueError for an unknown name and BuildError when a build fails.
    """
    layout = layout or Layout(cache_root())
    specs = select(plan(row), list(names))
    missing = [s for s in specs if not is_cached(layout, s)]
    failures = build_all(missing, layout, sys.stderr) if missing else []
    if failures:
        raise BuildError("; ".join(failures))
    return {s.name: layout.bin_dir(s) for s in specs}


def bin_dir(name: str, layout: Layout | None = None) -> Path:
    """Where NAME's binaries are (whether or not they are built yet)."""
    layout = layout or Layout(cache_root())
    return layout.bin_dir(select(plan(), [name])[0])
