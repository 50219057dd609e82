"""Pulumi property values as the engine sends them over gRPC, as plain Python values.

Why a model of our own: the provider protocol carries secrets, unknowns and output
values inside ``google.protobuf.Struct`` as objects tagged with a signature key. The
stand-in's Check, Diff and Create must keep those markers exactly where the real
provider (pulumi-go-provider's ``infer``) keeps them, so they are decoded into
``Secret`` and ``UNKNOWN`` here and encoded back unchanged.

Like pulumi-go-provider's ``getMap`` (``provider.go``: ``SkipNulls: true``), nulls in
objects are dropped on decode.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format, struct_pb2

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


@dataclass(frozen=True)
class Secret:
    """A value the engine must keep secret (in state, logs and the program)."""

    value: Any


class _Unknown:
    """A value not known yet (preview): one instance, compared by identity."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


def decode_value(value: Any) -> Any:
    """A JSON-shaped value from a Struct into the model (Secret, UNKNOWN, plain)."""
    if value == UNKNOWN_VALUE:
        return UNKNOWN
    if isinstance(value, list):
        return [decode_value(item) for item in value]
    if isinstance(value, dict):
        signature = value.get(SIG_KEY)
        if signature == SECRET_SIG:
            return make_secret(decode_value(value.get("value")))
        if signature == OUTPUT_SIG:
            # An output value (dependencies dropped): its element, secret or unknown.
            inner = decode_value(value["value"]) if "value" in value else UNKNOWN
            return make_secret(inner) if value.get("secret") else inner
        return {key: decode_value(item) for key, item in value.items() if item is not None}
    return value


def encode_value(value: Any) -> Any:
    """The model back into a JSON-shaped value for a Struct."""
    if value is UNKNOWN:
        return UNKNOWN_VALUE
    if isinstance(value, Secret):
        return {SIG_KEY: SECRET_SIG, "value": encode_value(value.value)}
    if isinstance(value, list):
        return [encode_value(item) for item in value]
    if isinstance(value, dict):
        return {key: encode_value(item) for key, item in value.items()}
    return value


def from_struct(struct: struct_pb2.Struct | None) -> dict[str, Any]:
    if struct is None:
        return {}
    return decode_value(json_format.MessageToDict(struct))


def to_struct(properties: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(encode_value(properties))
    return struct


def make_secret(value: Any) -> Any:
    """Secret once, never nested directly in another Secret (pulumi's MakeSecret)."""
    return value if isinstance(value, Secret) else Secret(value)


def reveal(value: Any) -> Any:
    """The plain value with every secret marker removed (for running commands)."""
    if isinstance(value, Secret):
        return reveal(value.value)
    if isinstance(value, list):
        return [reveal(item) for item in value]
    if isinstance(value, dict):
        return {key: reveal(item) for key, item in value.items()}
    return value


def contains_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, Secret):
        return contains_unknown(value.value)
    if isinstance(value, list):
        return any(contains_unknown(item) for item in value)
    if isinstance(value, dict):
        return any(contains_unknown(item) for item in value.values())
    return False
