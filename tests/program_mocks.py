"""The program under Pulumi's own runtime mocks (``pulumi.runtime.set_mocks``): a stand-in
for the engine's side of registration, recording what the engine would be told.

For pure program tests (the resource graph, secrecy, scale) that need no CLI and no
host; every end-to-end run goes through the real CLI (lab/driver). ``RecordingMonitor``
extends pulumi's ``MockMonitor``: the stock mocks see a resource's type, name and
inputs, not its URN, parent or dependencies, which the graph tests need.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import pulumi
import pulumi.runtime
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.sync_await import _sync_await

from components import stack_yaml
from components.stack import cli_values, project_defaults

PROJECT = "spark-on-metal"
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Registration:
    """One resource as registered by the program."""

    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    secret_inputs: frozenset[str]
    dependencies: tuple[str, ...]
    additional_secret_outputs: tuple[str, ...]
    provider: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)

    def plain_inputs(self) -> dict[str, Any]:
        return unwrap(self.inputs)


def unwrap(value: Any) -> Any:
    """Drop the RPC secret wrappers, keeping the values."""
    if rpc.is_rpc_secret(value):
        return unwrap(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def contains_secret(value: Any) -> bool:
    if rpc.is_rpc_secret(value):
        return True
    if isinstance(value, dict):
        return any(contains_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_secret(v) for v in value)
    return False


NewResource = Callable[[Registration], tuple[str, dict[str, Any]]]


def with_secret_outputs(outputs: dict[str, Any], secret_names: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """Outputs named in additionalSecretOutputs come back as secrets, as from the engine
    (the stock mock monitor ignores the option)."""
    return {
        key: rpc.wrap_rpc_secret(value) if key in secret_names and not rpc.is_rpc_secret(value) else value
        for key, value in outputs.items()
    }


def echo_inputs(registration: Registration) -> tuple[str, dict[str, Any]]:
    """Default behaviour: a resource's outputs are its inputs (commands print nothing)."""
    outputs = dict(registration.inputs)
    if registration.type == "command:remote:Command":
        outputs.setdefault("stdout", "")
        outputs.setdefault("stderr", "")
    return f"{registration.name}-id", with_secret_outputs(outputs, registration.additional_secret_outputs)


class RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, new_resource: NewResource):
        super().__init__(_Delegate(self))
        self.new_resource = new_resource
        self.registrations: dict[str, Registration] = {}
        self.lock = threading.Lock()
        self._current = threading.local()

    def RegisterResource(self, request):  # noqa: N802 (gRPC name)
        if request.type == "pulumi:pulumi:Stack":
            return super().RegisterResource(request)
        self._current.request = request
        return super().RegisterResource(request)

    def registration_for(self, args: pulumi_mocks.MockResourceArgs) -> Registration:
        request = self._current.request
        urn = self.make_urn(request.parent, request.type, request.name)
        return Registration(
            urn=urn,
            type=args.typ,
            name=args.name,
            parent=request.parent,
            custom=bool(args.custom),
            inputs=args.inputs,
            secret_inputs=frozenset(k for k, v in args.inputs.items() if contains_secret(v)),
            dependencies=tuple(request.dependencies),
            additional_secret_outputs=tuple(request.additionalSecretOutputs),
            provider=request.provider,
        )


class _Delegate(pulumi.runtime.Mocks):
    """Routes the stock monitor's callbacks to the recording monitor."""

    def __init__(self, monitor: RecordingMonitor):
        self.monitor = monitor

    def new_resource(self, args: pulumi_mocks.MockResourceArgs):
        registration = self.monitor.registration_for(args)
        resource_id, outputs = self.monitor.new_resource(registration)
        registration.outputs = outputs
        with self.monitor.lock:
            self.monitor.registrations[registration.urn] = registration
        return resource_id, outputs

    def call(self, args: pulumi_mocks.MockCallArgs):
        return {}


@dataclass
class RunResult:
    registrations: dict[str, Registration]
    exports: dict[str, Any]
    secret_exports: frozenset[str]
    error: BaseException | None

    def by_type(self, type_: str) -> list[Registration]:
        return [r for r in self.registrations.values() if r.type == type_]

    def named(self, name: str) -> Registration:
        return next(r for r in self.registrations.values() if r.name == name)


def engine_config(stack: str, secrets: Mapping[str, str], project_dir: Path = ROOT, overrides: Mapping[str, Any] | None = None) -> tuple[dict[str, str], list[str]]:
    """The config bag the Pulumi engine would hand the program for ``stack``.

    The stack file read as the CLI reads it (components.stack.cli_values, the reader
    ``render`` uses too); ``overrides`` (key -> decoded value, None removes it) applied;
    ``secure:`` values replaced by ``secrets`` (key without project prefix -> plaintext)
    and listed as secret keys.
    """
    path = project_dir / f"Pulumi.{stack}.yaml"
    document = stack_yaml.read(path.read_text(), path.name) or {}
    config = dict(document.get("config") or {})
    for key, value in (overrides or {}).items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        if value is None:
            config.pop(full, None)
        else:
            config[full] = value
    values, secret_keys, problems = cli_values({"config": config}, path.name, project_defaults(project_dir))
    assert not problems, problems
    for full_key in secret_keys:
        values[full_key] = secrets[full_key.partition(":")[2]]
    return values, sorted(secret_keys)


def run_program(
    config: Mapping[str, str],
    secret_keys: list[str],
    new_resource: NewResource = echo_inputs,
    stack: str = "dev",
    program: Callable[[], None] | None = None,
    workers: int = 64,
) -> RunResult:
    """Run ``program`` (default: the real one) once under recording mocks."""
    if program is None:
        from components.program import main as program
    # Each run on its own event loop: after a failure the SDK returns while registrations
    # are still queued, and on a shared loop they would run during the next run.
    previous = _current_loop()
    loop = asyncio.new_event_loop()
    # Failed registrations leave tasks whose exception nobody retrieves; asyncio reports
    # them when the garbage collector finalizes the task, whenever that is, formatting a
    # traceback (which on Python 3.11 parses source with ast: inside another ast.parse,
    # pytest's assertion rewriting, that fails with "AST constructor recursion depth
    # mismatch"). The run's error is reported once, by the caller; these stay quiet.
    loop.set_exception_handler(lambda _loop, _context: None)
    asyncio.set_event_loop(loop)
    pool = ThreadPoolExecutor(max_workers=workers)
    loop.set_default_executor(pool)
    monitor = RecordingMonitor(new_resource)
    # A fresh runtime per run: a failure of an earlier run must not resurface in this one.
    pulumi_settings.SETTINGS.rpc_manager.clear()
    pulumi_settings.SETTINGS.outputs.clear()
    pulumi_settings.ROOT.set(None)
    pulumi.runtime.set_all_config(dict(config), list(secret_keys))
    pulumi.runtime.set_mocks(_Delegate(monitor), project=PROJECT, stack=stack, preview=False, monitor=monitor)
    error: BaseException | None = None
    try:
        _sync_await(pulumi.runtime.stack.run_pulumi_func(program))
    except BaseException as caught:  # noqa: BLE001 - reported to the caller
        error = caught
    finally:
        # Like the engine after a failure: operations under way finish (and are recorded),
        # none is started.
        pool.shutdown(wait=True)
    exports, secret_exports = _exports()
    _cancel_pending(loop)
    loop.close()
    gc.collect()  # finalize this run's tasks now, under the quiet handler
    asyncio.set_event_loop(previous)  # whatever ran on this thread before goes on as it was
    return RunResult(dict(monitor.registrations), exports, secret_exports, error)


def _current_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        return None


def _cancel_pending(loop: asyncio.AbstractEventLoop) -> None:
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


def _exports() -> tuple[dict[str, Any], frozenset[str]]:
    root = pulumi_settings.get_root_resource()
    if root is None:
        return {}, frozenset()
    values, secret = {}, set()
    for name, value in root.outputs.items():
        output = pulumi.Output.from_input(value)
        try:
            values[name] = _sync_await(output.future())
            if _sync_await(output.is_secret()):
                secret.add(name)
        except Exception as caught:  # noqa: BLE001
            values[name] = caught
    return values, frozenset(secret)

