"""An image's root file system as a directory, with fixed owners, modes and times.

Why fixed metadata: the layer tar records owner, mode and mtime of every entry; with
all of them fixed, the same inputs give the same layer digest, so a rebuilt cache
entry is byte-for-byte the image that was pushed before. The base files are the few
that Go programs and iptables read on any Linux: who root is, how to resolve names,
a writable /tmp.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from .spec import ImageSpec

EPOCH = 0  # every mtime in a layer: 1970-01-01T00:00:00Z
CREATED = "1970-01-01T00:00:00Z"

BASE_FILES: dict[str, tuple[str, int]] = {
    "/etc/passwd": ("root:x:0:0:root:/root:/sbin/nologin\n"
                    "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n"
                    "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n", 0o644),
    "/etc/group": ("root:x:0:\nnogroup:x:65534:\nnonroot:x:65532:\n", 0o644),
    "/etc/nsswitch.conf": ("hosts: files dns\n", 0o644),
}
BASE_DIRS: dict[str, int] = {"/tmp": 0o1777, "/root": 0o700, "/etc": 0o755}


def _target(root: Path, path: str) -> Path:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def assemble(
    root: Path, spec: ImageSpec, sources: Mapping[str, Path], host_paths: list[str]
) -> None:
    """Fill root (an empty directory) with the image's files.

    sources: image path -> file on this machine holding its bytes; host_paths: files of
    this machine copied to the same path inside the image (libraries, plugins).
    """
    for path, mode in BASE_DIRS.items():
        directory = root / path.lstrip("/")
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(mode)
    for path, (text, mode) in BASE_FILES.items():
        target = _target(root, path)
        target.write_text(text)
        target.chmod(mode)
    for host_path in host_paths:
        target = _target(root, host_path)
        shutil.copyfile(host_path, target)
        target.chmod(os.stat(host_path).st_mode & 0o755)
    for image_file in spec.files:
        target = _target(root, image_file.path)
        shutil.copyfile(sources[image_file.path], target)
        target.chmod(image_file.mode)
    for path, link_target in spec.symlinks:
        _target(root, path).symlink_to(link_target)
    fix_metadata(root)


def fix_metadata(root: Path) -> None:
    """Owner root:root and mtime EPOCH for every entry, root itself included."""
    for directory, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            path = os.path.join(directory, name)
            os.lchown(path, 0, 0)
            os.utime(path, (EPOCH, EPOCH), follow_symlinks=False)
    os.chown(root, 0, 0)
    os.utime(root, (EPOCH, EPOCH))
