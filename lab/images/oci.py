"""An OCI image layout from a root file system directory, with umoci (no daemon).

Why umoci: it writes OCI layouts directly as an unprivileged-style tool, without a
container engine, storage driver or daemon, and keeps entry metadata as found on disk
(see rootfs.py for why that is fixed). One layer per image: the images hold a handful
of static binaries, and one layer keeps the digest a function of the contents only.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..proc import run
from .rootfs import CREATED, EPOCH
from .spec import ARCHITECTURE, ImageSpec

HISTORY_BY = "spark-on-metal lab.images"
TIMEOUT = 900.0  # gzip of a 100 MB binary on a busy 2-core machine


def config_args(spec: ImageSpec) -> list[str]:
    """``umoci config`` options for the image's OCI config (entrypoint, env, user, ports)."""
    args = ["--created", CREATED, "--architecture", ARCHITECTURE, "--os", "linux",
            "--author", HISTORY_BY]
    args += [f"--config.entrypoint={part}" for part in spec.entrypoint]
    args += [f"--config.env={variable}" for variable in spec.env]
    args += [f"--config.exposedports={port}" for port in spec.exposed_ports]
    if spec.user:
        args += ["--config.user", spec.user]
    return args


def write_layout(layout: Path, tag: str, rootfs: Path, bundle: Path, spec: ImageSpec) -> None:
    """Create layout (a new directory) holding one image tagged ``tag`` made of rootfs.

    bundle: a scratch directory umoci unpacks the empty base into; rootfs's contents
    are moved there and repacked as the image's single layer.
    """
    image = f"{layout}:{tag}"
    run(["umoci", "init", "--layout", str(layout)], timeout=TIMEOUT)
    run(["umoci", "new", "--image", image], timeout=TIMEOUT)
    run(["umoci", "unpack", "--image", image, str(bundle)], timeout=TIMEOUT)
    target = bundle / "rootfs"
    for entry in rootfs.iterdir():
        entry.rename(target / entry.name)
    target.chmod(0o755)
    os.utime(target, (EPOCH, EPOCH))  # after the moves, which touched it
    run(["umoci", "repack", "--image", image, "--history.created", CREATED,
         "--history.created_by", HISTORY_BY, str(bundle)], timeout=TIMEOUT)
    run(["umoci", "config", "--image", image, "--no-history", *config_args(spec)], timeout=TIMEOUT)
    run(["umoci", "gc", "--layout", str(layout)], timeout=TIMEOUT)
