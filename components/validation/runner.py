"""Running the checks: parse every setting on its own, then call each check with the
parsed settings its parameters name, skipping a check one of whose settings is itself
broken (its own problem is already reported). A parameter with a default is optional.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, Iterable, Iterator, Mapping

from pydantic import TypeAdapter, ValidationError

from components.config import NodeConfig, PlatformConfig, TenantConfig
from components.problems import ConfigProblem, from_validation_error, kind_of, model_in, unknown_setting

Check = Callable[..., Iterator[ConfigProblem]]


def run(checks: Iterable[Check], settings: Mapping[str, Any]) -> Iterator[ConfigProblem]:
    for check in checks:
        arguments = bound(check, settings)
        if arguments is not None:
            yield from check(**arguments)


def bound(check: Check, settings: Mapping[str, Any]) -> dict[str, Any] | None:
    """The check's arguments from ``settings`` by parameter name, or None when a required
    one did not parse."""
    arguments = {}
    for name, parameter in inspect.signature(check).parameters.items():
        if name in settings:
            arguments[name] = settings[name]
        elif parameter.default is inspect.Parameter.empty:
            return None
    return arguments


def platform_config(settings: Mapping[str, Any]) -> PlatformConfig:
    """The whole stack from its parts, each already validated (no second parse, so no raw
    pydantic error can escape once every check passed)."""
    fields = {name: settings[name] for name in PlatformConfig.model_fields}
    for name in _LIST_ITEMS:
        fields[name] = tuple(item for _, item in settings[name])
    return PlatformConfig.model_construct(**fields)


_LIST_ITEMS = {"nodes": NodeConfig, "tenants": TenantConfig}


def parse(raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[ConfigProblem]]:
    """Each top-level setting, node and tenant validated on its own: what parsed, by Python
    name (lists as :data:`Items`, plus ``all_<list>`` when every item parsed), and the
    problems of what did not."""
    settings: dict[str, Any] = {}
    problems: list[ConfigProblem] = []
    aliases = {info.alias or name: name for name, info in PlatformConfig.model_fields.items()}
    for key in raw:
        if key not in aliases:
            problems.append(unknown_setting((key,), aliases))
    for alias, name in aliases.items():
        info = PlatformConfig.model_fields[name]
        if alias not in raw:
            if info.is_required():
                problems.append(ConfigProblem(alias, "required setting is missing", "set it; it has no default"))
            else:
                settings[name] = info.get_default(call_default_factory=True)
            continue
        value = raw[alias]
        if name in _LIST_ITEMS:
            items = _parse_items(alias, value, _LIST_ITEMS[name], problems)
            if items is not None:
                settings[name] = items
                if len(items) == len(value):
                    settings[f"all_{name}"] = items
            continue
        try:
            settings[name] = TypeAdapter(info.rebuild_annotation()).validate_python(value)
        except ValidationError as error:
            problems += from_validation_error(
                error, prefix=(alias,), model=model_in(info.annotation), default=info.default
            )
    return settings, problems


def _parse_items(alias: str, value: Any, model, problems: list[ConfigProblem]):
    if not isinstance(value, (list, tuple)):
        problems.append(ConfigProblem(alias, f"expected a list, got {kind_of(value)}", f"write {alias} as a YAML list"))
        return None
    if alias == "nodes" and not value:
        problems.append(ConfigProblem(alias, "the stack has no nodes", "list at least one control-plane node"))
        return None
    items = []
    for index, item in enumerate(value):
        try:
            items.append((index, model.model_validate(item)))
        except ValidationError as error:
            problems += from_validation_error(error, prefix=(alias, index), model=model)
    return items
