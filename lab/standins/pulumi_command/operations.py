"""Create, Update, Delete of ``command:remote:Command``: what runs and what comes back.

From pulumi-command v1.2.1 ``remote/commandController.go`` and ``commandOutputs.go``,
through pulumi-go-provider v1.3.0 ``infer/resource.go`` (Create/Update/Delete and the
output marking of ``getDependencies``/``markComputed``/``markSecret``):

- Create: id ``<name><8 hex>``; preview runs nothing; no ``create`` runs nothing;
  outputs are the inputs (their secrets where they were) plus ``stdout``/``stderr``,
  which a preview reports unknown.
- Update: runs ``update``, else ``create``, else nothing (old stdout/stderr kept); a
  preview keeps the old stdout/stderr, unknown when an input is unknown or differs
  from the old state.
- Delete: runs ``delete`` from the stored state, if any.
- Every run: ``environment`` set; the previous stdout/stderr as
  ``PULUMI_COMMAND_STDOUT``/``PULUMI_COMMAND_STDERR`` unless ``addPreviousOutputInEnv``
  is false (skipped when empty); ``logging`` picks which streams go to the engine's log.
- A failure returns an error and no outputs (infer returns no partial state for a plain
  error): the engine keeps the previous state.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import ssh
from .properties import UNKNOWN, contains_unknown, reveal

Runner = Callable[..., ssh.Execution]
Log = Callable[[str], None]

STDOUT_ENV = "PULUMI_COMMAND_STDOUT"
STDERR_ENV = "PULUMI_COMMAND_STDERR"


@dataclass(frozen=True)
class Logging:
    """remote/logging.go: unset logs both streams."""

    stdout: bool
    stderr: bool

    @classmethod
    def of(cls, value: str | None) -> Logging:
        return cls(
            stdout=value is None or value in ("stdout", "stdoutAndStderr"),
            stderr=value is None or value in ("stderr", "stdoutAndStderr"),
        )


def new_id(name: str) -> str:
    """resource.NewUniqueHex(name, 8, 0)."""
    return name + secrets.token_hex(4)


def run_command(
    command: str,
    props: Mapping[str, Any],
    previous: Mapping[str, Any],
    log: Log,
    runner: Runner = ssh.run,
) -> ssh.Execution:
    """One run of ``command`` with the settings in ``props`` (inputs or stored state);
    ``previous`` holds the stdout/stderr of the last create/update."""
    plain = reveal(dict(props))
    environment = dict(plain.get("environment") or {})
    if plain.get("addPreviousOutputInEnv", True) is not False:
        for name, key in ((STDOUT_ENV, "stdout"), (STDERR_ENV, "stderr")):
            value = reveal(previous.get(key) or "")
            if value:
                environment[name] = value
    logging = Logging.of(plain.get("logging"))
    return runner(
        ssh.Connection.from_inputs(plain["connection"]),
        command,
        plain.get("stdin") or None,
        environment,
        log if logging.stdout else None,
        log if logging.stderr else None,
        log,
    )


def create(name: str, inputs: dict[str, Any], preview: bool, log: Log, runner: Runner = ssh.run) -> tuple[str, dict[str, Any]]:
    resource_id = new_id(name)
    if preview:
        return resource_id, {**inputs, "stdout": UNKNOWN, "stderr": UNKNOWN}
    command = reveal(inputs.get("create"))
    if command is None:
        return resource_id, {**inputs, "stdout": "", "stderr": ""}
    done = run_command(command, inputs, {}, log, runner)
    return resource_id, {**inputs, "stdout": done.stdout, "stderr": done.stderr}


def _changed_or_unknown(news: Mapping[str, Any], olds: Mapping[str, Any]) -> bool:
    """markComputed for an update: an input unknown, or differing from the old state."""
    for key, value in news.items():
        if contains_unknown(value):
            return True
        if key in olds and reveal(olds[key]) != reveal(value):
            return True
    return False


def update(olds: dict[str, Any], news: dict[str, Any], preview: bool, log: Log, runner: Runner = ssh.run) -> dict[str, Any]:
    kept = {"stdout": olds.get("stdout", ""), "stderr": olds.get("stderr", "")}
    if preview:
        if _changed_or_unknown(news, olds):
            kept = {"stdout": UNKNOWN, "stderr": UNKNOWN}
        return {**news, **kept}
    key = "update" if "update" in news else "create" if "create" in news else None
    if key is None:
        return {**news, **kept}
    done = run_command(reveal(news[key]), news, olds, log, runner)
    return {**news, "stdout": done.stdout, "stderr": done.stderr}


def delete(state: dict[str, Any], log: Log, runner: Runner = ssh.run) -> None:
    command = reveal(state.get("delete"))
    if command is None:
        return
    run_command(command, state, state, log, runner)
