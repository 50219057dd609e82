"""Reading and checking kubeadm --config files the way kubeadm does, and stricter.

Where the stand-in follows the real kubeadm (cmd/kubeadm/app/util/config/*.go):
- multi-document YAML, one document per kind, `apiVersion` and `kind` mandatory, a kind
  given twice is an error;
- old API versions are refused with kubeadm's own message (common.go,
  validateSupportedVersion), v1beta4 is experimental before v1.31;
- a field of the wrong type (e.g. a v1beta3 map where v1beta4 wants a list of
  {name, value}) fails decoding.
Where it is stricter, on purpose (a silently ignored field is a bug in our scripts):
- unknown fields are errors; `kubeadm init/join` only WARN on them (documentMapTo*
  call VerifyUnmarshalStrict with strictErrors=false), `kubeadm config validate` errors;
- unknown kinds are errors; kubeadm ignores them with a warning;
- discovery.bootstrapToken.unsafeSkipCAVerification: true is refused (kubeadm allows it).
"""

from __future__ import annotations

import datetime
import ipaddress
import re
import sys
from dataclasses import dataclass
from typing import Any

import yaml

from .kubeadm_schema import (
    ANY, BOOL, COMPONENT_CONFIGS, DURATION, ENCRYPTION_ALGORITHMS, INT, KUBEADM_VERSIONS,
    STR, TIME, Spec,
)

TOKEN = re.compile(r"^[a-z0-9]{6}\.[a-z0-9]{16}$")
CA_CERT_HASH = re.compile(r"^sha256:[0-9a-f]{64}$")
CERTIFICATE_KEY = re.compile(r"^[0-9a-f]{64}$")
GO_DURATION = re.compile(r"^[-+]?(0|((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+)$")
OLD_API_VERSIONS = {
    "kubeadm.k8s.io/v1alpha1": "v1.11", "kubeadm.k8s.io/v1alpha2": "v1.12",
    "kubeadm.k8s.io/v1alpha3": "v1.14", "kubeadm.k8s.io/v1beta1": "v1.15",
    "kubeadm.k8s.io/v1beta2": "v1.22",
}


class ConfigError(Exception):
    """The configuration would make the real kubeadm (or our policy) fail."""


@dataclass
class KubeadmConfig:
    """The documents of one config file, by kind, with the file's text."""

    text: str
    docs: dict[str, dict[str, Any]]

    def get(self, kind: str) -> dict[str, Any]:
        return self.docs.get(kind) or {}

    def api_version(self, kind: str) -> str | None:
        return self.get(kind).get("apiVersion")


def load(path: str, kubeadm_minor: int) -> KubeadmConfig:
    """Parse and check a kubeadm config file for a kubeadm of the given minor version."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as exc:
        raise ConfigError(f'unable to read config from "{path}" : {exc}') from exc
    return parse(text, kubeadm_minor)


def parse(text: str, kubeadm_minor: int) -> KubeadmConfig:
    try:
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        raise ConfigError(f"error converting YAML to JSON: {exc}") from exc
    docs: dict[str, dict[str, Any]] = {}
    for doc in documents:
        if not isinstance(doc, dict) or not doc.get("apiVersion") or not doc.get("kind"):
            raise ConfigError("invalid configuration: kind and apiVersion is mandatory information that must "
                              "be specified")
        api_version, kind = doc["apiVersion"], doc["kind"]
        if kind in docs:
            raise ConfigError(f'invalid configuration: kind "{kind}" is specified twice in YAML file')
        spec = kind_spec(api_version, kind, kubeadm_minor)
        errors = check_value(doc, spec, kind)
        if errors:
            raise ConfigError(f'strict decoding error: {"; ".join(errors)}')
        docs[kind] = doc
    config = KubeadmConfig(text, docs)
    check_semantics(config)
    return config


def kind_spec(api_version: str, kind: str, kubeadm_minor: int) -> Spec:
    """The schema for a document, after kubeadm's API-version gate."""
    if (api_version, kind) in COMPONENT_CONFIGS:
        return COMPONENT_CONFIGS[(api_version, kind)]
    if api_version in OLD_API_VERSIONS:
        raise ConfigError(old_api_message(api_version, kind, OLD_API_VERSIONS[api_version]))
    if api_version == "kubeadm.k8s.io/v1beta3":
        if kubeadm_minor >= 37:
            raise ConfigError(old_api_message(api_version, kind, "v1.36"))
        if kubeadm_minor >= 31:
            print(f'W: your configuration file uses a deprecated API spec: "{api_version}" (kind: "{kind}"). '
                  "Please use 'kubeadm config migrate --old-config old.yaml --new-config new.yaml', which will "
                  "write the new, similar spec using a newer API version.", file=sys.stderr)
    if api_version == "kubeadm.k8s.io/v1beta4" and 28 <= kubeadm_minor < 31:
        raise ConfigError(f'experimental API spec: "{api_version}" (kind: "{kind}") is not allowed. '
                          "You can use the --allow-experimental-api flag if the command supports it.")
    kinds = KUBEADM_VERSIONS.get(api_version) if kubeadm_version_knows(api_version, kubeadm_minor) else None
    if kinds is None or kind not in kinds:
        raise ConfigError(f'unknown configuration APIs: no kind "{kind}" is registered for version "{api_version}"')
    return kinds[kind]


def kubeadm_version_knows(api_version: str, minor: int) -> bool:
    first = {"kubeadm.k8s.io/v1beta3": 22, "kubeadm.k8s.io/v1beta4": 28}
    return minor >= first.get(api_version, 10**6)


def old_api_message(api_version: str, kind: str, use: str) -> str:
    return (f'your configuration file uses an old API spec: "{api_version}" (kind: "{kind}"). '
            f"Please use kubeadm {use} instead and run 'kubeadm config migrate --old-config old.yaml "
            "--new-config new.yaml', which will write the new, similar spec using a newer API version.")


def check_value(value: Any, spec: Spec, path: str) -> list[str]:
    """Type-check a decoded YAML value against a spec; return the errors found."""
    if value is None or spec == ANY:
        return []
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            return [f"{path}: expected an object, got {type(value).__name__}"]
        errors = [f'unknown field "{path}.{key}"' for key in value if key not in spec]
        for key, sub in value.items():
            if key in spec:
                errors += check_value(sub, spec[key], f"{path}.{key}")
        return errors
    if isinstance(spec, tuple):
        container, item = spec
        expected = list if container == "list" else dict
        if not isinstance(value, expected):
            return [f"{path}: cannot unmarshal {type(value).__name__} into Go value of type {container}"]
        items = list(enumerate(value)) if isinstance(value, list) else list(value.items())
        return [e for key, sub in items for e in check_value(sub, item, f"{path}[{key}]")]
    return [] if scalar_ok(value, spec) else [f"{path}: {value!r} is not a valid {spec}"]


def scalar_ok(value: Any, spec: str) -> bool:
    if spec == BOOL:
        return isinstance(value, bool)
    if spec == INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if spec == TIME:
        return isinstance(value, (str, datetime.datetime, datetime.date))
    if spec == DURATION:
        return isinstance(value, str) and bool(GO_DURATION.match(value))
    return spec == STR and isinstance(value, str)


def check_semantics(config: KubeadmConfig) -> None:
    """The value checks kubeadm's validation (and our policy) make after decoding."""
    errors = []
    init, cluster, join = (config.get(k) for k in ("InitConfiguration", "ClusterConfiguration", "JoinConfiguration"))
    for i, token in enumerate(init.get("bootstrapTokens") or []):
        # An empty token is generated by kubeadm (SetBootstrapTokensDynamicDefaults in
        # cmd/kubeadm/app/util/config/initconfiguration.go); a given one must be well formed.
        if token.get("token"):
            errors += check_token(token.get("token"), f"bootstrapTokens[{i}].token")
    errors += check_certificate_key(init.get("certificateKey"), "InitConfiguration.certificateKey")
    for field in ("podSubnet", "serviceSubnet"):
        errors += check_cidrs((cluster.get("networking") or {}).get(field), f"networking.{field}")
    algorithm = cluster.get("encryptionAlgorithm")
    if algorithm and algorithm not in ENCRYPTION_ALGORITHMS:
        errors.append(f"encryptionAlgorithm: unsupported value {algorithm!r}")
    if join:
        errors += check_join(join)
    if errors:
        raise ConfigError("; ".join(errors))


def check_join(join: dict[str, Any]) -> list[str]:
    discovery = join.get("discovery") or {}
    token = discovery.get("bootstrapToken")
    if not token and not discovery.get("file"):
        return ["discovery: Invalid value: bootstrapToken or file must be set"]
    control_plane = join.get("controlPlane") or {}
    errors = check_certificate_key(control_plane.get("certificateKey"), "controlPlane.certificateKey")
    if discovery.get("tlsBootstrapToken"):
        errors += check_token(discovery["tlsBootstrapToken"], "discovery.tlsBootstrapToken")
    if not token:
        return errors
    errors += check_token(token.get("token"), "discovery.bootstrapToken.token")
    if not split_endpoint(token.get("apiServerEndpoint")):
        errors.append(f"discovery.bootstrapToken.apiServerEndpoint: Invalid value: {token.get('apiServerEndpoint')!r}: "
                      "must be host:port")
    if token.get("unsafeSkipCAVerification"):
        errors.append("discovery.bootstrapToken.unsafeSkipCAVerification: refused by the som-lab stand-in: "
                      "pin the CA with caCertHashes")
    hashes = token.get("caCertHashes") or []
    if not hashes:
        errors.append("discovery.bootstrapToken.caCertHashes: Invalid value: using token-based discovery without "
                      "caCertHashes can be unsafe")
    errors += [f"discovery.bootstrapToken.caCertHashes: Invalid value: {h!r}: must be sha256:<64 hex>"
               for h in hashes if not CA_CERT_HASH.match(str(h))]
    return errors


def check_token(token: Any, field: str) -> list[str]:
    if TOKEN.match(str(token or "")):
        return []
    return [f"{field}: Invalid value: {token!r}: the bootstrap token is invalid (want [a-z0-9]{{6}}.[a-z0-9]{{16}})"]


def check_certificate_key(key: Any, field: str) -> list[str]:
    if key is None or CERTIFICATE_KEY.match(str(key)):
        return []
    return [f"{field}: Invalid value: {key!r}: must be a 32-byte AES key as 64 hex characters"]


def check_cidrs(value: Any, field: str) -> list[str]:
    if not value:
        return []
    try:
        for cidr in str(value).split(","):
            ipaddress.ip_network(cidr.strip())
    except ValueError as exc:
        return [f"{field}: Invalid value: {value!r}: {exc}"]
    return []


def split_endpoint(endpoint: Any) -> tuple[str, int] | None:
    """host:port -> (host, port); None when it is not of that shape."""
    match = re.match(r"^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$", str(endpoint or ""))
    if not match or not 0 < int(match.group(2)) < 65536:
        return None
    return match.group(1), int(match.group(2))


def extra_args(component: dict[str, Any]) -> list[tuple[str, str]]:
    """extraArgs as (name, value) pairs, whichever API version wrote them."""
    raw = component.get("extraArgs") or []
    if isinstance(raw, dict):
        return [(str(k), str(v)) for k, v in raw.items()]
    return [(str(a["name"]), str(a["value"])) for a in raw]


def duration_seconds(text: str) -> float:
    """A Go duration ("24h0m0s", "1.5h", "0") in seconds."""
    if not GO_DURATION.match(text):
        raise ConfigError(f'invalid duration "{text}"')
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
    parts = re.findall(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)", text)
    return sum(float(number) * units[unit] for number, unit in parts)
