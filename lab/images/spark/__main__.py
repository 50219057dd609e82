"""Command line of lab.images.spark (see the package docstring)."""

from __future__ import annotations

import argparse
import sys

from ...proc import LabError
from ..__main__ import DEFAULT_REPOSITORY
from ..build import manifest
from .build import build
from .spec import SparkImage


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.images.spark", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    show = commands.add_parser("plan", help="print the image reference the stack's spark.image names")
    show.add_argument("--repository", default=DEFAULT_REPOSITORY)
    commands.add_parser("build", help="build the image unless the cache has it")
    args = parser.parse_args(argv)
    image = SparkImage()
    if args.command == "plan":
        print(image.reference(args.repository))
        return 0
    try:
        built = build(image)
    except (ValueError, FileNotFoundError, LabError) as exc:
        print(f"lab.images.spark: {exc}", file=sys.stderr)
        return 1
    layer = manifest(built)["manifest"]["layers"][0]["size"]
    how = "cached" if built.cached else f"built in {built.seconds:.1f}s"
    print(f"{image.name}:{image.tag}  {how}  layer {layer / 1e6:.0f} MB (gzip)  {built.layout}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
