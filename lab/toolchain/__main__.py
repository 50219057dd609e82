"""Command line of the toolchain: build, list, path, apt (see the package docstring)."""

from __future__ import annotations

import argparse
import sys

from .build import build_all
from .cache import Layout, cache_root, missing_reason
from .plan import apt_packages, every_build, select


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.toolchain", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build what is not cached (default: everything, both releases; a NAME names every version of it)")
    build.add_argument("names", nargs="*")
    commands.add_parser("list", help="every build: name, version, cached or why not, bin dir")
    path = commands.add_parser("path", help="print the bin dir of a built NAME (the lab release's)")
    path.add_argument("name")
    commands.add_parser("apt", help="Debian packages the builds need, one a line")
    args = parser.parse_args(argv)

    layout = Layout(cache_root())
    specs = every_build()
    try:
        chosen = select(specs, args.names if args.command == "build" else
                        [args.name] if args.command == "path" else [])
    except ValueError as exc:
        print(f"lab.toolchain: {exc}", file=sys.stderr)
        return 2

    if args.command == "build":
        if not args.names:
            # Everything buildable: a part the module proxy refuses is reported, not failed
            # (named explicitly, it fails like any other build).
            for spec in (s for s in chosen if s.blocked):
                print(f"blocked {spec.name} {spec.version}: {spec.blocked}")
            chosen = [s for s in chosen if not s.blocked]
        failures = build_all(chosen, layout, sys.stdout)
        for line in failures:
            print(f"FAILED {line}", file=sys.stderr)
        return 1 if failures else 0
    if args.command == "list":
        for spec in chosen:
            reason = missing_reason(layout, spec)
            state = "cached" if not reason else f"not built ({spec.blocked or reason})"
            print(f"{spec.name:28} {spec.version:8} {state:24} {layout.bin_dir(spec)}")
        return 0
    if args.command == "path":
        spec = chosen[0]
        reason = missing_reason(layout, spec)
        if reason:
            print(f"lab.toolchain: {spec.name} {spec.version} is not built ({reason}): "
                  f"python -m lab.toolchain build {spec.name}", file=sys.stderr)
            return 1
        print(layout.bin_dir(spec))
        return 0
    print("\n".join(apt_packages(specs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
