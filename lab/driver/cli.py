"""The built Pulumi CLI as a subprocess with a closed, offline environment.

Why closed: an ambient ``pulumi-resource-*`` on PATH wins over the installed plugin
whatever its version, a user's ``~/.pulumi`` or backend login would leak in, and the CLI
would try to download plugins and check for updates. So the CLI sees only: PATH with
the toolchain's own bin dirs (checked to hold no provider plugin) and the system's,
``PULUMI_HOME`` (where the plugins are installed), a file backend per workspace, the
secrets passphrase through a 0600 file (never on argv), and the offline switches.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lab.toolchain import BuildError, cache_root, ensure, plan
from lab.toolchain.plan import select
from lab.versions import PULUMI

SYSTEM_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
PLUGIN_PREFIX = "pulumi-resource-"

Wrap = Callable[[list[str]], list[str]]
_SAID: set[str] = set()


def _say_once(message: str) -> None:
    """A fact about the toolchain, on stderr the first time only (many workspaces ask)."""
    if message not in _SAID:
        _SAID.add(message)
        print(message, file=sys.stderr)


class DriverError(Exception):
    """The driver cannot do what was asked; the message says why (no traceback needed)."""


@dataclass(frozen=True)
class Toolchain:
    """The built binaries the driver runs: the CLI, the Python language host (None:
    programs run in-process, see inline.py) and the kubernetes provider (None: not
    installed; a program that needs it then fails at once)."""

    pulumi_bin: Path
    language_bin: Path | None
    kubernetes_provider: Path | None

    @classmethod
    def built(cls, parts: tuple[str, ...] = ("pulumi-language-python", "pulumi-resource-kubernetes")) -> Toolchain:
        """From lab.toolchain, building what is missing: the CLI and ``parts``."""
        dirs = ensure(["pulumi", *parts])
        language = dirs.get("pulumi-language-python")
        provider = dirs.get("pulumi-resource-kubernetes")
        return cls(
            pulumi_bin=dirs["pulumi"],
            language_bin=language,
            kubernetes_provider=provider / "pulumi-resource-kubernetes" if provider else None,
        )

    @classmethod
    def available(cls) -> Toolchain:
        """The CLI and the kubernetes provider (built if missing), and the language host
        if it can be built; without it programs run in-process (inline.py). A host the
        plan already knows to be blocked is not attempted (said once per process)."""
        [host] = select(plan(), ["pulumi-language-python"])
        if not host.blocked:
            try:
                return cls.built()
            except BuildError as error:
                _say_once(f"lab.driver: no Python language host ({error}); programs run in-process")
        else:
            _say_once(f"lab.driver: no Python language host ({host.blocked.split(':')[0]}); programs run in-process")
        return cls.built(parts=("pulumi-resource-kubernetes",))

    @property
    def pulumi(self) -> Path:
        return self.pulumi_bin / "pulumi"

    def path(self) -> str:
        """PATH for the CLI: the toolchain's dirs, then the system's; none may hold a
        provider plugin (an ambient one would be used instead of the installed one)."""
        own = [self.pulumi_bin, *([self.language_bin] if self.language_bin else [])]
        dirs = list(dict.fromkeys([*own, *map(Path, SYSTEM_PATH)]))
        ambient = sorted(str(p) for d in dirs if d.is_dir() for p in d.glob(f"{PLUGIN_PREFIX}*"))
        if ambient:
            raise DriverError(f"provider plugins on PATH would shadow the installed ones: {', '.join(ambient)}")
        needed = [self.pulumi]
        if self.language_bin:
            needed += [self.language_bin / "pulumi-language-python", self.language_bin / "pulumi-language-python-exec"]
        missing = [str(p) for p in needed if not p.exists()]
        if missing:
            raise DriverError(f"toolchain incomplete, missing: {', '.join(missing)}")
        return os.pathsep.join(str(d) for d in dirs)


def default_home() -> Path:
    """Shared by lab runs: only plugins live there (backends are per workspace)."""
    return cache_root() / "pulumi-home"


def passphrase_file(directory: Path) -> Path:
    """The workspace's secrets passphrase, made once, readable by its owner only."""
    path = directory / "passphrase"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(32))
    return path


@dataclass(frozen=True)
class Run:
    """One CLI invocation and what it printed."""

    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.returncode == 0


@dataclass
class Cli:
    """``pulumi`` with the closed environment of one workspace.

    ``wrap`` puts the whole CLI (engine, language host, plugins) somewhere else, e.g.
    into a lab's fabric namespace where the lab's addresses are reachable.
    """

    toolchain: Toolchain
    home: Path
    backend_dir: Path
    secrets_dir: Path
    wrap: Wrap = field(default=lambda argv: argv)

    def env(self) -> dict[str, str]:
        self.backend_dir.mkdir(parents=True, exist_ok=True)
        return {
            "PATH": self.toolchain.path(),
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "PULUMI_HOME": str(self.home),
            "PULUMI_BACKEND_URL": f"file://{self.backend_dir}",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_CONFIG_PASSPHRASE_FILE": str(passphrase_file(self.secrets_dir)),
            "PULUMI_SKIP_CONFIRMATIONS": "true",
            # --event-log exists only with debug commands on (as the Automation API sets it)
            "PULUMI_DEBUG_COMMANDS": "true",
        }

    def run(
        self,
        args: Sequence[str],
        cwd: Path | None = None,
        stdin: str | None = None,
        check: bool = True,
        extra_env: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Run:
        argv = self.wrap([str(self.toolchain.pulumi), *args])
        started = time.perf_counter()
        done = subprocess.run(
            argv, cwd=cwd, input=stdin if stdin is not None else "", capture_output=True, text=True,
            env={**self.env(), **(extra_env or {})}, timeout=timeout, check=False,
        )
        result = Run(list(args), done.returncode, done.stdout, done.stderr, time.perf_counter() - started)
        if check and not result.ok:
            raise DriverError(f"pulumi {' '.join(args)} failed ({done.returncode}): {_tail(done.stderr or done.stdout)}")
        return result


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def versions_expected() -> dict[str, str]:
    """What the plugins must report: exactly what the pinned wheels request."""
    return {"kubernetes": PULUMI.kubernetes_plugin, "command": PULUMI.command_plugin}
