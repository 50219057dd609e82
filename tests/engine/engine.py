"""A stand-in for the Pulumi engine, for running the real program against real hosts.

THIS IS NOT PULUMI. The Pulumi CLI and its provider plugins cannot be installed on these
machines, so this module plays the engine's part in ``pulumi up`` closely enough to test
the program end to end against the lab's real SSH hosts:

- the real program (``components.program.main``) runs under ``pulumi.runtime.set_mocks``;
- each ``command:remote:Command`` is executed for real, as pulumi-command does it: a new
  SSH session per create/update/delete, the command line as given, ``stdin`` as given,
  the pinned host key enforced, stdout and stderr returned as outputs (those listed in
  ``additionalSecretOutputs`` returned as secrets), failures reported as
  ``"<status>: running <command>:\\n<stdout+stderr>"``;
- state between runs: a resource whose inputs did not change is not run again and keeps
  its outputs; a changed one runs its update (or create) command; resources that are no
  longer declared are deleted after a successful run, dependents first, with their stored
  inputs (the delete command gets the last stdin, as pulumi-command's Delete does);
- after a failed run nothing is deleted and resources that did not get to run keep their
  old state, so the next run converges (the engine does the same).

Not modelled: previews, replacements through ``triggers`` and ``replaceOnChanges``
(the program uses neither), refresh, imports, parallelism limits beyond a thread pool.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol

from tests.engine.recording import Registration, RunResult, run_program, unwrap, with_secret_outputs

COMMAND = "command:remote:Command"


@dataclass(frozen=True)
class Execution:
    exit_code: int
    stdout: str
    stderr: str


class RemoteExecutor(Protocol):
    """Runs one command over one new SSH session, as pulumi-command's provider does."""

    def run(self, connection: Mapping[str, Any], command: str, stdin: str | None) -> Execution: ...


@dataclass
class StoredResource:
    urn: str
    type: str
    name: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    dependencies: list[str]
    secret_outputs: list[str]
    parent: str = ""


@dataclass
class Event:
    """One thing the engine did, for the report and for tests."""

    action: str  # create | update | same | delete | failed
    urn: str
    name: str
    host: str = ""
    seconds: float = 0.0
    message: str = ""


@dataclass
class UpReport:
    events: list[Event] = field(default_factory=list)
    exports: dict[str, Any] = field(default_factory=dict)
    secret_exports: frozenset[str] = frozenset()
    error: str | None = None
    seconds: float = 0.0
    run: RunResult | None = None

    @property
    def failures(self) -> list[Event]:
        return [e for e in self.events if e.action == "failed"]

    @property
    def executed(self) -> list[Event]:
        return [e for e in self.events if e.action in ("create", "update", "delete", "failed") and e.host]


class CommandFailed(Exception):
    """A remote command exited non-zero; the message is pulumi-command's."""


class Engine:
    """See the module docstring: the real program, real SSH, a small engine's bookkeeping."""

    def __init__(
        self,
        executor: RemoteExecutor,
        state_file: Path | None = None,
        before_execute: Callable[[str, str], None] | None = None,
        on_event: Callable[[Event], None] | None = None,
    ):
        self.executor = executor
        self.state_file = state_file
        self.state: dict[str, StoredResource] = self._load()
        self.before_execute = before_execute
        self.on_event = on_event or (lambda event: None)
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ state

    def _load(self) -> dict[str, StoredResource]:
        if self.state_file is None or not self.state_file.exists():
            return {}
        return {urn: StoredResource(**data) for urn, data in json.loads(self.state_file.read_text()).items()}

    def _save(self) -> None:
        if self.state_file is None:
            return
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        # The lab's state holds the lab's own throwaway secrets in plain text, like a
        # local Pulumi backend without a passphrase would: private to root.
        self.state_file.touch(mode=0o600, exist_ok=True)
        self.state_file.write_text(json.dumps({urn: vars(res) for urn, res in self.state.items()}, indent=1, sort_keys=True))

    # ------------------------------------------------------------------ up

    def up(self, config: Mapping[str, str], secret_keys: list[str], stack: str) -> UpReport:
        started = time.perf_counter()
        report = UpReport()
        prior = dict(self.state)
        declared: dict[str, StoredResource] = {}

        def new_resource(registration: Registration) -> tuple[str, dict[str, Any]]:
            return self._register(registration, prior.get(registration.urn), declared, report)

        result = run_program(config, secret_keys, new_resource=new_resource, stack=stack)
        report.run = result
        report.exports, report.secret_exports = result.exports, result.secret_exports
        if result.error is None and not report.failures:
            self.state = declared
            self._delete_undeclared(prior, declared, report)
        else:
            report.error = _message(result.error) if result.error else "; ".join(e.message for e in report.failures)
            self.state = {**prior, **declared}
        self._save()
        report.seconds = time.perf_counter() - started
        return report

    def _register(
        self,
        registration: Registration,
        old: StoredResource | None,
        declared: dict[str, StoredResource],
        report: UpReport,
    ) -> tuple[str, dict[str, Any]]:
        inputs = unwrap(registration.inputs)
        if registration.type == COMMAND:
            action, outputs = self._command(registration, inputs, old, report)
        else:
            action = "same" if old is not None and old.inputs == inputs else ("update" if old else "create")
            outputs = inputs
        stored = StoredResource(
            urn=registration.urn,
            type=registration.type,
            name=registration.name,
            inputs=inputs,
            outputs=outputs,
            dependencies=list(registration.dependencies),
            secret_outputs=list(registration.additional_secret_outputs),
            parent=registration.parent,
        )
        with self._lock:
            declared[registration.urn] = stored
        if registration.type != COMMAND:
            self._emit(report, Event(action, registration.urn, registration.name))
        return f"{registration.name}-id", with_secret_outputs({**registration.inputs, **outputs}, stored.secret_outputs)

    def _command(
        self, registration: Registration, inputs: dict[str, Any], old: StoredResource | None, report: UpReport
    ) -> tuple[str, dict[str, Any]]:
        if old is not None and old.inputs == inputs:
            self._emit(report, Event("same", registration.urn, registration.name))
            return "same", {"stdout": old.outputs.get("stdout", ""), "stderr": old.outputs.get("stderr", "")}
        action = "update" if old is not None else "create"
        command = inputs.get("update") or inputs["create"] if action == "update" else inputs["create"]
        execution = self._execute(registration.urn, registration.name, action, inputs, command, report)
        return action, {"stdout": execution.stdout.removesuffix("\n"), "stderr": execution.stderr.removesuffix("\n")}

    def _execute(
        self, urn: str, name: str, action: str, inputs: Mapping[str, Any], command: str, report: UpReport
    ) -> Execution:
        host = inputs["connection"]["host"]
        if self.before_execute is not None:
            self.before_execute(name, action)
        started = time.perf_counter()
        execution = self.executor.run(inputs["connection"], command, inputs.get("stdin"))
        seconds = time.perf_counter() - started
        if execution.exit_code != 0:
            message = f"Process exited with status {execution.exit_code}: running {command!r}:\n{execution.stdout}{execution.stderr}"
            self._emit(report, Event("failed", urn, name, host, seconds, message))
            raise CommandFailed(f"{name}: {message}")
        self._emit(report, Event(action, urn, name, host, seconds))
        return execution

    def _delete_undeclared(
        self, prior: Mapping[str, StoredResource], declared: Mapping[str, StoredResource], report: UpReport
    ) -> None:
        doomed = {urn: res for urn, res in prior.items() if urn not in declared}
        for urn in _dependents_first(doomed):
            res = doomed[urn]
            if res.type == COMMAND and res.inputs.get("delete"):
                try:
                    self._execute(urn, res.name, "delete", res.inputs, res.inputs["delete"], report)
                except CommandFailed as failure:
                    # The resource stays in state, so a re-run retries the delete.
                    self.state[urn] = res
                    report.error = str(failure)
                    continue
            else:
                self._emit(report, Event("delete", urn, res.name))

    def _emit(self, report: UpReport, event: Event) -> None:
        with self._lock:
            report.events.append(event)
        self.on_event(event)


def _dependents_first(resources: Mapping[str, StoredResource]) -> list[str]:
    """Delete order: a resource after everything (being deleted) that depends on it or
    is its child."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(urn: str) -> None:
        if urn in order or urn in visiting:
            return
        visiting.add(urn)
        for other, res in sorted(resources.items()):
            if urn in res.dependencies or res.parent == urn:
                visit(other)
        visiting.discard(urn)
        order.append(urn)

    for urn in sorted(resources):
        visit(urn)
    return order


def _message(error: BaseException) -> str:
    return str(error).strip() or type(error).__name__
