"""Configuration problems: one message per problem, naming the setting and the fix.

Every check in the project reports through :class:`ConfigProblem` so that a bad stack is
described completely in one run (an operator fixing one typo at a time against a rack
wastes an afternoon), and so that the Pulumi shell and the ``render`` command print the
same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

from components.syntax import CREDENTIAL_SHAPES

PROJECT = "spark-on-metal"


@dataclass(frozen=True, order=True)
class ConfigProblem:
    """A single thing wrong with a stack's configuration.

    ``key`` is the path as a user types it with ``pulumi config set --path``
    (``nodes[1].address``); ``fix`` says what to change, not just what is wrong.
    """

    key: str
    message: str
    fix: str
    qualified: bool = False  # the key already names its namespace (or is "(stack)"): print it as is

    @property
    def full_key(self) -> str:
        return self.key if self.qualified else f"{PROJECT}:{self.key}"

    def render(self) -> str:
        return f"{self.full_key}: {self.message}\n    fix: {self.fix}"


class ConfigError(Exception):
    """Raised before anything is declared or touched when the configuration is unusable."""

    def __init__(self, problems: Sequence[ConfigProblem]):
        self.problems = tuple(sorted(set(problems), key=_problem_order(problems)))
        super().__init__(self.report())

    def report(self) -> str:
        count = len(self.problems)
        head = f"the stack configuration has {count} problem{'s' if count != 1 else ''}:"
        return "\n".join([head, *(p.render() for p in self.problems)])


def _problem_order(problems: Sequence[ConfigProblem]):
    """Keep the order checks found problems in (it follows the config's own order)."""
    first_seen: dict[ConfigProblem, int] = {}
    for index, problem in enumerate(problems):
        first_seen.setdefault(problem, index)
    return first_seen.__getitem__


def invalid(message: str, fix: str) -> PydanticCustomError:
    """A field-level error carrying its fix through pydantic to :func:`from_validation_error`."""
    return PydanticCustomError("spark_on_metal", message, {"fix": fix})


def join_key(*parts: str | int) -> str:
    """``("nodes", 1, "address") -> "nodes[1].address"``."""
    key = ""
    for part in parts:
        if isinstance(part, int):
            key += f"[{part}]"
        elif key:
            key += f".{part}"
        else:
            key = part
    return key


_GENERIC_FIXES = {
    "missing": "set it; it has no default",
    "extra_forbidden": "remove it or correct its spelling (unknown settings are never ignored)",
}

# What to write instead, by pydantic error type; {name} fields come from the error's ctx.
_TYPE_FIXES = {
    "int_parsing": "write a whole number without quotes{example}",
    "int_type": "write a whole number without quotes{example}",
    "int_from_float": "write a whole number without a fraction{example}",
    "bool_parsing": "write true or false",
    "bool_type": "write true or false",
    "string_type": "write it as text, quoted if YAML would read it as a number or true/false (pulumi config set --path reads them so: add --type string){example}",
    "ip_v4_address": "write an IPv4 address in dotted form, e.g. 10.0.0.11",
    "ip_v4_network": "write a network as address/prefix with the host bits zero, e.g. 10.0.0.0/24",
    "literal_error": "write one of {expected}",
    "less_than_equal": "give {le} or less",
    "less_than": "give less than {lt}",
    "greater_than_equal": "give {ge} or more",
    "greater_than": "give more than {gt}",
    "too_long": "give at most {max_length} item(s)",
    "too_short": "give at least {min_length} item(s)",
    "dict_type": "write a mapping: 'key: value' lines indented under the setting",
    "model_type": "write a mapping: 'key: value' lines indented under the setting",
    "model_attributes_type": "write a mapping: 'key: value' lines indented under the setting",
    "list_type": "write a YAML list: [a, b] or one '- item' line per item",
    "tuple_type": "write a YAML list: [a, b] or one '- item' line per item",
}

# A rejected value is quoted only when nothing in it looks like a credential
# (syntax.CREDENTIAL_SHAPES): a private key pasted under the wrong setting must not reach
# stderr and the engine's log.
SHOWN_LENGTH = 60


def shown(value: Any) -> str:
    """``value`` as error text may quote it: in part, on one line, never what looks secret."""
    if isinstance(value, (dict, list, tuple)) or value is None or isinstance(value, bool):
        return kind_of(value)
    if not isinstance(value, str):
        return str(value)
    if looks_secret(value):
        return f"a value of {len(value)} characters that looks like a key or token (not shown)"
    first = value.splitlines()[0] if value.strip() else value
    cut = first[:SHOWN_LENGTH]
    more = "..." if len(cut) < len(value) else ""
    return repr(cut + more) if more else repr(value)


def looks_secret(text: str) -> bool:
    """Whether ``text`` holds something shaped like a key, token or certificate key."""
    return any(shape.search(text) for _, shape in CREDENTIAL_SHAPES)


def kind_of(value: Any) -> str:
    """How a user would name what they wrote (never a Python type name)."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, dict):
        return f"a mapping of {len(value)} key(s)"
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)} item(s)"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return f"the text {shown(value)}"


def from_validation_error(
    error: ValidationError,
    prefix: Sequence[str | int] = (),
    model: type[BaseModel] | None = None,
    known: Iterable[str] = (),
    default: Any = None,
) -> list[ConfigProblem]:
    """Translate pydantic's errors into problems with config-key paths and fixes.

    ``model`` is the model the error's locations start in, used to suggest the setting a
    misspelt key was probably meant to be and to give a field's default as an example;
    ``known`` gives those names directly, ``default`` the example for an error at the
    top (a setting validated on its own).
    """
    problems = []
    errors = error.errors(include_url=False)
    for item in errors:
        if _counts_only_failed_items(item, errors):
            continue
        loc = [*prefix, *item["loc"]]
        kind = item["type"]
        ctx = item.get("ctx") or {}
        if kind == "spark_on_metal":
            message, fix = item["msg"], ctx["fix"]
        elif kind == "extra_forbidden":
            names = _field_names(model, item["loc"][:-1]) if model else list(known)
            problems.append(unknown_setting(loc, names))
            continue
        elif kind in _GENERIC_FIXES:
            message, fix = "required setting is missing", _GENERIC_FIXES[kind]
        else:
            given = item.get("input")
            message = f"{item['msg'][0].lower()}{item['msg'][1:]} (given: {shown(given)})"
            fix = _type_fix(kind, ctx, _field_default(model, item["loc"]) if model and item["loc"] else default)
        problems.append(ConfigProblem(join_key(*loc), message, fix))
    return problems


def unknown_setting(loc: Sequence[str | int], known: Iterable[str]) -> ConfigProblem:
    """A setting no model has: where, and the known name it was probably meant to be."""
    return ConfigProblem(join_key(*loc), "unknown setting", _GENERIC_FIXES["extra_forbidden"] + did_you_mean(str(loc[-1]), known))


def _type_fix(kind: str, ctx: dict[str, Any], default: Any) -> str:
    """What to write for a value of the wrong type or range, with the default as example."""
    example = f", e.g. {default}" if isinstance(default, (int, str)) and not isinstance(default, bool) and default != "" else ""
    template = _TYPE_FIXES.get(kind)
    if template is None:
        return "write a value of the type the README's config reference gives for this setting"
    try:
        return template.format(example=example, **ctx)
    except (KeyError, IndexError):
        return template.split("{")[0].rstrip(" ,") or template


def _field_default(model: type[BaseModel], loc: Sequence[str | int]) -> Any:
    """The default of the field at ``loc`` inside ``model``, if it has a scalar one."""
    if not loc or not isinstance(loc[-1], str):
        return None
    info = _fields(_model_at(model, loc[:-1])).get(loc[-1])
    if info is None or info.is_required():
        return None
    default = info.get_default(call_default_factory=False)
    return default if isinstance(default, (int, str)) else None


def _fields(model: Any) -> dict[str, Any]:
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return {}
    return {info.alias or name: info for name, info in model.model_fields.items()}


def _counts_only_failed_items(item: Any, errors: Sequence[Any]) -> bool:
    """pydantic also reports a tuple as too short when items of it failed (``roles: [master]``
    gives "at least 1 item ... not 0"); the failing item is the problem, not the length."""
    loc = tuple(item["loc"])
    return item["type"] == "too_short" and any(
        len(other["loc"]) > len(loc) and tuple(other["loc"][: len(loc)]) == loc for other in errors
    )


def _field_names(model: type[BaseModel], path: Sequence[str | int]) -> list[str]:
    """The aliases valid at ``path`` inside ``model`` (list indexes and dict keys skipped)."""
    return list(_fields(_model_at(model, path)))


def _model_at(model: Any, path: Sequence[str | int]) -> Any:
    """The model a config path leads to inside ``model`` (None when it leads nowhere)."""
    current: Any = model
    for part in path:
        if isinstance(part, int) or not _fields(current):
            continue
        info = _fields(current).get(part)
        if info is None:
            return None
        current = model_in(info.annotation)
    return current


def model_in(annotation: Any) -> Any:
    """The BaseModel inside ``X``, ``X | None`` or ``tuple[X, ...]``, else the annotation."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = model_in(arg)
        if isinstance(found, type) and issubclass(found, BaseModel):
            return found
    return annotation


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """"; did you mean 'x'?" for the closest known name, or nothing."""
    import difflib

    close = difflib.get_close_matches(name, list(known), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""
