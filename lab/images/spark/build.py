"""Building the lab's Spark image into a cached OCI layout (no daemon: mmdebstrap, javac,
umoci).

Why cached by inputs: the build downloads 450 MB and installs a JRE (minutes); the key
(recipe, the distribution's sha256, the entrypoint and SparkPi sources, the apt
sources, and the versions of the tools) decides whether the layout in the cache is
still the image these inputs make. Debian's mirror can move under the same sources
file, so the stamp also records the package versions the root got. Unlike the
control-plane images, two builds of the same inputs are not byte-identical (measured:
same key, different manifest digests): maintainer scripts generate files (the Java CA
store, caches) with contents of their own; the cache keeps one layout per key, so a
site pushes the same bytes until an input changes.
"""

from __future__ import annotations

import os
import shutil
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

from ...proc import LabError, run
from ..build import Built, tool_version
from ..cache import building, cache_root, content_key, entry, sha256_file
from ..oci import write_layout
from ..rootfs import EPOCH, fix_metadata
from .spec import (APT_SOURCES, DISTRIBUTION_DIRS, ENTRYPOINT, ENTRYPOINT_SOURCE, EXAMPLES_JAR, PI_CLASS,
                   PI_SOURCE, PRUNED, REQUIRED_JARS, SPARK_CONF_DIR, WORK_DIR, SparkImage)

FORMAT = 1  # bump when this module changes what it writes for the same inputs
KIND = "images"
DOWNLOAD_TIMEOUT = 1800.0
ROOT_TIMEOUT = 3600.0  # mmdebstrap on a busy 2-core machine: installs and configures a JRE
JAR_DATE = "1980-01-01T00:00:02Z"  # the earliest a zip entry can say: same classes, same jar


def downloads(root: Path) -> Path:
    return root / "spark" / "pypi"


def distribution(image: SparkImage, root: Path) -> Path:
    """The pyspark sdist in the cache (pip downloads it the first time)."""
    directory = downloads(root)
    name = f"pyspark-{image.version}.tar.gz"
    if not (directory / name).is_file():
        directory.mkdir(parents=True, exist_ok=True)
        run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "--dest", str(directory),
             image.distribution], timeout=DOWNLOAD_TIMEOUT)
    if not (directory / name).is_file():
        raise LabError(f"pip download {image.distribution} left no {name} in {directory}")
    return directory / name


def key_parts(image: SparkImage, sdist: Path) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "recipe": image.fingerprint(),
        "distribution": sha256_file(sdist),
        "entrypoint": sha256_file(ENTRYPOINT_SOURCE),
        "pi": sha256_file(PI_SOURCE),
        "apt_sources": sha256_file(Path(APT_SOURCES)),
        "mmdebstrap": tool_version(["mmdebstrap", "--version"]),
        "javac": tool_version(["javac", "-version"]),
        "umoci": tool_version(["umoci", "--version"]),
    }


def installed_packages(root: Path) -> dict[str, str]:
    """Package -> version, from the root's dpkg status (what the stamp records)."""
    versions = {}
    for paragraph in (root / "var/lib/dpkg/status").read_text().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in paragraph.splitlines() if ": " in line and not line.startswith(" "))
        if "Package" in fields:
            versions[fields["Package"]] = fields.get("Version", "")
    return dict(sorted(versions.items()))


def debian_root(image: SparkImage, target: Path) -> dict[str, str]:
    """A minimal Debian root with the JRE in target (a new directory); its packages.

    mmdebstrap's unshare mode: apt and the maintainer scripts run in a user namespace
    of their own, nothing is mounted on the machine.
    """
    run(["mmdebstrap", "--mode=unshare", "--variant=minbase", "--format=directory",
         f"--include={','.join(image.packages)}", "--dpkgopt=path-exclude=/usr/share/doc/*",
         image.suite, str(target), APT_SOURCES], timeout=ROOT_TIMEOUT)
    versions = installed_packages(target)
    missing = [p for p in image.packages if p not in versions]
    if missing:
        raise LabError(f"mmdebstrap left {', '.join(missing)} uninstalled in {target}")
    for pruned in PRUNED:
        shutil.rmtree(target / pruned, ignore_errors=True)
    (target / "dev").mkdir(mode=0o755)
    return versions


def unpack_distribution(sdist: Path, root: Path) -> None:
    """deps/{jars,bin,sbin} of the sdist into their SPARK_HOME directories."""
    top = sdist.name.removesuffix(".tar.gz")
    with tarfile.open(sdist) as archive:
        for member in archive:
            parts = member.name.split("/")
            if len(parts) < 4 or parts[0] != top or parts[1] != "deps" or parts[2] not in DISTRIBUTION_DIRS:
                continue
            if not (member.isfile() and not parts[-1].endswith(".cmd")):
                continue
            target = root / DISTRIBUTION_DIRS[parts[2]].lstrip("/") / "/".join(parts[3:])
            target.parent.mkdir(parents=True, exist_ok=True)
            source = archive.extractfile(member)
            assert source is not None
            with source, open(target, "wb") as out:
                shutil.copyfileobj(source, out, 1 << 20)
            target.chmod(0o755 if parts[2] != "jars" else 0o644)
    jars = root / DISTRIBUTION_DIRS["jars"].lstrip("/")
    missing = [j for j in REQUIRED_JARS if not (jars / j).is_file()]
    if missing:
        raise LabError(f"{sdist.name} lacks {', '.join(missing)}: not a Spark distribution for Kubernetes")


def examples_jar(root: Path, scratch: Path) -> None:
    """SparkPi compiled against the image's own jars, at the examples jar path."""
    classes = scratch / "classes"
    classes.mkdir(parents=True)
    jars = root / DISTRIBUTION_DIRS["jars"].lstrip("/")
    run(["javac", "--release", "17", "-cp", f"{jars}/*", "-d", str(classes), str(PI_SOURCE)], timeout=600.0)
    target = root / EXAMPLES_JAR.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    run(["jar", "--create", "--file", str(target), f"--date={JAR_DATE}", "-C", str(classes), "."], timeout=600.0)
    compiled = run(["jar", "--list", "--file", str(target)]).stdout.split()
    if PI_CLASS.replace(".", "/") + ".class" not in compiled:
        raise LabError(f"{target} lacks {PI_CLASS}: {compiled}")


def spark_files(image: SparkImage, root: Path) -> None:
    """The entrypoint, the spark user, and the directories Spark writes or mounts over."""
    entrypoint = root / ENTRYPOINT.lstrip("/")
    entrypoint.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ENTRYPOINT_SOURCE, entrypoint)
    entrypoint.chmod(0o755)
    with open(root / "etc/passwd", "a") as passwd:
        passwd.write(image.passwd_line)
    with open(root / "etc/group", "a") as group:
        group.write(image.group_line)
    (root / SPARK_CONF_DIR.lstrip("/")).mkdir(parents=True, exist_ok=True)
    (root / WORK_DIR.lstrip("/")).mkdir(parents=True, exist_ok=True)


def build(image: SparkImage | None = None, root: Path | None = None) -> Built:
    """The image's layout from the cache, built first if its inputs changed."""
    image = image or SparkImage()
    cache = root or cache_root()
    sdist = distribution(image, cache)
    parts = key_parts(image, sdist)
    key = content_key(parts)
    found = entry(cache, KIND, image.name, image.tag, key)
    config = image.oci_config()
    if found.is_complete():
        return Built(config, found.layout, key, 0.0, cached=True)
    started = time.monotonic()
    stamp: dict[str, Any] = {"image": image.name, "tag": image.tag, "inputs": parts}
    with building(found, stamp) as scratch:
        rootfs = scratch / "rootfs"
        stamp["debian"] = debian_root(image, rootfs)
        unpack_distribution(sdist, rootfs)
        examples_jar(rootfs, scratch / "work")
        spark_files(image, rootfs)
        fix_metadata(rootfs)
        work_dir = rootfs / WORK_DIR.lstrip("/")
        os.chown(work_dir, image.uid, image.uid)
        work_dir.chmod(0o775)
        os.utime(work_dir, (EPOCH, EPOCH))
        layout = scratch / "result" / "oci"
        write_layout(layout, image.tag, rootfs, scratch / "bundle", config)
        run(["umoci", "config", "--image", f"{layout}:{image.tag}", "--no-history",
             f"--config.workingdir={WORK_DIR}"], timeout=900.0)
        run(["umoci", "gc", "--layout", str(layout)], timeout=900.0)
    return Built(config, found.layout, key, time.monotonic() - started, cached=False)
