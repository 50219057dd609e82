"""A program run inside this Python process, for a toolchain without the Python language host.

The CLI's ``--client ADDRESS`` (what the Automation API's inline programs use) makes the
engine talk to an already running LanguageRuntime instead of starting
``pulumi-language-python``; the runtime here is the Pulumi SDK's own
(``pulumi.automation._server.LanguageServer``) running ``program`` in this process. The
engine, the providers and the state are the real ones; only the Go language host (and
with it, Python policy packs) is skipped.

The server listens on a unix socket, not on 127.0.0.1: a CLI wrapped into a lab's
fabric namespace has its own loopback, but reaches a socket file.
"""

from __future__ import annotations

import gc
import tempfile
from collections.abc import Callable, Iterator
from concurrent import futures
from contextlib import contextmanager
from pathlib import Path

import grpc
from pulumi.automation._server import LanguageServer
from pulumi.runtime.proto import language_pb2_grpc

from .cli import DriverError

MAX_MESSAGE_BYTES = 400 * 1024 * 1024
Program = Callable[[], None]


@contextmanager
def language_server(program: Program) -> Iterator[list[str]]:
    """The CLI arguments that point the engine at ``program`` served in-process."""
    directory = Path(tempfile.mkdtemp(prefix="som-drv-inline-"))
    socket = directory / "language.sock"
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=4),
        options=[("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                 ("grpc.max_send_message_length", MAX_MESSAGE_BYTES)],
    )
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(LanguageServer(program), server)
    if not server.add_insecure_port(f"unix://{socket}"):
        raise DriverError(f"cannot listen on {socket}")
    server.start()
    try:
        yield [f"--client=unix://{socket}", "--exec-kind", "auto.inline"]
    finally:
        server.stop(grace=None)
        socket.unlink(missing_ok=True)
        directory.rmdir()
        # A run the engine abandoned leaves the SDK's coroutine behind; finalize it now,
        # not at interpreter exit where its complaint would land outside any run.
        gc.collect()
