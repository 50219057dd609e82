"""Command line: ``python -m components render|spark-submit ...`` (no Pulumi CLI needed)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from components.problems import ConfigError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m components", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    render = commands.add_parser("render", help="write every host file, step script and manifest of a stack")
    render.add_argument("--stack", required=True, help="stack name: reads Pulumi.<stack>.yaml")
    render.add_argument("--out", required=True, type=Path, help="output directory")
    args = parser.parse_args(argv)
    try:
        if args.command == "render":
            return _render(args.stack, args.out)
    except ConfigError as error:
        print(error.report(), file=sys.stderr)
        return 2
    return 1


def _render(stack: str, out: Path) -> int:
    from components import render
    from components.stack import load_stack_file

    platform = load_stack_file(stack)
    count = render.write(platform, out)
    print(f"rendered stack {stack}: {count} files in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
