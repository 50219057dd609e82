"""What the validation checks share: the parsed items they receive, their config keys,
and finding repeats."""

from __future__ import annotations

from typing import Any, Callable, Iterator, TypeVar

from components.problems import join_key

T = TypeVar("T")
# (index in the stack file, item) for each list item that parsed; a check that takes
# ``all_nodes`` or ``all_tenants`` runs only when every item did (with a node missing,
# "no control-plane node" could be a false alarm).
Items = list[tuple[int, T]]


def node_key(index: int, attribute: str) -> str:
    return join_key("nodes", index, attribute)


def tenant_key(index: int, attribute: str) -> str:
    return join_key("tenants", index, attribute)


def repeats(items: list[tuple[int, Any]], value_of: Callable[[Any], Any]) -> Iterator[tuple[int, Any, Any, int]]:
    """(index, item, value, index of the first item with that value) for every repeat."""
    first: dict[Any, int] = {}
    for index, item in items:
        value = value_of(item)
        if value in first:
            yield index, item, value, first[value]
        else:
            first[value] = index
