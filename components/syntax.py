"""Syntax of the strings Kubernetes, OCI registries, apt and Linux accept.

Kept apart from the models so that the same rules serve config validation and the checks
on rendered objects; each rule follows the upstream grammar it names, because a value
that passes here but fails on the API server fails half-way through a ``pulumi up``.
"""

from __future__ import annotations

import re
from fractions import Fraction

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
_QUANTITY_SUFFIXES = {
    "": 1, "m": Fraction(1, 1000), "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
}


def quantity_value(text: str) -> Fraction:
    """The amount a Kubernetes quantity stands for (``500m`` is 1/2), to compare two."""
    match = QUANTITY.match(text)
    if not match:
        raise ValueError(f"not a quantity: {text}")
    number, suffix = Fraction(match[1]), match[3] or ""
    if suffix[:1] in ("e", "E") and suffix not in _QUANTITY_SUFFIXES:
        return number * Fraction(10) ** int(suffix[1:])
    return number * _QUANTITY_SUFFIXES[suffix]

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

# A login name as useradd(8) and sudo take it: no whitespace or line break (a "root\n"
# would also read as a non-root user and switch on sudo), at most 32 characters.
UNIX_USER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,31}\Z")

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

def is_qualified_name(key: str) -> bool:
    """A label or taint key: optional DNS-subdomain prefix, '/', and a 63-character name."""
    prefix, slash, name = key.rpartition("/")
    if slash and not DNS_SUBDOMAIN.match(prefix):
        return False
    return bool(_NAME_PART.match(name)) and len(name) <= 63


def is_label_value(value: str) -> bool:
    return len(value) <= 63 and bool(LABEL_VALUE.match(value))


# Shapes of credentials: what the secret steps handle (the policy pack looks for them in
# command lines) and what error text never quotes (components/problems.py). A constant
# command (``bash -s -- apply``) has none.
CREDENTIAL_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a kubeadm bootstrap token", re.compile(r"\b[a-z0-9]{6}\.[a-z0-9]{16}\b")),
    ("a CA certificate hash", re.compile(r"sha256:[0-9a-fA-F]{64}")),
    ("a 64-hex-digit key (kubeadm --certificate-key)", re.compile(r"\b[0-9a-fA-F]{64}\b")),
    ("a PEM block", re.compile(r"-----BEGIN [A-Z0-9 ]+-----")),
    (
        "a long random-looking string (base64 key material?)",
        re.compile(r"(?=[A-Za-z0-9+/=_-]*[0-9])(?=[A-Za-z0-9+/=_-]*[a-z])(?=[A-Za-z0-9+/=_-]*[A-Z])[A-Za-z0-9+/=_-]{32,}"),
    ),
)
