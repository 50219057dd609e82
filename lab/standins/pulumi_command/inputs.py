"""The inputs of ``command:remote:Command`` and their Check, as pulumi-command v1.2.1 has them.

Read from the real provider (pulumi-command tag v1.2.1, ``provider/pkg/provider``):
``common/inputs.go`` (triggers, create, update, delete), ``remote/command.go`` (stdin,
logging, connection, environment, addPreviousOutputInEnv; ``connection`` tagged
``provider:"secret"``), ``remote/connection.go`` (the connection fields; defaults
user ``root``, port 22, dialErrorLimit 10, perDialTimeout 15; password, privateKey and
privateKeyPassword tagged secret). pulumi-go-provider v1.3.0 ``infer`` does the rest:
Check decodes into those structs (unknown or missing fields become check failures with
the ``mapper`` package's messages), applies the defaults and marks the secret fields
(``infer/apply_secrets.go``); secrets already present stay where they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .properties import UNKNOWN, Secret, make_secret

COMMAND_TYPE = "command:remote:Command"
COMMAND_GO_TYPE = "remote.CommandInputs"
CONNECTION_GO_TYPE = "remote.Connection"
PROXY_GO_TYPE = "remote.ProxyConnection"

# infer marks these top-level inputs replaceOnChanges (common/inputs.go: Triggers).
REPLACE_ON_CHANGES = frozenset({"triggers"})

CONNECTION_DEFAULTS: dict[str, Any] = {"user": "root", "port": 22.0, "dialErrorLimit": 10.0, "perDialTimeout": 15.0}
CONNECTION_SECRETS = frozenset({"password", "privateKey", "privateKeyPassword"})


@dataclass(frozen=True)
class Failure:
    """One CheckFailure: the property and the mapper's reason."""

    property: str
    reason: str


Validator = Callable[[Any], bool]


def _is_string(value: Any) -> bool:
    return isinstance(value, str)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    return _is_number(value) and float(value).is_integer()


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_list(value: Any) -> bool:
    return isinstance(value, list)


def _is_string_map(value: Any) -> bool:
    return isinstance(value, dict) and all(
        item is UNKNOWN or isinstance(_plain(item), str) for item in value.values()
    )


def _is_object(value: Any) -> bool:
    return isinstance(value, dict)


# field -> (validator, Go type name for the mapper's message)
_CONNECTION_BASE: dict[str, tuple[Validator, str]] = {
    "user": (_is_string, "string"),
    "password": (_is_string, "string"),
    "host": (_is_string, "string"),
    "port": (_is_number, "float64"),
    "privateKey": (_is_string, "string"),
    "privateKeyPassword": (_is_string, "string"),
    "agentSocketPath": (_is_string, "string"),
    "dialErrorLimit": (_is_integer, "int"),
    "perDialTimeout": (_is_integer, "int"),
    "hostKey": (_is_string, "string"),
}
CONNECTION_FIELDS: dict[str, tuple[Validator, str]] = {**_CONNECTION_BASE, "proxy": (_is_object, "remote.ProxyConnection")}
COMMAND_FIELDS: dict[str, tuple[Validator, str]] = {
    "triggers": (_is_list, "[]interface {}"),
    "create": (_is_string, "string"),
    "update": (_is_string, "string"),
    "delete": (_is_string, "string"),
    "stdin": (_is_string, "string"),
    "logging": (_is_string, "remote.Logging"),
    "connection": (_is_object, "remote.Connection"),
    "environment": (_is_string_map, "map[string]string"),
    "addPreviousOutputInEnv": (_is_bool, "bool"),
}


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Secret) else value


def _check_object(
    value: dict[str, Any], fields: dict[str, tuple[Validator, str]], go_type: str, required: tuple[str, ...]
) -> list[Failure]:
    failures = [
        Failure(name, f"Missing required field '{name}' on '{go_type}'") for name in required if name not in value
    ]
    for name, item in value.items():
        if name not in fields:
            failures.append(Failure(name, f"Unrecognized field '{name}' on '{go_type}'"))
            continue
        plain = _plain(item)
        validator, expected = fields[name]
        if plain is UNKNOWN or validator(plain):
            continue
        failures.append(
            Failure(name, f"Field '{name}' on '{go_type}' must be a '{expected}'; got '{_go_type_name(plain)}' instead")
        )
    return failures


def _go_type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "[]interface {}"
    return "map[string]interface {}"


def _with_connection_defaults(connection: dict[str, Any], fields: dict[str, tuple[Validator, str]]) -> dict[str, Any]:
    """Defaults for the fields that are absent, then the secret fields marked."""
    filled = {**CONNECTION_DEFAULTS, **connection}
    marked = {
        name: make_secret(item) if name in CONNECTION_SECRETS else item for name, item in filled.items()
    }
    proxy = _plain(marked.get("proxy"))
    if "proxy" in fields and isinstance(proxy, dict):
        checked = _with_connection_defaults(proxy, _CONNECTION_BASE)
        marked["proxy"] = Secret(checked) if isinstance(marked["proxy"], Secret) else checked
    return marked


def check(news: dict[str, Any]) -> tuple[dict[str, Any], list[Failure]]:
    """The checked inputs and the failures, as infer's default Check returns them.

    On failures the inputs come back unchanged but with the secret fields marked, as
    infer does ("we apply secrets pro-actively to ensure that they don't leak into
    previews").
    """
    failures = _check_object(news, COMMAND_FIELDS, COMMAND_GO_TYPE, ("connection",))
    connection = news.get("connection")
    plain_connection = _plain(connection)
    if isinstance(plain_connection, dict):
        failures += _check_object(plain_connection, CONNECTION_FIELDS, CONNECTION_GO_TYPE, ("host",))
        proxy = _plain(plain_connection.get("proxy"))
        if isinstance(proxy, dict):
            failures += _check_object(proxy, _CONNECTION_BASE, PROXY_GO_TYPE, ("host",))
    checked = dict(news)
    if isinstance(plain_connection, dict) and not failures:
        checked["connection"] = _with_connection_defaults(plain_connection, CONNECTION_FIELDS)
    elif isinstance(plain_connection, dict):
        checked["connection"] = {
            name: make_secret(item) if name in CONNECTION_SECRETS else item for name, item in plain_connection.items()
        }
    if "connection" in checked:
        checked["connection"] = make_secret(checked["connection"])
    return checked, failures
