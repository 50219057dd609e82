"""Where built image layouts live, and the key that says whether one can be reused.

Why a content key: an image is rebuilt only when something that decides its bytes
changed: the recipe (spec), a toolchain binary, a host file copied in, a project
program's source, or the tools doing the build. The key hashes all of these, so a
rebuilt toolchain binary (same version, new bytes) makes a new image, and an
unchanged one never rebuilds. Layouts sit at ``$SOM_CACHE/images/<name>/<tag>/<key>``
with ``stamp.json`` written last: a build interrupted half way has no stamp.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..toolchain.build import sha256 as sha256_file
from ..toolchain.cache import cache_root

__all__ = ["Entry", "building", "cache_root", "content_key", "entry", "file_digests", "sha256_file", "siblings"]

STAMP = "stamp.json"
LAYOUT = "oci"
KEY_LENGTH = 16


def content_key(parts: Mapping[str, Any]) -> str:
    """A short stable hash of JSON-able inputs (sorted, so order never matters)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:KEY_LENGTH]


def file_digests(paths: Iterable[Path]) -> dict[str, str]:
    return {str(p): sha256_file(p) for p in sorted(paths)}


@dataclass(frozen=True)
class Entry:
    """One cached build: ``<root>/<kind>/<name>/<tag>/<key>``."""

    directory: Path

    @property
    def stamp(self) -> Path:
        return self.directory / STAMP

    @property
    def layout(self) -> Path:
        return self.directory / LAYOUT

    def is_complete(self) -> bool:
        return self.stamp.is_file()

    def read_stamp(self) -> dict[str, Any]:
        return json.loads(self.stamp.read_text())


def entry(root: Path, kind: str, name: str, tag: str, key: str) -> Entry:
    return Entry(root / kind / name / tag / key)


def _building(path: Path) -> bool:
    """A ``.<key>.partial-<pid>`` scratch directory of a build still running.

    Why: two bring-ups on one machine may build the same image at once; pruning the
    other's scratch directory under its feet breaks that build half way.
    """
    name, sep, pid = path.name.rpartition(".partial-")
    if not sep or not name.startswith(".") or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def siblings(found: Entry) -> list[Path]:
    """Other builds of the same name and tag (older inputs, abandoned scratch), for pruning."""
    parent = found.directory.parent
    if not parent.is_dir():
        return []
    return sorted(p for p in parent.iterdir() if p != found.directory and not _building(p))


@contextlib.contextmanager
def building(found: Entry, stamp: Mapping[str, Any]) -> Iterator[Path]:
    """A scratch directory beside the entry for one build; its ``result`` becomes the entry.

    Why one place for every kind (images, the Spark image, .debs): the entry appears whole
    or not at all (``stamp`` written last, then one rename), a failed build leaves no
    scratch behind, and older builds of the same name and tag are pruned only after a
    new one is in place.
    """
    scratch = found.directory.with_name(f".{found.directory.name}.partial-{os.getpid()}")
    shutil.rmtree(scratch, ignore_errors=True)
    result = scratch / "result"
    try:
        result.mkdir(parents=True)
        yield scratch
        (result / STAMP).write_text(json.dumps(stamp, indent=2, sort_keys=True))
        shutil.rmtree(found.directory, ignore_errors=True)
        result.rename(found.directory)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for old in siblings(found):
        shutil.rmtree(old, ignore_errors=True)
