"""A stack of a Pulumi project driven through the real CLI: config, preview, up, refresh, destroy.

The lab never runs the CLI in the checkout itself: ``pulumi stack init`` and
``pulumi config set`` rewrite ``Pulumi.<stack>.yaml`` (encryption salt, secrets), so the
project is copied into the workspace (program, stack file, policy pack; ``.venv`` linked
to the project's), and the copy is what the CLI changes. Each workspace has its own
file backend and passphrase, so lab runs never share state.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from contextlib import ExitStack
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cli import Cli, DriverError, Toolchain, Wrap, default_home
from .events import Outcome, outcome, read_events
from .inline import Program, language_server
from .plugins import install_all

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROJECT_FILES = ("Pulumi.yaml", "__main__.py", "requirements.txt")
PROJECT_DIRS = ("components", "policy")
VENV = ".venv"


def copy_project(source: Path, destination: Path, stack: str) -> Path:
    """The program, its stack file and the policy pack, with ``.venv`` linked."""
    destination.mkdir(parents=True, exist_ok=True)
    for name in (*PROJECT_FILES, f"Pulumi.{stack}.yaml"):
        if (source / name).exists():
            shutil.copy2(source / name, destination / name)
    for name in PROJECT_DIRS:
        if (source / name).is_dir():
            shutil.rmtree(destination / name, ignore_errors=True)
            shutil.copytree(source / name, destination / name, ignore=shutil.ignore_patterns("__pycache__"))
    venv = destination / VENV
    if not venv.exists():
        venv.symlink_to((source / VENV).resolve())
    return destination


@dataclass
class Workspace:
    """One stack of one project directory, with the CLI that drives it."""

    cli: Cli
    project_dir: Path
    stack: str
    # Run this function in-process instead of the project's program through the language
    # host (see inline.py); None: the language host runs the project as the CLI would.
    program: Program | None = None

    @classmethod
    def create(
        cls,
        root: Path,
        stack: str,
        project_dir: Path | None = None,
        source: Path = PROJECT_ROOT,
        toolchain: Toolchain | None = None,
        home: Path | None = None,
        wrap: Wrap | None = None,
        program: Program | None = None,
    ) -> Workspace:
        """A workspace under ``root`` (0700): state, passphrase, and, unless
        ``project_dir`` is given (used in place), a copy of ``source``. Plugins are
        installed and the stack created (or selected when it exists)."""
        root.mkdir(parents=True, exist_ok=True)
        os.chmod(root, 0o700)
        cli = Cli(
            toolchain=toolchain or Toolchain.built(),
            home=home or default_home(),
            backend_dir=root / "state",
            secrets_dir=root / "secrets",
            **({"wrap": wrap} if wrap is not None else {}),
        )
        cli.home.mkdir(parents=True, exist_ok=True)
        install_all(cli)
        directory = project_dir or copy_project(source, root / "project", stack)
        workspace = cls(cli, directory, stack, program)
        workspace.init_stack()
        return workspace

    @property
    def events_dir(self) -> Path:
        return self.cli.backend_dir.parent / "events"

    def run(self, args: Sequence[str], stdin: str | None = None, check: bool = True) -> Any:
        return self.cli.run(args, cwd=self.project_dir, stdin=stdin, check=check)

    def init_stack(self) -> None:
        listed = json.loads(self.run(["stack", "ls", "--json"]).stdout or "[]")
        if any(entry.get("name") == self.stack for entry in listed):
            return
        self.run(["stack", "init", self.stack, "--non-interactive"])

    # -- config ---------------------------------------------------------------------------
    def set_config(self, key: str, value: str, path: bool = False, text: bool = False) -> None:
        """A plain value (on the command line: never use this for a secret); ``text``
        keeps a value that reads as a boolean or number a string."""
        self.run(["config", "set", "--stack", self.stack, *(["--path"] if path else []),
                  *(["--type", "string"] if text else []), "--", key, value])

    def set_secret(self, key: str, value: str) -> None:
        """A secret, handed to ``pulumi config set --secret`` on stdin."""
        self.run(["config", "set", "--stack", self.stack, "--secret", key], stdin=value)

    def remove_config(self, key: str, path: bool = False) -> None:
        self.run(["config", "rm", "--stack", self.stack, *(["--path"] if path else []), "--", key])

    def config(self) -> dict[str, Any]:
        """The stack's config as the CLI reports it (secrets masked)."""
        return json.loads(self.run(["config", "--stack", self.stack, "--json"]).stdout)

    # -- operations -----------------------------------------------------------------------
    def _operation(self, command: str, args: Sequence[str]) -> Outcome:
        self.events_dir.mkdir(parents=True, exist_ok=True)
        log = self.events_dir / f"{command}-{time.time_ns()}.jsonl"
        started = time.perf_counter()
        with ExitStack() as stack:
            client = stack.enter_context(language_server(self.program)) if self.program is not None else []
            done = self.run(
                [command, "--stack", self.stack, "--non-interactive", "--color", "never", "--event-log", str(log),
                 *client, *args],
                check=False,
            )
        result = outcome(command, done.ok, time.perf_counter() - started, read_events(log), done.stdout + done.stderr)
        log.unlink(missing_ok=True)
        return result

    def preview(self, policy_packs: Sequence[Path] = (), expect_no_changes: bool = False) -> Outcome:
        return self._operation("preview", [*_policy_args(policy_packs), *(["--expect-no-changes"] if expect_no_changes else [])])

    def up(self, policy_packs: Sequence[Path] = (), parallel: int | None = None) -> Outcome:
        return self._operation(
            "up", ["--yes", "--skip-preview", *_policy_args(policy_packs), *(["--parallel", str(parallel)] if parallel else [])]
        )

    def refresh(self) -> Outcome:
        return self._operation("refresh", ["--yes", "--skip-preview"])

    def destroy(self) -> Outcome:
        return self._operation("destroy", ["--yes", "--skip-preview"])

    def outputs(self, show_secrets: bool = False) -> dict[str, Any]:
        """The stack outputs; secrets in plain text only when asked for."""
        args = ["stack", "output", "--stack", self.stack, "--json", *(["--show-secrets"] if show_secrets else [])]
        return json.loads(self.run(args).stdout or "{}")

    def remove_stack(self) -> None:
        """Drops the stack's state (after destroy) so the workspace can be deleted."""
        self.run(["stack", "rm", self.stack, "--yes", "--force"], check=False)


def _policy_args(packs: Sequence[Path]) -> list[str]:
    for pack in packs:
        if not (Path(pack) / "PulumiPolicy.yaml").is_file():
            raise DriverError(f"{pack} is not a policy pack (no PulumiPolicy.yaml)")
    return [arg for pack in packs for arg in ("--policy-pack", str(pack))]
