"""The project's own Go programs that go into images (today: pause).

Why our own pause: the sandbox image is tiny and its behaviour is the whole contract
(sleep, reap, exit 0 on SIGTERM/SIGINT); writing it keeps the lab free of other
projects' code. Built statically (CGO_ENABLED=0) with the local Go toolchain only.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..proc import run
from .cache import sha256_file
from .spec import ProjectProgram

PROGRAMS_DIR = Path(__file__).parent
BUILD_TIMEOUT = 600.0


def source_dir(program: ProjectProgram) -> Path:
    return PROGRAMS_DIR / program.directory


def go_version() -> str:
    """The local toolchain's version line: part of a program's cache key."""
    return run(["go", "version"], env=_go_env()).stdout.strip()


def source_digests(program: ProjectProgram) -> dict[str, str]:
    """sha256 of every file the build reads (Go sources and go.mod)."""
    directory = source_dir(program)
    files = sorted(p for p in directory.iterdir() if p.suffix == ".go" or p.name in ("go.mod", "go.sum"))
    return {p.name: sha256_file(p) for p in files}


def _go_env() -> dict[str, str]:
    """The machine's environment with the settings every project Go build uses."""
    return {**os.environ, "GOTOOLCHAIN": "local", "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod"}


def build(program: ProjectProgram, output: Path) -> Path:
    """go build the program into output (a file path); returns output."""
    ldflags = f"-s -w -X main.version={program.version}"
    run(["go", "-C", str(source_dir(program)), "build", "-trimpath", "-ldflags", ldflags,
         "-o", str(output.resolve()), "."], env=_go_env(), timeout=BUILD_TIMEOUT)
    return output
