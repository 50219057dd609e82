"""Rewrite ``@decorator def f`` as ``def f`` followed by ``f = decorator(f)``, in place.

mutmut 3 never mutates a decorated function (its decorator runs at definition time, and
mutmut's trampoline must be the function the decorator receives). The configuration
checks in ``components.validation`` are all registered with ``@needs(...)``, so without
this step mutmut would leave every one of them alone. The rewrite keeps the meaning
(``@a @b def f`` is ``f = a(b(f))``, evaluated just after the definition rather than
just before) and is applied only to the throwaway copy ``scripts/mutation.sh`` makes.
Methods and nested functions are left alone.

Usage: python -m tests.mutation.undecorate FILE...
"""

from __future__ import annotations

import sys
from pathlib import Path

import libcst as cst


def _applied(decorators: list[cst.Decorator], name: str) -> cst.BaseExpression:
    expression: cst.BaseExpression = cst.Name(name)
    for decorator in reversed(decorators):
        expression = cst.Call(func=decorator.decorator, args=[cst.Arg(expression)])
    return expression


def undecorated(source: str) -> str:
    module = cst.parse_module(source)
    body: list[cst.BaseStatement] = []
    for statement in module.body:
        if isinstance(statement, cst.FunctionDef) and statement.decorators:
            name = statement.name.value
            body.append(statement.with_changes(decorators=[]))
            assign = cst.Assign(targets=[cst.AssignTarget(cst.Name(name))], value=_applied(list(statement.decorators), name))
            body.append(cst.SimpleStatementLine([assign]))
        else:
            body.append(statement)
    return module.with_changes(body=body).code


def main(paths: list[str]) -> None:
    for path in map(Path, paths):
        path.write_text(undecorated(path.read_text()))


if __name__ == "__main__":
    main(sys.argv[1:])
