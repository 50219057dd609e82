"""The gRPC ResourceProvider the Pulumi engine loads as plugin ``command`` 1.2.1.

The engine starts the plugin with its own address as the argument and reads the port the
plugin listens on from the first line of its stdout (``sdk/go/common/resource/plugin``,
``NewProvider``/``newPlugin``). What the real provider (pulumi-go-provider v1.3.0,
``provider.go``) answers, the stand-in answers: no Handshake, CheckConfig or DiffConfig
(Unimplemented: the engine falls back to its own handling, as for the real one, which
has no provider config), Configure accepting secrets, resources and outputs and
supporting previews, GetPluginInfo 1.2.1, Read returning the state as it is (the remote
Command has no Read of its own), Cancel accepted. Only ``command:remote:Command``
exists; any other type is refused by name.
"""

from __future__ import annotations

import sys
import threading
from concurrent import futures
from typing import Any, Callable

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, plugin_pb2, provider_pb2, provider_pb2_grpc

from . import operations
from .diff import Diff, Kind, diff
from .inputs import COMMAND_FIELDS, COMMAND_TYPE, check
from .properties import from_struct, to_struct
from .ssh import CommandError

VERSION = "1.2.1"
MAX_MESSAGE_BYTES = 400 * 1024 * 1024
GRPC_OPTIONS = [
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
]

_KINDS = {
    Kind.ADD: provider_pb2.PropertyDiff.ADD,
    Kind.ADD_REPLACE: provider_pb2.PropertyDiff.ADD_REPLACE,
    Kind.DELETE: provider_pb2.PropertyDiff.DELETE,
    Kind.DELETE_REPLACE: provider_pb2.PropertyDiff.DELETE_REPLACE,
    Kind.UPDATE: provider_pb2.PropertyDiff.UPDATE,
    Kind.UPDATE_REPLACE: provider_pb2.PropertyDiff.UPDATE_REPLACE,
}


def diff_response(result: Diff) -> provider_pb2.DiffResponse:
    return provider_pb2.DiffResponse(
        changes=provider_pb2.DiffResponse.DIFF_SOME if result.has_changes else provider_pb2.DiffResponse.DIFF_NONE,
        replaces=result.replaces,
        diffs=result.diffs,
        detailedDiff={path: provider_pb2.PropertyDiff(kind=_KINDS[kind]) for path, kind in result.detailed.items()},
        hasDetailedDiff=True,
        deleteBeforeReplace=result.delete_before_replace,
    )


class EngineLog:
    """Ephemeral info lines to the engine, attached to a resource (the real logger's
    InfoStatus)."""

    def __init__(self, address: str | None):
        self._address = address
        self._stub: engine_pb2_grpc.EngineStub | None = None
        self._lock = threading.Lock()

    def attach(self, address: str) -> None:
        with self._lock:
            self._address, self._stub = address, None

    def for_resource(self, urn: str) -> Callable[[str], None]:
        def log(line: str) -> None:
            stub = self._engine()
            if stub is None:
                return
            try:
                stub.Log(engine_pb2.LogRequest(severity=engine_pb2.INFO, message=line, urn=urn, ephemeral=True))
            except grpc.RpcError:
                pass  # a log line lost must not fail the operation

        return log

    def _engine(self) -> engine_pb2_grpc.EngineStub | None:
        with self._lock:
            if self._stub is None and self._address:
                self._stub = engine_pb2_grpc.EngineStub(grpc.insecure_channel(self._address, options=GRPC_OPTIONS))
            return self._stub


class CommandProvider(provider_pb2_grpc.ResourceProviderServicer):
    """The stand-in for pulumi-resource-command 1.2.1 (see the package docstring)."""

    def __init__(self, engine: EngineLog, runner: operations.Runner | None = None):
        self.engine = engine
        self.runner = runner or operations.ssh.run

    # -- plugin -------------------------------------------------------------------------
    def GetPluginInfo(self, request: empty_pb2.Empty, context: grpc.ServicerContext) -> plugin_pb2.PluginInfo:  # noqa: N802
        return plugin_pb2.PluginInfo(version=VERSION)

    def Attach(self, request: plugin_pb2.PluginAttach, context: grpc.ServicerContext) -> empty_pb2.Empty:  # noqa: N802
        self.engine.attach(request.address)
        return empty_pb2.Empty()

    def Configure(self, request: provider_pb2.ConfigureRequest, context: grpc.ServicerContext) -> provider_pb2.ConfigureResponse:  # noqa: N802
        return provider_pb2.ConfigureResponse(
            acceptSecrets=True, supportsPreview=True, acceptResources=True, acceptOutputs=True
        )

    def Cancel(self, request: empty_pb2.Empty, context: grpc.ServicerContext) -> empty_pb2.Empty:  # noqa: N802
        return empty_pb2.Empty()

    # -- resources ----------------------------------------------------------------------
    def Check(self, request: provider_pb2.CheckRequest, context: grpc.ServicerContext) -> provider_pb2.CheckResponse:  # noqa: N802
        _require_command(request, context)
        inputs, failures = check(from_struct(request.news))
        return provider_pb2.CheckResponse(
            inputs=to_struct(inputs),
            failures=[provider_pb2.CheckFailure(property=f.property, reason=f.reason) for f in failures],
        )

    def Diff(self, request: provider_pb2.DiffRequest, context: grpc.ServicerContext) -> provider_pb2.DiffResponse:  # noqa: N802
        _require_command(request, context)
        state = from_struct(request.olds)
        if request.HasField("old_inputs"):
            old_inputs = from_struct(request.old_inputs)
        else:  # an engine without old inputs: infer fabricates them from the state
            old_inputs = {key: value for key, value in state.items() if key in COMMAND_FIELDS}
        return diff_response(diff(old_inputs, from_struct(request.news), state, list(request.ignoreChanges)))

    def Create(self, request: provider_pb2.CreateRequest, context: grpc.ServicerContext) -> provider_pb2.CreateResponse:  # noqa: N802
        _require_command(request, context)
        resource_id, outputs = self._run(
            context,
            lambda: operations.create(
                request.name or request.urn.split("::")[-1], from_struct(request.properties), request.preview,
                self.engine.for_resource(request.urn), self.runner,
            ),
        )
        return provider_pb2.CreateResponse(id=resource_id, properties=to_struct(outputs))

    def Update(self, request: provider_pb2.UpdateRequest, context: grpc.ServicerContext) -> provider_pb2.UpdateResponse:  # noqa: N802
        _require_command(request, context)
        outputs = self._run(
            context,
            lambda: operations.update(
                from_struct(request.olds), from_struct(request.news), request.preview,
                self.engine.for_resource(request.urn), self.runner,
            ),
        )
        return provider_pb2.UpdateResponse(properties=to_struct(outputs))

    def Delete(self, request: provider_pb2.DeleteRequest, context: grpc.ServicerContext) -> empty_pb2.Empty:  # noqa: N802
        _require_command(request, context)
        self._run(
            context,
            lambda: operations.delete(from_struct(request.properties), self.engine.for_resource(request.urn), self.runner),
        )
        return empty_pb2.Empty()

    def Read(self, request: provider_pb2.ReadRequest, context: grpc.ServicerContext) -> provider_pb2.ReadResponse:  # noqa: N802
        _require_command(request, context)
        return provider_pb2.ReadResponse(id=request.id, properties=request.properties, inputs=request.inputs)

    def _run(self, context: grpc.ServicerContext, operation: Callable[[], Any]) -> Any:
        try:
            return operation()
        except CommandError as failure:
            context.abort(grpc.StatusCode.UNKNOWN, str(failure))


def resource_type(urn: str, given: str = "") -> str:
    """The request's type, or the last type of the URN's type chain."""
    if given:
        return given
    parts = urn.split("::")
    return parts[2].split("$")[-1] if len(parts) >= 4 else ""


def _require_command(request: Any, context: grpc.ServicerContext) -> None:
    resource_type_ = resource_type(request.urn, request.type)
    if resource_type_ != COMMAND_TYPE:
        context.abort(
            grpc.StatusCode.UNIMPLEMENTED,
            f"the pulumi-command stand-in implements {COMMAND_TYPE} only, not {resource_type_ or request.urn!r}",
        )


def engine_address(argv: list[str]) -> str | None:
    """The engine passes its address as the (last) positional argument, after flags."""
    positional = [arg for arg in argv if not arg.startswith("-")]
    return positional[-1] if positional else None


def serve(argv: list[str]) -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=64), options=GRPC_OPTIONS)
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(CommandProvider(EngineLog(engine_address(argv))), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    try:
        server.wait_for_termination()
    except KeyboardInterrupt:
        server.stop(grace=2)
