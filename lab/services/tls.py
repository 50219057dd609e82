"""The lab's certificate authority and the services' server certificate (openssl).

Why a lab CA rather than self-signed server certificates: every client (containerd's
hosts.toml, skopeo's cert dir, curl, apt) is given one CA file and then verifies the
server by name, as it would against a site's internal CA. Keys are created under
umask 077 in the lab's state dir and never leave it; only certificates are handed out.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..proc import run

DAYS = "30"
CURVE = "prime256v1"


@dataclass(frozen=True)
class TlsFiles:
    directory: Path

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca.key"

    @property
    def server_cert(self) -> Path:
        return self.directory / "server.crt"

    @property
    def server_key(self) -> Path:
        return self.directory / "server.key"

    @property
    def keys(self) -> tuple[Path, Path]:
        return (self.ca_key, self.server_key)


def _openssl(*args: str) -> None:
    """openssl with umask 077: every key it writes is 0600 from its first byte."""
    run(["sh", "-c", 'umask 077 && exec openssl "$@"', "openssl", *args])


def server_extensions(hostnames: Sequence[str], addresses: Sequence[str]) -> str:
    """x509v3 extensions of the server certificate: names clients verify, server use only."""
    names = [f"DNS:{h}" for h in hostnames] + [f"IP:{a}" for a in addresses]
    return (
        "basicConstraints = critical, CA:FALSE\n"
        "keyUsage = critical, digitalSignature, keyEncipherment\n"
        "extendedKeyUsage = serverAuth\n"
        f"subjectAltName = {', '.join(names)}\n"
    )


def create(directory: Path, lab_id: str, hostnames: Sequence[str], addresses: Sequence[str]) -> TlsFiles:
    """A fresh CA and a server certificate for hostnames and addresses, signed by it."""
    files = TlsFiles(directory)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", f"ec_paramgen_curve:{CURVE}", "-nodes",
             "-keyout", str(files.ca_key), "-out", str(files.ca_cert), "-days", DAYS,
             "-subj", f"/O=spark-on-metal lab/CN=som-lab-{lab_id} CA",
             "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    request = directory / "server.csr"
    extensions = directory / "server.ext"
    extensions.write_text(server_extensions(hostnames, addresses))
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", f"ec_paramgen_curve:{CURVE}", "-nodes",
             "-keyout", str(files.server_key), "-out", str(request),
             "-subj", f"/O=spark-on-metal lab/CN={hostnames[0]}")
    _openssl("x509", "-req", "-in", str(request), "-CA", str(files.ca_cert), "-CAkey", str(files.ca_key),
             "-set_serial", "0x" + secrets.token_hex(16), "-days", DAYS, "-extfile", str(extensions),
             "-out", str(files.server_cert))
    request.unlink()
    for certificate in (files.ca_cert, files.server_cert):
        certificate.chmod(0o644)
    return files
