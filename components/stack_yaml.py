"""A stack file read the way the Pulumi CLI reads it, or refused where the two would differ.

The CLI parses ``Pulumi.<stack>.yaml`` with gopkg.in/yaml.v3 (YAML 1.2 rules, duplicate
keys refused, excessive aliasing refused); PyYAML follows YAML 1.1, where ``yes`` is true,
``1:30`` is 90 and a repeated key silently keeps its last value. ``render`` must show what
``pulumi up`` would build, so this reader resolves plain scalars with yaml.v3's rules
(gopkg.in/yaml.v3 resolve.go, v3.0.1) and refuses, naming the line, every spelling the
two readers or the user's intent could disagree on:

- a key given twice in one mapping (the CLI refuses the file);
- a number written otherwise than it reads back (``1.30`` is the number 1.3, ``022`` is
  18, ``1e3`` is 1000): quote it if text is meant, or write the number plainly;
- a date (the CLI turns ``2026-01-02`` into ``2026-01-02 00:00:00 +0000 UTC``), ``.inf`` or
  ``.nan`` (which the CLI cannot store), merge keys and tags;
- aliases that expand past :data:`MAX_VALUES` values (a 2 KB file must not become 52 MB).

Problems never quote the file's text beyond the value at fault (:func:`problems.shown`):
a YAML error's usual snippet of the surrounding lines could carry a pasted private key.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import yaml

from components.problems import PROJECT, ConfigError, ConfigProblem, join_key, shown

MAX_VALUES = 10_000  # values after alias expansion; the largest real stack has a few hundred
MAX_DEPTH = 64  # nesting levels; a stack needs five

_PLAIN = "!spark-on-metal/plain"  # the tag this reader gives untagged plain scalars
_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"

_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_NON_FINITE = frozenset({".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF"})
_YAML_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")  # yaml.v3's yamlStyleFloat
_DATE = re.compile(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ].*)?\Z")  # what yaml.v3 tries as a timestamp
_INT_DIGITS = {"0x": "0123456789abcdefABCDEF", "0o": "01234567", "0b": "01"}
_INT64 = (-(2**63), 2**64 - 1)  # ParseInt, then ParseUint


class _Composer(yaml.SafeLoader):
    """PyYAML's parser and composer only: plain scalars keep their text, under one tag,
    so that :func:`_scalar` can resolve them as yaml.v3 does."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode and implicit[0]:
            return _PLAIN
        return super().resolve(kind, value, implicit)


@dataclass(frozen=True)
class _Where:
    """A position in the stack file: the config key a user would name, and its line."""

    path: tuple[str | int, ...]
    line: int

    def problem(self, message: str, fix: str) -> ConfigProblem:
        return ConfigProblem(setting_key(self.path), f"{message} (line {self.line})", fix, qualified=is_qualified(self.path))


def setting_key(path: tuple[str | int, ...]) -> str:
    """``("config", "spark-on-metal:nodes", 0, "address")`` -> ``nodes[0].address``;
    a key outside the project's namespace keeps its namespace (``pulumi:tags``)."""
    if len(path) < 2 or path[0] != "config":
        return join_key(*path) if path else "(stack)"
    full, rest = str(path[1]), path[2:]
    namespace, _, key = full.partition(":")
    return join_key(key if namespace == PROJECT and key else full, *rest)


def is_qualified(path: tuple[str | int, ...]) -> bool:
    """Whether the key printed for ``path`` already names its namespace (or is not a setting)."""
    if len(path) < 2 or path[0] != "config":
        return True
    namespace, _, key = str(path[1]).partition(":")
    return not (namespace == PROJECT and key)


def read(text: str, name: str) -> Any:
    """The document as the CLI decodes it (mappings, lists, str, int, float, bool, None).

    Raises :class:`ConfigError` with every problem found, each naming its line.
    """
    try:
        root = yaml.compose(text, Loader=_Composer)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError([ConfigProblem("(stack)", f"{name} is not valid YAML: {error.problem or error.context}{where}", "fix the YAML syntax there (pulumi refuses the file too)", qualified=True)]) from None
    except yaml.YAMLError as error:
        raise ConfigError([ConfigProblem("(stack)", f"{name} is not valid YAML: {type(error).__name__}", "fix the YAML syntax (pulumi refuses the file too)", qualified=True)]) from None
    if root is None:
        return None
    walk = _Walk()
    document = walk.value(root, ())
    if walk.problems:
        raise ConfigError(walk.problems)
    return document


class _Walk:
    """Builds the document from the composed nodes, expanding aliases with a bound and
    collecting every problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.values = 0
        self.problems: list[ConfigProblem] = []
        self.too_many = False

    def value(self, node: yaml.Node, path: tuple[str | int, ...]) -> Any:
        self.values += 1
        if self.values > MAX_VALUES or len(path) > MAX_DEPTH:
            if not self.too_many:
                self.too_many = True
                self.problems.append(ConfigProblem(
                    "(stack)",
                    f"the file holds more than {MAX_VALUES} values or {MAX_DEPTH} levels once its YAML aliases (*name) are expanded",
                    "write the values out instead of repeating aliases (the CLI refuses excessive aliasing too)",
                    qualified=True,
                ))
            return None
        where = _Where(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path, where)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                self.problems.append(where.problem(f"the tag {node.tag} is not supported in a stack file", "remove the tag"))
            return [self.value(item, (*path, index)) for index, item in enumerate(node.value)]
        return self.scalar(node, where)

    def mapping(self, node: yaml.MappingNode, path: tuple[str | int, ...], where: _Where) -> dict[Any, Any]:
        if node.tag != _MAP:
            self.problems.append(where.problem(f"the tag {node.tag} is not supported in a stack file", "remove the tag"))
        result: dict[Any, Any] = {}
        first_line: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key_where = _Where(path, key_node.start_mark.line + 1)
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(key_where.problem("a mapping key is itself a list or mapping", "write a plain key (a name) before the ':'"))
                continue
            if key_node.tag == "tag:yaml.org,2002:merge" or (key_node.tag == _PLAIN and key_node.value == "<<"):
                self.problems.append(key_where.problem("merge keys (<<) are not supported in a stack file", "write the merged settings out"))
                continue
            key = self.scalar(key_node, key_where)
            if isinstance(key, (dict, list)) or key is None:
                continue
            if key in first_line:
                self.problems.append(_Where((*path, str(key)), key_where.line).problem(
                    f"{shown(str(key))} is given twice in one mapping (first at line {first_line[key]}); pulumi refuses the file",
                    "keep one of the two entries",
                ))
                continue
            first_line[key] = key_where.line
            result[key] = self.value(value_node, (*path, key if isinstance(key, (str, int)) else str(key)))
        return result

    def scalar(self, node: yaml.ScalarNode, where: _Where) -> Any:
        if node.tag == _STR:
            return node.value
        if node.tag != _PLAIN:
            self.problems.append(where.problem(f"the tag {node.tag} is not supported in a stack file", "remove the tag; quote the value if it is text"))
            return node.value
        value, fix = resolve(node.value)
        if fix is not None:
            self.problems.append(where.problem(fix[0], fix[1]))
        return value


def resolve(text: str) -> tuple[Any, tuple[str, str] | None]:
    """A plain scalar's value under yaml.v3's rules, and a (message, fix) when the value is
    not what the text says to a reader (or the CLI cannot store it)."""
    if text in _BOOLS:
        return _BOOLS[text], None
    if text in _NULLS:
        return None, None
    if text in _NON_FINITE:
        return text, (f"{text} is a YAML special number that Pulumi cannot store", f"quote it ('{text}') if it is text, or give a finite number")
    if not text or text[0] not in "+-.0123456789":
        return text, None
    if _DATE.match(text):
        return text, (f"{text} reads as a date in YAML, which Pulumi turns into other text", f"quote it: '{text}'")
    number = _number(text)
    if number is None:
        return text, None
    plain = _go_number(number)
    if plain != text:
        return number, (
            f"{shown(text)} is read by YAML as the number {plain}",
            f"quote it ('{text}') if it is text such as a version, or write {plain} if the number is meant",
        )
    return number, None


def _number(text: str) -> int | float | None:
    """yaml.v3: underscores dropped, strconv.ParseInt/ParseUint with base 0 (0x, 0o, 0b and
    a leading 0 for octal), else its float syntax."""
    plain = text.replace("_", "")
    sign, digits = (plain[0], plain[1:]) if plain[:1] in "+-" else ("", plain)
    base_prefix = digits[:2].lower()
    number: int | None = None
    if base_prefix in _INT_DIGITS and len(digits) > 2 and all(c in _INT_DIGITS[base_prefix] for c in digits[2:]):
        number = int(digits[2:], {"0x": 16, "0o": 8, "0b": 2}[base_prefix])
    elif digits.isdigit() and digits.isascii():
        if len(digits) > 1 and digits[0] == "0":
            number = int(digits, 8) if all(c in "01234567" for c in digits) else None
        else:
            number = int(digits)
    if number is not None:
        number = -number if sign == "-" else number
        if _INT64[0] <= number <= _INT64[1]:
            return number
    if _YAML_FLOAT.match(plain):
        value = float(plain)
        return value if math.isfinite(value) else None
    return None


def _go_number(number: int | float) -> str:
    """The number as the CLI prints it (Go's encoding/json): integral floats without '.0'."""
    if isinstance(number, int):
        return str(number)
    if number.is_integer() and abs(number) < 1e21:
        return str(int(number))
    text = repr(number)
    mantissa, e, exponent = text.partition("e")
    return f"{mantissa}e{exponent[0]}{exponent[1:].lstrip('0')}" if e else text
