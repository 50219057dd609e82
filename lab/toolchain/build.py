"""Carrying out a BuildSpec: a scratch module, `go get`, `go build`, an atomic install.

Why this shape: every build runs against the Go module proxy with GOTOOLCHAIN=local
and caches under the cache root only, so a build is the same on every machine and
clearing the cache is one rm -rf. Binaries go to a temporary directory that is renamed
into place with its stamp already written, and a lock per build lets two processes
ask for the same binaries at once (the second finds them cached).
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from . import gomod
from .cache import STAMP, Layout, is_cached
from .spec import BuildSpec, CopiedModule

LOG_TAIL_LINES = 15


class BuildError(RuntimeError):
    """A build failed; the message names the command, the log and its last lines."""


def go_env(layout: Layout, *, cgo: bool = False) -> dict[str, str]:
    """The environment of every go command: local toolchain, caches under the root."""
    env = dict(os.environ)
    env.update({
        "GOTOOLCHAIN": "local", "GOWORK": "off", "GOFLAGS": "-buildvcs=false -modcacherw",
        "GOMODCACHE": str(layout.gomodcache), "GOCACHE": str(layout.gocache),
        "CGO_ENABLED": "1" if cgo else "0",
    })
    return env


def _tail(path: Path) -> str:
    lines = path.read_text(errors="replace").splitlines()
    return "\n".join(lines[-LOG_TAIL_LINES:])


def run_logged(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], log: Path) -> str:
    """Run argv, appending its output to log; return stdout. Failure raises BuildError."""
    with log.open("a") as sink:
        sink.write(f"\n$ (cd {cwd} && {shlex.join(argv)})\n")
        sink.flush()
        result = subprocess.run(list(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=sink, text=True, check=False)
        sink.write(result.stdout)
    if result.returncode != 0:
        raise BuildError(f"`{' '.join(argv)}` failed (exit {result.returncode}); log {log}:\n{_tail(log)}")
    return result.stdout


def module_info(module_at_version: str, *, cwd: Path, env: Mapping[str, str], log: Path) -> dict[str, Any]:
    """`go mod download -json`: where a module version sits in the module cache."""
    out = run_logged(["go", "mod", "download", "-json", module_at_version], cwd=cwd, env=env, log=log)
    info = json.loads(out)
    if info.get("Error"):
        raise BuildError(f"{module_at_version}: {info['Error']}")
    return info


def go_mod_target(target: str) -> str:
    """A plan's "module version" replace target as `go mod edit` spells it."""
    module, _, version = target.partition(" ")
    return f"{module}@{version}" if version else module


def prepare_scratch(spec: BuildSpec, work: Path, env: Mapping[str, str], log: Path) -> Path:
    """A fresh module requiring the spec's packages, with its replaces and the upstream godebug."""
    work.mkdir(parents=True)
    run_logged(["go", "mod", "init", f"som.scratch/{spec.name}"], cwd=work, env=env, log=log)
    edits = [f"-replace={module}={go_mod_target(target)}" for module, target in spec.replaces]
    if spec.upstream:
        upstream = Path(module_info(spec.upstream, cwd=work, env=env, log=log)["GoMod"]).read_text()
        problems = gomod.problems(upstream, dict(spec.replaces))
        if problems:
            raise BuildError("; ".join(problems))
        edits += [f"-godebug={key}={value}" for key, value in gomod.godebug(upstream)]
    if edits:
        run_logged(["go", "mod", "edit", *edits], cwd=work, env=env, log=log)
    if spec.requires:
        run_logged(["go", "get", *spec.requires], cwd=work, env=env, log=log)
    return work


def prepare_copied(copied: CopiedModule, work: Path, env: Mapping[str, str], log: Path) -> Path:
    """A writable copy of the module, its outside replaces dropped, its generators run."""
    work.mkdir(parents=True)
    info = module_info(f"{copied.module}@{copied.version}", cwd=work, env=env, log=log)
    src = work / "src"
    shutil.copytree(info["Dir"], src)
    for path in [src, *src.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)
    if copied.drop_replaces:
        run_logged(["go", "mod", "edit", *(f"-dropreplace={m}" for m in copied.drop_replaces)],
                   cwd=src, env=env, log=log)
        run_logged(["go", "mod", "download", *copied.drop_replaces], cwd=src, env=env, log=log)
    generate_env = {**env, **dict(copied.generate_env)}
    for package_dir in copied.generate:
        run_logged(["go", "generate", f"./{package_dir}"], cwd=src, env=generate_env, log=log)
    return src


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def build_lock(layout: Layout, spec: BuildSpec) -> Iterator[None]:
    """One builder per name and version at a time, across processes."""
    lock = layout.version_dir(spec).parent / f".{spec.version}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def remove_leftovers(layout: Layout, spec: BuildSpec) -> None:
    """Temporary and scratch dirs an interrupted build of this spec left (we hold its lock)."""
    parent = layout.version_dir(spec).parent
    leftovers = [*parent.glob(f".{spec.version}.tmp-*"), *parent.glob(f".{spec.version}.old-*"),
                 *layout.scratch.glob(f"{spec.name}-{spec.version}-*")]
    for path in leftovers:
        shutil.rmtree(path, ignore_errors=True)


def install(staged: Path, final: Path) -> None:
    """Put a complete version dir in place by renames, replacing a stale one."""
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    if final.exists():
        final.rename(old)
    staged.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def execute(spec: BuildSpec, layout: Layout) -> dict[str, Any]:
    """Build spec into the cache and return its manifest (also written as the stamp)."""
    if spec.blocked:
        raise BuildError(f"cannot build: {spec.blocked}")
    started = time.monotonic()
    for directory in (layout.logs, layout.scratch, layout.gomodcache, layout.gocache):
        directory.mkdir(parents=True, exist_ok=True)
    log = layout.log(spec)
    log.write_text(f"# {spec.headline()}\n# recipe {spec.fingerprint()}\n")
    final = layout.version_dir(spec)
    staged = final.with_name(f".{spec.version}.tmp-{os.getpid()}")
    bin_dir = staged / "bin"
    bin_dir.mkdir(parents=True)
    work = layout.scratch / f"{spec.name}-{spec.version}-{os.getpid()}"
    env = go_env(layout)
    if spec.copied:
        module_dir = prepare_copied(spec.copied, work, env, log)
    else:
        module_dir = prepare_scratch(spec, work, env, log)
    for step in spec.builds:
        run_logged(step.argv(str(bin_dir)), cwd=module_dir, env=go_env(layout, cgo=step.cgo), log=log)
    for extra in spec.files:
        source = Path(module_info(f"{extra.module}@{extra.version}", cwd=module_dir, env=env, log=log)["Dir"])
        shutil.copyfile(source / extra.path, bin_dir / extra.name)
        (bin_dir / extra.name).chmod(0o755)
    absent = [b for b in spec.binaries if not (bin_dir / b).is_file()]
    if absent:
        raise BuildError(f"the build did not produce {', '.join(absent)}; log {log}")
    manifest = {
        "name": spec.name, "version": spec.version, "recipe": spec.fingerprint(),
        "versions": dict(spec.versions),
        "go": run_logged(["go", "env", "GOVERSION"], cwd=module_dir, env=env, log=log).strip(),
        "binaries": {b: sha256(bin_dir / b) for b in spec.binaries},
        "seconds": round(time.monotonic() - started, 1),
        "built": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    (staged / STAMP).write_text(json.dumps(manifest, indent=2) + "\n")
    install(staged, final)
    shutil.rmtree(work, ignore_errors=True)
    return manifest


def ensure_built(spec: BuildSpec, layout: Layout) -> dict[str, Any] | None:
    """Build spec unless a complete build is stored; the manifest when it was built now."""
    with build_lock(layout, spec):
        if is_cached(layout, spec):
            return None
        remove_leftovers(layout, spec)
        try:
            return execute(spec, layout)
        finally:
            for staged in layout.version_dir(spec).parent.glob(f".{spec.version}.tmp-{os.getpid()}"):
                shutil.rmtree(staged, ignore_errors=True)


def build_all(specs: Sequence[BuildSpec], layout: Layout, out: TextIO) -> list[str]:
    """Build every spec in order, reporting progress to out; return one line per failure.

    A failed build does not stop the others: they are independent, and the report
    should show everything that does and does not work in one run.
    """
    failures = []
    started = time.monotonic()
    for index, spec in enumerate(specs, 1):
        print(f"[{index}/{len(specs)}] {spec.headline()}", file=out, flush=True)
        spec_started = time.monotonic()
        try:
            manifest = ensure_built(spec, layout)
        except BuildError as exc:
            failures.append(f"{spec.name} {spec.version}: {str(exc).splitlines()[0]}")
            print(f"    FAILED after {time.monotonic() - spec_started:.1f}s: {exc}", file=out, flush=True)
            continue
        if manifest is None:
            print(f"    cached in {layout.bin_dir(spec)}", file=out, flush=True)
        else:
            print(f"    built in {manifest['seconds']:.1f}s -> {layout.bin_dir(spec)}", file=out, flush=True)
    print(f"total {time.monotonic() - started:.1f}s, {len(specs) - len(failures)}/{len(specs)} ready",
          file=out, flush=True)
    return failures
