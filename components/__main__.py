"""Command line: ``python -m components render|spark-submit ...`` (no Pulumi CLI needed)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from components.problems import ConfigError

# Pulumi's own rule for a stack's short name; it also keeps Pulumi.<stack>.yaml in the project directory.
STACK_NAME = re.compile(r"[A-Za-z0-9_.-]+")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["spark-submit"]:  # its arguments after -- belong to spark-submit, not argparse
        from components import spark_submit

        return spark_submit.main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m components", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    render = commands.add_parser("render", help="write every host file, step script and manifest of a stack")
    render.add_argument("--stack", required=True, help="stack name: reads Pulumi.<stack>.yaml")
    render.add_argument("--out", required=True, type=Path, help="output directory")
    commands.add_parser("spark-submit", help="print (or run) spark-submit for a tenant, from the stack outputs", add_help=False)
    commands.add_parser("config-reference", help="print the config reference (Markdown) generated from the model")
    args = parser.parse_args(argv)
    try:
        if args.command == "render":
            return _render(args.stack, args.out)
        if args.command == "config-reference":
            from components.reference import config_reference

            print(config_reference())
            return 0
    except ConfigError as error:
        print(error.report(), file=sys.stderr)
        return 2
    return 1


def _render(stack: str, out: Path) -> int:
    """``render``, whose every failure to read the stack or to use ``out`` is one line and exit 2."""
    from components.render import OutputProblem
    from components.stack import StackFileUnreadable

    try:
        return _render_checked(stack, out)
    except (OutputProblem, StackFileUnreadable) as error:
        print(f"render: {error}", file=sys.stderr)
    except OSError as error:  # the checks name every path they foresee; this is the last edge
        print(f"render: {error.filename or out}: {error.strerror or error}; fix: check that path and its permissions", file=sys.stderr)
    return 2


def _render_checked(stack: str, out: Path) -> int:
    from components import render
    from components.stack import StackFileUnreadable, known_stacks, load_stack_file

    if not STACK_NAME.fullmatch(stack) or stack in (".", ".."):
        raise StackFileUnreadable(
            f"--stack {stack!r} is not a stack name (letters, digits, '-', '_', '.'); "
            f"fix: give the short name from Pulumi.<stack>.yaml, one of: {', '.join(known_stacks())}"
        )
    platform = load_stack_file(stack)
    if platform.end_of_life_warning:
        print(f"render: WARNING: {platform.end_of_life_warning}", file=sys.stderr)
    problems = render.schema_problems(platform)
    if problems:
        print("render: managed Kubernetes objects fail the schema:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 2
    count = render.write(platform, out)
    print(f"rendered stack {stack}: {count} files in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
