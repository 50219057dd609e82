"""What one toolchain build is, as plain data: no paths on this machine, no side effects.

Why data: the plan (which modules, which flags, which binaries) must be testable and
printable without a Go toolchain, and the cache must be able to tell whether a stored
build came from the same recipe. Everything that decides the bytes of a binary is a
field here, so ``BuildSpec.fingerprint`` changes whenever the recipe does.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class GoBuild:
    """One ``go build`` invocation: packages built together share compilation.

    With one package and an ``output`` name the binary is written under that name
    (``go.etcd.io/etcd/server/v3`` would otherwise be called ``server``); with several,
    ``go build -o DIR/`` names each after its package and ``binaries`` lists them.
    """

    packages: tuple[str, ...]
    binaries: tuple[str, ...]
    ldflags_x: tuple[tuple[str, str], ...] = ()  # -X symbol=value pairs
    tags: tuple[str, ...] = ()
    cgo: bool = False
    output: str | None = None  # the binary name when a single package needs renaming

    def ldflags(self) -> str:
        """The -ldflags value: symbols stripped (-s -w) and every version stamp."""
        stamps = [f"-X {symbol}={value}" for symbol, value in self.ldflags_x]
        return " ".join(["-s", "-w", *stamps])

    def argv(self, out_dir: str) -> list[str]:
        """The go build command line, writing into out_dir."""
        target = f"{out_dir}/{self.output}" if self.output else f"{out_dir}/"
        argv = ["go", "build", "-trimpath", "-ldflags", self.ldflags(), "-o", target]
        if self.tags:
            argv += ["-tags", ",".join(self.tags)]
        return argv + list(self.packages)


@dataclass(frozen=True)
class CopiedModule:
    """Build inside a writable copy of a module rather than a scratch module.

    Why: pulumi-kubernetes' provider embeds files that its own ``go generate`` writes
    next to main.go; a module in the read-only module cache cannot be generated into.
    ``drop_replaces`` are replace lines pointing into the upstream repository (outside
    the module zip), so they are removed and the required version is used instead.
    """

    module: str
    version: str
    drop_replaces: tuple[str, ...] = ()
    generate: tuple[str, ...] = ()  # package dirs (relative) to run `go generate` in
    generate_env: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ModuleFile:
    """A file shipped inside a module that must sit beside the binaries (not Go code)."""

    module: str
    version: str
    path: str  # inside the module
    name: str  # its name in the bin dir


@dataclass(frozen=True)
class VersionCheck:
    """How a built binary states its version: run it, expect a substring in its output."""

    binary: str
    args: tuple[str, ...]
    expect: str


@dataclass(frozen=True)
class BuildSpec:
    """One cached unit of the toolchain: a name, a version and how to build it.

    ``requires`` are ``go get`` arguments (package@version) for a scratch module;
    ``replaces`` are (module, "module version") pairs added before them and checked
    against the ``upstream`` go.mod at build time (lab/toolchain/gomod.py), whose
    ``godebug`` lines the scratch module also adopts. ``blocked`` is set when the plan knows the build cannot work here, with why.
    """

    name: str
    version: str
    builds: tuple[GoBuild, ...]
    requires: tuple[str, ...] = ()
    replaces: tuple[tuple[str, str], ...] = ()
    upstream: str = ""  # module@version whose go.mod's replace/godebug lines the build honours
    copied: CopiedModule | None = None
    files: tuple[ModuleFile, ...] = ()
    checks: tuple[VersionCheck, ...] = ()
    blocked: str = ""
    apt: tuple[str, ...] = ()  # Debian packages the build needs (cgo headers, compiler)
    versions: tuple[tuple[str, str], ...] = field(default=())  # what the manifest records

    @property
    def binaries(self) -> tuple[str, ...]:
        """Every file the bin dir holds when the build is complete."""
        return tuple(b for step in self.builds for b in step.binaries) + tuple(f.name for f in self.files)

    def fingerprint(self) -> str:
        """A hash of the whole recipe: a stored build from another recipe is not reused."""
        recipe = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(recipe.encode()).hexdigest()[:16]

    def headline(self) -> str:
        """What the progress line says is being built."""
        return f"{self.name} {self.version}: building {' '.join(self.binaries)}"
