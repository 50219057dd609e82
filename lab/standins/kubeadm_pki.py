"""Real certificates, tokens and kubeconfigs for the kubeadm stand-in.

The CA is a real one made with openssl, so that the scripts under test compute the
discovery hash (`openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256`)
against a real certificate, and kubeconfigs embed a real CA and client certificate.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import string
import subprocess
import tempfile
from pathlib import Path

import yaml

TOKEN_ALPHABET = string.ascii_lowercase + string.digits


def openssl(*args: str, stdin: bytes | None = None) -> bytes:
    result = subprocess.run(["openssl", *args], input=stdin, capture_output=True)
    if result.returncode:
        raise RuntimeError(f"openssl {args[0]} failed: {result.stderr.decode(errors='replace')}")
    return result.stdout


def key_args(algorithm: str) -> list[str]:
    """openssl -newkey arguments for a kubeadm encryptionAlgorithm value."""
    if algorithm.startswith("ECDSA-P"):
        return ["-newkey", "ec", "-pkeyopt", f"ec_paramgen_curve:P-{algorithm.removeprefix('ECDSA-P')}"]
    return ["-newkey", f"rsa:{algorithm.removeprefix('RSA-')}"]


def make_ca(pki: Path, algorithm: str) -> None:
    """/etc/kubernetes/pki/ca.crt and ca.key, as kubeadm's certs/ca phase writes them."""
    pki.mkdir(parents=True, exist_ok=True)
    openssl("req", "-x509", "-new", *key_args(algorithm), "-nodes", "-days", "3650",
            "-subj", "/CN=kubernetes", "-keyout", str(pki / "ca.key"), "-out", str(pki / "ca.crt"),
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign")
    (pki / "ca.key").chmod(0o600)


def make_client_cert(ca_dir: Path, algorithm: str, subject: str) -> tuple[bytes, bytes]:
    """A client certificate signed by the CA in ca_dir: (cert PEM, key PEM)."""
    with tempfile.TemporaryDirectory() as tmp:
        key_file = Path(tmp) / "client.key"
        csr = openssl("req", "-new", *key_args(algorithm), "-nodes", "-subj", subject, "-keyout", str(key_file))
        cert = openssl("x509", "-req", "-CA", str(ca_dir / "ca.crt"), "-CAkey", str(ca_dir / "ca.key"),
                       "-set_serial", str(secrets.randbits(63)), "-days", "365", stdin=csr)
        return cert, key_file.read_bytes()


def ca_cert_hash(ca_crt: Path) -> str:
    """sha256:<hex> of the CA's DER SubjectPublicKeyInfo, as kubeadm prints it."""
    pubkey = openssl("x509", "-pubkey", "-noout", "-in", str(ca_crt))
    der = openssl("pkey", "-pubin", "-outform", "DER", stdin=pubkey)
    return "sha256:" + hashlib.sha256(der).hexdigest()


def kubeconfig(server: str, cluster_name: str, user: str, ca_pem: bytes, cert: bytes, key: bytes) -> str:
    """A kubeconfig shaped like the ones kubeadm writes."""
    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    context = f"{user}@{cluster_name}"
    return yaml.safe_dump({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster_name, "cluster": {"server": server, "certificate-authority-data": b64(ca_pem)}}],
        "contexts": [{"name": context, "context": {"cluster": cluster_name, "user": user}}],
        "current-context": context,
        "preferences": {},
        "users": [{"name": user, "user": {"client-certificate-data": b64(cert), "client-key-data": b64(key)}}],
    }, sort_keys=False)


def new_token() -> str:
    """A bootstrap token: [a-z0-9]{6}.[a-z0-9]{16}."""
    def pick(length: int) -> str:
        return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(length))

    return f"{pick(6)}.{pick(16)}"


def new_certificate_key() -> str:
    """A certificate key: a 32-byte AES key as 64 hex characters."""
    return secrets.token_hex(32)
