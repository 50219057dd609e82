"""Command line of lab.images: the plan, and building it (see the package docstring)."""

from __future__ import annotations

import argparse
import sys

from ..proc import LabError
from ..toolchain.plan import lab_kubernetes
from ..versions import KUBERNETES
from .build import build
from .inputs import bin_dirs, parse_bin_dirs
from .spec import plan, select

DEFAULT_REPOSITORY = "registry.lab.internal:5000/k8s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.images", description=__doc__)
    parser.add_argument("--kubernetes", default=lab_kubernetes().kubernetes, choices=sorted(KUBERNETES))
    commands = parser.add_subparsers(dest="command", required=True)
    show = commands.add_parser("plan", help="print the image references kubeadm will pull")
    show.add_argument("--repository", default=DEFAULT_REPOSITORY)
    make = commands.add_parser("build", help="build the images the cache lacks (default: all)")
    make.add_argument("names", nargs="*")
    make.add_argument("--bin-dir", action="append", default=[], metavar="UNIT=DIR",
                      help="use binaries from DIR instead of the toolchain build UNIT")
    args = parser.parse_args(argv)

    specs = plan(KUBERNETES[args.kubernetes])
    if args.command == "plan":
        for spec in specs:
            print(spec.reference(args.repository))
        return 0
    try:
        chosen = select(specs, args.names)
        dirs = bin_dirs({u for s in chosen for u in s.units}, parse_bin_dirs(args.bin_dir))
        for spec in chosen:
            built = build(spec, dirs)
            how = "cached" if built.cached else f"built in {built.seconds:.1f}s"
            print(f"{spec.name + ':' + spec.tag:34} {how:18} {built.layout}", flush=True)
    except (ValueError, FileNotFoundError, LabError) as exc:
        print(f"lab.images: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
