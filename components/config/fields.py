"""Field types of the stack configuration and their checks: one rule per kind of value
(names, images, quantities, addresses, ports, users), each failing with the value as
shown safely and a fix that says what to write."""

from __future__ import annotations

import re
from ipaddress import IPv4Address, IPv4Network
from typing import Annotated, Callable, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

from components import syntax
from components.problems import invalid, kind_of, shown

Role = Literal["control-plane", "worker", "dns"]
TaintEffect = Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]



class Model(BaseModel):
    """Strict base: unknown keys are errors (a typo must never be silently ignored)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True, strict=False
    )


# ---------------------------------------------------------------------------- field types


def dns_label(what: str):
    def check(value: str) -> str:
        if not syntax.DNS_LABEL.match(value):
            raise invalid(
                f"{shown(value)} is not a valid {what} (RFC 1123 label)",
                "use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit",
            )
        return value

    return check


def _image_reference(value: str) -> str:
    match = syntax.IMAGE_REFERENCE.match(value)
    if not match:
        raise invalid(
            f"{shown(value)} is not a valid image reference",
            "write it as [registry[:port]/]path:tag or path@sha256:<digest>, lower-case path",
        )
    if not (match["tag"] or match["digest"]):
        raise invalid(
            f"image {shown(value)} has no tag or digest (it would float to ':latest')",
            f"pin it, e.g. {value}:<version> or {value}@sha256:<digest>",
        )
    return value


def image_repository(value: str) -> str:
    if not syntax.IMAGE_REPOSITORY.match(value):
        raise invalid(
            f"{shown(value)} is not a valid image repository",
            "give a registry and optional path without a tag, e.g. registry.k8s.io or mirror.example.com:5000/k8s",
        )
    return value


def _quantity(value: str) -> str:
    if not syntax.QUANTITY.match(value):
        raise invalid(
            f"{shown(value)} is not a Kubernetes quantity", "write e.g. '500m', '4', '16Gi' (see the Kubernetes quantity format)"
        )
    return value


def _interface(value: str) -> str:
    if not syntax.INTERFACE_NAME.match(value):
        raise invalid(f"{shown(value)} is not a valid Linux interface name", "use 1 to 15 letters, digits, '_', '.', '-'")
    return value


def _labels(value: dict[str, str]) -> dict[str, str]:
    for key, label_value in value.items():
        label_pair(key, label_value)
    return value


def label_pair(key: str, value: str) -> None:
    if not syntax.is_qualified_name(key):
        raise invalid(
            f"{shown(key)} is not a valid label key", "use [dns-prefix/]name, name at most 63 characters of [A-Za-z0-9-_.]"
        )
    if not syntax.is_label_value(value):
        raise invalid(
            f"{shown(value)} (for {shown(key)}) is not a valid label value", "use at most 63 characters of [A-Za-z0-9-_.]"
        )


def kubernetes_version(value: str) -> str:
    """The release's syntax; whether it is supported is a check of its own (validation.py),
    since that depends on the date and on allowEndOfLife."""
    if not syntax.KUBERNETES_VERSION.match(value):
        raise invalid(f"{shown(value)} is not a Kubernetes release", "write MAJOR.MINOR.PATCH, e.g. 1.35.4")
    return value.removeprefix("v")


def minor_name(value: str) -> str:
    if not syntax.KUBERNETES_MINOR.match(value):
        raise invalid(f"{shown(value)} is not a Kubernetes minor release", "write it quoted as '1.<minor>', e.g. '1.35'")
    return value


def _pattern(rule: re.Pattern[str], what: str, fix: str) -> Callable[[str], str]:
    """A field check: ``value`` must match ``rule``, else '<value> is not <what>' with ``fix``."""

    def check(value: str) -> str:
        if not rule.match(value):
            raise invalid(f"{shown(value)} is not {what}", fix)
        return value

    return check


def unset_if_empty(value: object) -> object:
    """Pulumi.yaml declares apiEndpoint with default "" (a declared key needs a default)."""
    return None if value == "" else value


def api_endpoint(value: str | None) -> str | None:
    if value is not None and not syntax.HOSTNAME.match(value):
        raise invalid(
            f"{shown(value)} is not a host name or IPv4 address",
            "give the load balancer's or first control-plane node's DNS name or IP, without scheme or port (see apiPort)",
        )
    if value is not None and value.rpartition(".")[2].isdigit():
        # No top-level domain is all digits (RFC 3696), so this is meant as an address.
        try:
            IPv4Address(value)
        except ValueError:
            raise invalid(
                f"{shown(value)} is not an IPv4 address (four numbers from 0 to 255)",
                "correct the address, e.g. 10.0.0.10, or give a DNS name",
            ) from None
    return value


def _whole_number(value: object) -> object:
    """YAML's true is no number, but pydantic's lax int would read it as 1 (port 1)."""
    if isinstance(value, bool):
        raise invalid(f"{kind_of(value)} is not a number", "write a whole number without quotes")
    return value


def _address_text(what: str, example: str) -> Callable[[object], object]:
    """Addresses are written as text: pydantic would read the number 167772161 as 10.0.0.1."""

    def check(value: object) -> object:
        if not isinstance(value, str):
            raise invalid(f"{kind_of(value)} is not {what}", f"write {what} in dotted form, e.g. {example}")
        return value

    return check


def _ssh_user(value: str) -> str:
    if not syntax.UNIX_USER.match(value):
        raise invalid(
            f"{shown(value)} is not a user name (it is empty, or has spaces, a line break or other characters ssh and sudo refuse)",
            "write the login name alone, e.g. root or deploy (up to 32 letters, digits, '_', '.', '-')",
        )
    return value


AptUrl = Annotated[str, AfterValidator(_pattern(syntax.APT_URL, "an apt repository URL", "give http(s)://host[:port]/path, e.g. https://pkgs.k8s.io/core:/stable:/v1.35/deb/"))]
AptSuite = Annotated[str, AfterValidator(_pattern(syntax.APT_SUITE, "an apt suite", "give a suite name (bookworm) or, for a flat repository, a path ending in '/' (the default '/')"))]
AptComponent = Annotated[str, AfterValidator(_pattern(syntax.APT_COMPONENT, "an apt component", "give a component name, e.g. stable or main"))]
DebPackage = Annotated[str, AfterValidator(_pattern(syntax.DEB_PACKAGE, "a Debian package name", "give the package's name, e.g. containerd.io"))]
DebVersion = Annotated[str, AfterValidator(_pattern(syntax.DEB_VERSION, "a Debian package version", "give an exact version (2.2.9-1.1) or a prefix ending in '*' (2.2.*)"))]
AbsolutePath = Annotated[str, AfterValidator(_pattern(syntax.ABSOLUTE_PATH, "an absolute path", "give the file's absolute path on the hosts, e.g. /etc/ssl/certs/mirror-ca.pem"))]
RegistryHost = Annotated[str, AfterValidator(_pattern(syntax.REGISTRY_HOST, "a registry host", "give the registry as images name it: host[:port], e.g. docker.io or mirror.example.com:5000"))]
RegistryUrl = Annotated[str, AfterValidator(_pattern(syntax.REGISTRY_URL, "a registry URL", "give https://host[:port][/path] of the mirror, e.g. https://mirror.example.com:5000"))]
NodeName = Annotated[str, AfterValidator(dns_label("node name"))]
NamespaceName = Annotated[str, AfterValidator(dns_label("namespace name"))]
ImageReference = Annotated[str, AfterValidator(_image_reference)]
Quantity = Annotated[str, AfterValidator(_quantity)]
InterfaceName = Annotated[str, AfterValidator(_interface)]
Labels = Annotated[dict[str, str], AfterValidator(_labels)]
Whole = Annotated[int, BeforeValidator(_whole_number)]
Port = Annotated[Whole, Field(ge=1, le=65535)]
Address = Annotated[IPv4Address, BeforeValidator(_address_text("an IPv4 address", "10.0.0.11"))]
Network = Annotated[IPv4Network, BeforeValidator(_address_text("an IPv4 network", "10.0.0.0/24"))]
SshUser = Annotated[str, AfterValidator(_ssh_user)]


