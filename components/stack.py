"""Reading a stack's configuration: from ``Pulumi.<stack>.yaml`` or from the Pulumi engine.

A stack file is first turned into exactly what the engine hands the program (the CLI's
YAML rules, components/stack_yaml.py; strings for scalars, JSON for lists and mappings),
then both are read by one function, :func:`settings`, so what ``render`` shows a
reviewer is what ``pulumi up`` would build. ``render`` runs without
the Pulumi CLI and cannot decrypt ``secure:`` values; it only needs to know that the
SSH key is stored as a secret, never its value.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import yaml

from components import stack_yaml
from components.config import Platform, SecretSetting
from components.problems import PROJECT, ConfigError, ConfigProblem, did_you_mean, shown
from components.validation import load_platform

SECRET_KEYS = frozenset({"sshPrivateKey"})
# Namespaces Pulumi itself and the providers this program uses read from a stack file.
FOREIGN_NAMESPACES = frozenset({"pulumi", "kubernetes", "command"})

PROJECT_DIR = Path(__file__).resolve().parent.parent


def project_defaults(project_dir: Path = PROJECT_DIR) -> dict[str, Any]:
    """Defaults declared in Pulumi.yaml's ``config:`` section, as the CLI would apply them."""
    project = yaml.safe_load((project_dir / "Pulumi.yaml").read_text())
    declared = project.get("config") or {}
    return {key: spec["default"] for key, spec in declared.items() if isinstance(spec, dict) and "default" in spec}


def stack_file(stack: str, project_dir: Path = PROJECT_DIR) -> Path:
    return project_dir / f"Pulumi.{stack}.yaml"


class StackFileUnreadable(Exception):
    """The stack file cannot be read as text at all: there is no setting to name, only the
    file, so the message is one line with the path and the fix (``render`` prints it as is)."""


def stack_text(path: Path, stack: str, project_dir: Path = PROJECT_DIR) -> str:
    """The stack file's text, read as Pulumi reads it (UTF-8), or one line saying why not.

    Every way the read can fail (missing, a directory, no permission, not UTF-8) names the
    file and what to do, so ``render`` never ends in a traceback.
    """
    create = f"create it (pulumi stack init {stack}), or pick one of: {', '.join(known_stacks(project_dir)) or '(none yet)'}"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise StackFileUnreadable(f"{path} does not exist; fix: {create}") from None
    except IsADirectoryError:
        raise StackFileUnreadable(f"{path} is a directory, not a stack file; fix: move the directory away and {create}") from None
    except PermissionError:
        raise StackFileUnreadable(f"{path} cannot be read (permission denied); fix: make it readable by this user (chmod u+r {path})") from None
    except OSError as error:
        raise StackFileUnreadable(f"{path} cannot be read ({error.strerror or error}); fix: make it a readable regular file") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise StackFileUnreadable(
            f"{path} is not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}); fix: save it as UTF-8, as Pulumi reads it"
        ) from None


def raw_from_stack_file(stack: str, project_dir: Path = PROJECT_DIR) -> dict[str, Any]:
    """The raw settings of a stack file that reads cleanly (else :class:`ConfigError`)."""
    raw, problems = stack_settings(stack, project_dir)
    if problems:
        raise ConfigError(problems)
    return raw


def stack_settings(stack: str, project_dir: Path = PROJECT_DIR) -> tuple[dict[str, Any], list[ConfigProblem]]:
    """The stack's settings as ``pulumi up`` would hand them to the program, with secrets
    reduced to markers, and the problems found on the way (the caller reports them with
    the rest, so one typo in a namespace hides nothing else)."""
    path = stack_file(stack, project_dir)
    document = stack_yaml.read(stack_text(path, stack, project_dir), path.name)
    values, secret_keys, problems = cli_values(document, path.name, project_defaults(project_dir))
    raw, more = settings(values, secret_keys)
    return raw, [*problems, *more]


def cli_values(document: Any, name: str, defaults: Mapping[str, Any]) -> tuple[dict[str, str], set[str], list[ConfigProblem]]:
    """What the engine hands the program for a decoded stack file: ``namespace:key`` to a
    string (scalars as the CLI prints them, lists and mappings as JSON), and the keys
    stored encrypted. ``render`` cannot decrypt, so an encrypted value becomes a marker."""
    config = document.get("config") if isinstance(document, dict) else document
    if config is None:
        config = {}
    if not isinstance(config, dict):
        problem = ConfigProblem("(stack)", f"{name} has no 'config:' mapping", f"write the settings under 'config:' as '{PROJECT}:<key>: <value>'", qualified=True)
        return {}, set(), [problem]
    values = {f"{PROJECT}:{key}": _cli_text(value) for key, value in defaults.items()}
    secret_keys: set[str] = set()
    problems: list[ConfigProblem] = []
    written: dict[str, str] = {}  # full key -> as the file spells it (a bare key is the project's)
    for key, value in config.items():
        full_key = str(key) if ":" in str(key) else f"{PROJECT}:{key}"  # the CLI puts a bare key in the project's namespace
        if full_key.count(":") > 1:
            problems.append(ConfigProblem(full_key, "is not a configuration key: it has more than one ':' (pulumi refuses the file)", f"write it as {PROJECT}:<setting>, e.g. {PROJECT}:{full_key.rpartition(':')[2]}", qualified=True))
            continue
        if full_key in written:
            problems.append(ConfigProblem(full_key, f"is given twice: as {shown(written[full_key])} and as {shown(str(key))}", "keep one of the two entries", qualified=True))
            continue
        written[full_key] = str(key)
        if isinstance(value, dict) and set(value) == {"secure"}:
            secret_keys.add(full_key)
            value = ENCRYPTED
        values[full_key] = _cli_text(value)
    return values, secret_keys, problems


ENCRYPTED = "[encrypted]"  # what render knows of a value stored with --secret


def _cli_text(value: Any) -> str:
    """A decoded value as the CLI passes it to the program (Go's encoding/json for numbers)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""  # the CLI warns and passes an empty string
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def settings(values: Mapping[str, Any], secret_keys: set[str]) -> tuple[dict[str, Any], list[ConfigProblem]]:
    """Raw settings from the engine's config bag (``namespace:key`` to a string, JSON for
    lists and mappings): the project's own keys, secrets reduced to markers, and a problem
    for each key in a namespace nothing here reads."""
    raw: dict[str, Any] = {}
    problems: list[ConfigProblem] = []
    for full_key, value in values.items():
        namespace, _, key = full_key.partition(":")
        if namespace in FOREIGN_NAMESPACES:
            continue
        if namespace != PROJECT:
            problems.append(ConfigProblem(
                full_key,
                f"unknown namespace {shown(namespace)}: nothing reads it",
                f"write it as {PROJECT}:{key}" + did_you_mean(namespace, [PROJECT, *sorted(FOREIGN_NAMESPACES)]),
                qualified=True,
            ))
            continue
        if key in SECRET_KEYS:
            raw[key] = SecretSetting(stored_as_secret=full_key in secret_keys)
            continue
        if full_key in secret_keys and value == ENCRYPTED:
            problems.append(ConfigProblem(key, "is stored encrypted, but it is not a secret and is needed to render the hosts' files", "store it in plain text (only sshPrivateKey is secret)"))
            continue
        raw[key] = _decode(value)
    return raw, problems


def known_stacks(project_dir: Path = PROJECT_DIR) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))


def load_stack_file(stack: str, project_dir: Path = PROJECT_DIR) -> Platform:
    raw, problems = stack_settings(stack, project_dir)
    return load_platform(raw, stack, earlier=problems)


def _decode(value: Any) -> Any:
    """The engine passes every value as a string; objects and lists arrive as JSON.

    Scalars stay strings (pydantic coerces "6443" to an int where an int is meant), so a
    version such as "1.31" is never mistaken for a float.
    """
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
