"""A static file server over HTTPS: the lab's apt repository host.

    python -I lab/services/https_server.py --root DIR --address A --port P --cert C --key K

Why not ``python -m http.server``: it has no TLS in Python 3.11, and pkgs.k8s.io is
reached over HTTPS; a site's mirror is too. This is that server with the lab's
certificate, serving one directory read-only (symlinks inside it are followed: the
published repository links to the cached .deb files).
"""

from __future__ import annotations

import argparse
import functools
import socket
import ssl
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer


class QuietHandler(SimpleHTTPRequestHandler):
    """Serve files over persistent connections (apt fetches several files per update);
    log one line per request to stderr (the service's log file)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        sys.stderr.write(f"{self.address_string()} {format % args}\n")
        sys.stderr.flush()


class TlsServer(ThreadingHTTPServer):
    """TLS per connection, in the connection's own thread: a slow or broken client's
    handshake never holds up the accept loop."""

    def __init__(self, address: tuple[str, int], handler: type[SimpleHTTPRequestHandler] | functools.partial,
                 context: ssl.SSLContext) -> None:
        super().__init__(address, handler)
        self.context = context

    def finish_request(self, request: socket.socket, client_address: tuple[str, int]) -> None:  # type: ignore[override]
        with self.context.wrap_socket(request, server_side=True) as tls:
            self.RequestHandlerClass(tls, client_address, self)  # type: ignore[arg-type]


def serve(root: str, address: str, port: int, cert: str, key: str) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    with TlsServer((address, port), functools.partial(QuietHandler, directory=root), context) as server:
        server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="https_server.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", required=True)
    parser.add_argument("--address", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    args = parser.parse_args(argv)
    serve(args.root, args.address, args.port, args.cert, args.key)
    return 0


if __name__ == "__main__":
    sys.exit(main())
