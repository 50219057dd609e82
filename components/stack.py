"""Reading a stack's configuration: from ``Pulumi.<stack>.yaml`` or from the Pulumi engine.

Both paths produce the same raw mapping and go through the same validation, so what
``render`` shows a reviewer is what ``pulumi up`` would build. ``render`` runs without
the Pulumi CLI and cannot decrypt ``secure:`` values; it only needs to know that the
SSH key is stored as a secret, never its value.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import yaml

from components.config import Platform, SecretSetting
from components.problems import PROJECT, ConfigError, ConfigProblem
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
    """The stack's settings with the project prefix removed and secrets reduced to markers."""
    path = stack_file(stack, project_dir)
    text = stack_text(path, stack, project_dir)
    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        raise ConfigError([ConfigProblem("(stack)", f"{path.name} is not valid YAML: {error}", "fix the YAML syntax")]) from None
    settings = document.get("config") if isinstance(document, dict) else document
    if not isinstance(settings or {}, dict):
        raise ConfigError([ConfigProblem("(stack)", f"{path.name} has no 'config:' mapping", "write the settings under 'config:' as 'spark-on-metal:<key>: <value>'")])
    problems: list[ConfigProblem] = []
    raw: dict[str, Any] = dict(project_defaults(project_dir))
    for full_key, value in (settings or {}).items():
        namespace, _, key = str(full_key).partition(":")
        if namespace in FOREIGN_NAMESPACES:
            continue
        if namespace != PROJECT or not key:
            problems.append(
                ConfigProblem(str(full_key), "unknown setting (not in the spark-on-metal namespace)", f"write it as {PROJECT}:<key>")
            )
            continue
        raw[key] = _secret_marker(key, value, problems)
    if problems:
        raise ConfigError(problems)
    return raw


def _secret_marker(key: str, value: Any, problems: list[ConfigProblem]) -> Any:
    encrypted = isinstance(value, dict) and set(value) == {"secure"}
    if key in SECRET_KEYS:
        return SecretSetting(stored_as_secret=encrypted)
    if encrypted:
        problems.append(
            ConfigProblem(key, "is stored encrypted, but it is not a secret and is needed to render the hosts' files", "store it in plain text (only sshPrivateKey is secret)")
        )
    return value


def known_stacks(project_dir: Path = PROJECT_DIR) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))


def load_stack_file(stack: str, project_dir: Path = PROJECT_DIR) -> Platform:
    return load_platform(raw_from_stack_file(stack, project_dir), stack)


def raw_from_pulumi(values: Mapping[str, Any], secret_keys: set[str]) -> dict[str, Any]:
    """Raw settings from the engine's config bag (``project:key -> JSON or string``)."""
    raw: dict[str, Any] = {}
    problems: list[ConfigProblem] = []
    for full_key, value in values.items():
        namespace, _, key = full_key.partition(":")
        if namespace in FOREIGN_NAMESPACES:
            continue
        if namespace != PROJECT:
            problems.append(ConfigProblem(full_key, "unknown setting (not in the spark-on-metal namespace)", f"write it as {PROJECT}:<key>"))
            continue
        if key in SECRET_KEYS:
            raw[key] = SecretSetting(stored_as_secret=full_key in secret_keys)
            continue
        raw[key] = _decode(value)
    if problems:
        raise ConfigError(problems)
    return raw


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
