"""Diff of a ``command:remote:Command``, as pulumi-command v1.2.1 computes it.

The real provider has no Diff of its own for the remote Command: pulumi-go-provider
v1.3.0's default applies (``infer/resource.go``, ``func diff``), which

1. copies each top-level ``ignoreChanges`` key from the old state into the news;
2. drops ``version`` and ``__``-prefixed keys from the news;
3. diffs the OLD INPUTS (the engine sends them) against the news with the Pulumi SDK's
   ``PropertyMap.Diff`` (``sdk/go/common/resource/properties_diff.go``): arrays element
   by element, objects key by key, anything else (secrets included: a secret is not an
   object) by deep equality, so a secret and a plain value that are equal still differ;
4. flattens that into a detailed diff keyed by property path
   (``plugin.NewDetailedDiffFromObjectDiff``: ``triggers[1]``, ``connection``...);
5. turns a kind into its replace kind when the KEY (the whole path) is a
   ``replaceOnChanges`` input: only ``triggers`` itself. A changed element
   (``triggers[0]``) stays an update here; the engine replaces it anyway because the SDK
   registers the resource with ``replaceOnChanges: ["triggers[*]"]``
   (``pulumi_command/remote/command.py``);
6. answers changes SOME/NONE, ``deleteBeforeReplace`` false, and ``replaces``/``diffs``
   as the top-level names of the detailed keys (pulumi-go-provider ``provider.go``,
   ``DiffResponse.rpc``).

A changed ``connection`` is therefore an update that re-runs the command
(pulumi-command issue 447), as ``components/cluster.py`` expects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

from .inputs import REPLACE_ON_CHANGES
from .properties import Secret


class Kind(Enum):
    ADD = "add"
    ADD_REPLACE = "add&replace"
    DELETE = "delete"
    DELETE_REPLACE = "delete&replace"
    UPDATE = "update"
    UPDATE_REPLACE = "update&replace"

    def as_replace(self) -> Kind:
        return {Kind.ADD: Kind.ADD_REPLACE, Kind.DELETE: Kind.DELETE_REPLACE, Kind.UPDATE: Kind.UPDATE_REPLACE}.get(
            self, self
        )

    @property
    def replaces(self) -> bool:
        return self in (Kind.ADD_REPLACE, Kind.DELETE_REPLACE, Kind.UPDATE_REPLACE)


@dataclass(frozen=True)
class Diff:
    has_changes: bool
    detailed: dict[str, Kind]
    delete_before_replace: bool = False

    @property
    def diffs(self) -> list[str]:
        return sorted({_head(path) for path in self.detailed})

    @property
    def replaces(self) -> list[str]:
        return sorted({_head(path) for path, kind in self.detailed.items() if kind.replaces})


_IDENTIFIER = re.compile(r"^[a-zA-Z_$][a-zA-Z0-9_$]*$")
Path = tuple[str | int, ...]


def format_path(path: Path) -> str:
    """PropertyPath.String(): ``a.b``, ``a[0]``, ``a["odd key"]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _IDENTIFIER.match(part):
            text += f".{part}" if text else part
        else:
            escaped = part.replace("\\", "\\\\").replace('"', '\\"')
            text += f'["{escaped}"]'
    return text


def _head(path: str) -> str:
    match = re.match(r'^(?:([a-zA-Z_$][a-zA-Z0-9_$]*)|\["((?:\\.|[^"\\])*)"\])', path)
    if match is None:
        return path
    return match.group(1) if match.group(1) is not None else match.group(2).replace('\\"', '"').replace("\\\\", "\\")


def _deep_equal(old: Any, new: Any) -> bool:
    if isinstance(old, Secret) or isinstance(new, Secret):
        return isinstance(old, Secret) and isinstance(new, Secret) and _deep_equal(old.value, new.value)
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(_deep_equal(a, b) for a, b in zip(old, new))
    if isinstance(old, dict) and isinstance(new, dict):
        keys = set(old) | set(new)
        return all(_deep_equal(old.get(k), new.get(k)) for k in keys)
    if isinstance(old, bool) or isinstance(new, bool):
        return type(old) is type(new) and old == new
    return old == new


def _value_diff(path: Path, old: Any, new: Any, out: dict[str, Kind]) -> bool:
    """Adds the detailed entries for one value; True if it differs."""
    if isinstance(old, list) and isinstance(new, list):
        changed = False
        for index in range(min(len(old), len(new))):
            changed |= _value_diff((*path, index), old[index], new[index], out)
        for index in range(len(old), len(new)):
            out[format_path((*path, index))] = Kind.ADD
            changed = True
        for index in range(len(new), len(old)):
            out[format_path((*path, index))] = Kind.DELETE
            changed = True
        return changed
    if isinstance(old, dict) and isinstance(new, dict):
        return _object_diff(path, old, new, out)
    if _deep_equal(old, new):
        return False
    if old is None:
        out[format_path(path)] = Kind.ADD
    elif new is None:
        out[format_path(path)] = Kind.DELETE
    else:
        out[format_path(path)] = Kind.UPDATE
    return True


def _object_diff(path: Path, old: dict[str, Any], new: dict[str, Any], out: dict[str, Kind]) -> bool:
    changed = False
    for key in sorted(set(old) | set(new)):
        if key in old and key in new:
            changed |= _value_diff((*path, key), old[key], new[key], out)
        elif key in old:
            out[format_path((*path, key))] = Kind.DELETE
            changed = True
        else:
            out[format_path((*path, key))] = Kind.ADD
            changed = True
    return changed


def diff(
    old_inputs: dict[str, Any],
    news: dict[str, Any],
    old_state: dict[str, Any],
    ignore_changes: list[str] | tuple[str, ...] = (),
) -> Diff:
    """The provider's answer to DiffRequest (see the module docstring for each step)."""
    news = dict(news)
    for key in ignore_changes:
        if key in old_state:
            news[key] = old_state[key]
    news = {key: value for key, value in news.items() if key != "version" and not key.startswith("__")}
    detailed: dict[str, Kind] = {}
    has_changes = _object_diff((), old_inputs, news, detailed)
    forced = {
        path: kind.as_replace() if path in REPLACE_ON_CHANGES else kind for path, kind in detailed.items()
    }
    return Diff(has_changes=has_changes, detailed=forced)
