"""Syntax of the strings Kubernetes, OCI registries and OpenSSH accept.

Kept apart from the models so that the same rules serve config validation and the checks
on rendered objects; each rule follows the upstream grammar it names, because a value
that passes here but fails on the API server fails half-way through a ``pulumi up``.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct

# Every rule is anchored with \Z, never $: Python's $ also matches before a trailing
# newline, and a value such as "registry.k8s.io\n" (a YAML block scalar) breaks the files
# it is written into.

# RFC 1123 label: Namespace names, node names (we keep nodes to labels so they also make
# safe file names and Pulumi resource names).
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\Z")
DNS_SUBDOMAIN = re.compile(r"^(?=.{1,253}\Z)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
HOSTNAME = re.compile(r"^(?=.{1,253}\Z)[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*\Z")

# k8s.io/apimachinery validation: qualified names and label values.
_NAME_PART = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]\Z")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?\Z")

# k8s.io/apimachinery/pkg/api/resource Quantity.
QUANTITY = re.compile(r"^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?\Z")

# github.com/distribution/reference grammar (the one containerd and kubelet use).
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?"
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_NAME = rf"(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"  # the grammar's \w is ASCII; Python's is Unicode
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
IMAGE_REPOSITORY = re.compile(rf"^{_NAME}\Z")
IMAGE_REFERENCE = re.compile(rf"^(?P<name>{_NAME})(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?\Z")

KUBERNETES_VERSION = re.compile(r"^v?(?P<major>1)\.(?P<minor>[0-9]{1,2})\.(?P<patch>[0-9]{1,3})\Z")
KUBERNETES_MINOR = re.compile(r"^1\.[0-9]{1,2}\Z")

# A registry host as containerd's hosts.toml directory names it (host[:port]), and a
# mirror's URL (scheme, host[:port], optional path).
REGISTRY_HOST = re.compile(rf"^{_DOMAIN}\Z")
REGISTRY_URL = re.compile(rf"^https?://{_DOMAIN}(?:/[A-Za-z0-9._~%/-]*)?\Z")

# apt sources.list(5): a URI without whitespace or the option brackets, a suite (an exact
# path when it ends with "/", then no components), components; deb-version(7) versions,
# optionally ending in apt's "*" (any version starting with what precedes it).
APT_URL = re.compile(r"^https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?:/[A-Za-z0-9._~%:@+=,;!$&'()*/-]*)?\Z")
APT_SUITE = re.compile(r"^[A-Za-z0-9._~+/-]+\Z")
APT_COMPONENT = re.compile(r"^[A-Za-z0-9._-]+\Z")
DEB_PACKAGE = re.compile(r"^[a-z0-9][a-z0-9.+-]+\Z")
DEB_VERSION = re.compile(r"^(?:[0-9]+:)?[0-9][A-Za-z0-9.+~-]*\*?\Z")
PGP_PUBLIC_KEY = re.compile(
    r"\A\s*-----BEGIN PGP PUBLIC KEY BLOCK-----\n.+\n-----END PGP PUBLIC KEY BLOCK-----\s*\Z", re.DOTALL
)
ABSOLUTE_PATH = re.compile(r"^/[A-Za-z0-9._/+-]*\Z")

# Linux IFNAMSIZ is 16 including the NUL; the kernel's dev_valid_name refuses '/', ':',
# whitespace, "." and ".." (an "eth0:1" is an address label, not an interface).
INTERFACE_NAME = re.compile(r"^(?!\.\.?\Z)[A-Za-z0-9_.-]{1,15}\Z")

# Where spark-submit uploads local application files (spark.kubernetes.file.upload.path):
# a Hadoop FileSystem URI the driver can read back, S3A (bucket names as S3 allows them)
# or HDFS (namenode host and optional port). No credentials in it: those belong in
# spark.hadoop.* settings or the environment, never in a URI printed with every command.
UPLOAD_PATH = re.compile(
    r"^(?:s3a://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]|hdfs://[A-Za-z0-9.-]+(?::[0-9]{1,5})?)(?:/[A-Za-z0-9._~%+=,-]+)*/?\Z"
)

SSH_HOST_KEY_TYPES = (
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
)


def is_qualified_name(key: str) -> bool:
    """A label or taint key: optional DNS-subdomain prefix, '/', and a 63-character name."""
    prefix, slash, name = key.rpartition("/")
    if slash and not DNS_SUBDOMAIN.match(prefix):
        return False
    return bool(_NAME_PART.match(name)) and len(name) <= 63


def is_label_value(value: str) -> bool:
    return len(value) <= 63 and bool(LABEL_VALUE.match(value))


def ssh_host_key_problem(line: str) -> str | None:
    """Why ``line`` is not an authorized_keys-format public host key, or None.

    pulumi-command parses the pinned key with ssh.ParseAuthorizedKey, so we check the same
    shape: ``<type> <base64 blob> [comment]`` with the blob's embedded type matching.
    """
    fields = line.split()
    if len(fields) < 2:
        return "expected '<type> <base64 key>' as printed by ssh-keyscan (without the host name)"
    kind, blob = fields[0], fields[1]
    if kind not in SSH_HOST_KEY_TYPES:
        return f"key type {kind!r} is not one of {', '.join(SSH_HOST_KEY_TYPES)}"
    try:
        parts = _ssh_strings(base64.b64decode(blob, validate=True))
        embedded = parts[0].decode("ascii")
    except (binascii.Error, struct.error, UnicodeDecodeError, ValueError, IndexError):
        return "the key data is not valid base64 of an SSH public key"
    if embedded != kind:
        return f"the key data is a {embedded!r} key but the line says {kind!r}"
    if not _complete_key(kind, parts[1:]):
        return f"the key data is not a well-formed {kind} key (truncated, or with extra data)"
    return None


def _ssh_strings(raw: bytes) -> list[bytes]:
    """The length-prefixed strings (RFC 4251) a public key blob consists of, all of it."""
    parts, offset = [], 0
    while offset < len(raw):
        (length,) = struct.unpack(">I", raw[offset : offset + 4])
        offset += 4
        if offset + length > len(raw):
            raise ValueError("string runs past the end of the key")
        parts.append(raw[offset : offset + length])
        offset += length
    return parts


def _complete_key(kind: str, parts: list[bytes]) -> bool:
    """The key material after the type, as golang.org/x/crypto/ssh parses it (no trailing data)."""
    if kind == "ssh-ed25519":
        return len(parts) == 1 and len(parts[0]) == 32
    if kind.startswith("ecdsa-sha2-"):
        return len(parts) == 2 and parts[0] == kind.removeprefix("ecdsa-sha2-").encode() and bool(parts[1])
    return len(parts) == 2 and all(parts)  # ssh-rsa: exponent and modulus
