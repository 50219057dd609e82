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

    def render(self) -> str:
        return f"{PROJECT}:{self.key}: {self.message}\n    fix: {self.fix}"


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


def from_validation_error(
    error: ValidationError,
    prefix: Sequence[str | int] = (),
    model: type[BaseModel] | None = None,
    known: Iterable[str] = (),
) -> list[ConfigProblem]:
    """Translate pydantic's errors into problems with config-key paths and fixes.

    ``model`` is the model the error's locations start in, used to suggest the setting a
    misspelt key was probably meant to be; ``known`` gives those names directly.
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
            message = "unknown setting"
            names = _field_names(model, item["loc"][:-1]) if model else list(known)
            fix = _GENERIC_FIXES[kind] + _did_you_mean(str(loc[-1]), names)
        elif kind in _GENERIC_FIXES:
            message, fix = "required setting is missing", _GENERIC_FIXES[kind]
        else:
            given = item.get("input")
            message = f"{item['msg'][0].lower()}{item['msg'][1:]} (given: {given!r})"
            fix = "give a value of the documented type (see the README's config reference)"
        problems.append(ConfigProblem(join_key(*loc), message, fix))
    return problems


def _counts_only_failed_items(item: Any, errors: Sequence[Any]) -> bool:
    """pydantic also reports a tuple as too short when items of it failed (``roles: [master]``
    gives "at least 1 item ... not 0"); the failing item is the problem, not the length."""
    loc = tuple(item["loc"])
    return item["type"] == "too_short" and any(
        len(other["loc"]) > len(loc) and tuple(other["loc"][: len(loc)]) == loc for other in errors
    )


def _field_names(model: type[BaseModel], path: Sequence[str | int]) -> list[str]:
    """The aliases valid at ``path`` inside ``model`` (list indexes and dict keys skipped)."""
    current: Any = model
    for part in path:
        if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            continue
        fields = {info.alias or name: info for name, info in current.model_fields.items()}
        info = fields.get(part)
        if info is None:
            return []
        current = model_in(info.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [info.alias or name for name, info in current.model_fields.items()]
    return []


def model_in(annotation: Any) -> Any:
    """The BaseModel inside ``X``, ``X | None`` or ``tuple[X, ...]``, else the annotation."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = model_in(arg)
        if isinstance(found, type) and issubclass(found, BaseModel):
            return found
    return annotation


def _did_you_mean(name: str, known: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(known), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""
