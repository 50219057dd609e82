"""Command line of lab.services (see the package docstring)."""

from __future__ import annotations

import argparse
import os
import sys

from ..proc import LabError
from ..state import LabState, saved_lab_ids
from ..toolchain.plan import lab_kubernetes
from . import mirrors, objectstore, process
from .site import site_for


def pick(lab_id: str | None) -> str:
    ids = [lab_id] if lab_id else saved_lab_ids()
    if len(ids) != 1:
        raise SystemExit(f"{len(ids)} labs exist ({', '.join(ids) or 'none'}): say which with --id")
    return ids[0]


def cmd_up(lab_id: str, empty: bool) -> int:
    state = LabState.load(lab_id)
    site = site_for(lab_id, state.subnet, state.gateway, [n.spec.address for n in state.nodes.values()])
    mirrors.up(site)
    print(f"services of lab {lab_id} up in {site.netns} at {site.address}")
    if not empty:
        filled = mirrors.fill_release(site, lab_kubernetes())
        for reference, seconds in filled.images.items():
            print(f"  image   {reference:60} {'cached' if not seconds else f'built in {seconds:.1f}s'}")
        for name, seconds in filled.packages.items():
            print(f"  package {name:60} {'cached' if not seconds else f'built in {seconds:.1f}s'}")
        print(f"pushed in {filled.push_seconds:.1f}s; repository in {filled.repository_seconds:.1f}s")
        objectstore.start(site)
        print(f"object store: {site.store_endpoint} (spark.uploadPath {site.upload_path})")
    print(f"imageRepository: {site.image_repository}")
    print(f"apt: deb [signed-by=...] {site.apt_url(lab_kubernetes().minor)} /")
    print(f"nodes need in /etc/hosts: {site.hosts_line().strip()}")
    return 0


def cmd_status(lab_id: str) -> int:
    site = mirrors.attach(lab_id)
    for name, running in sorted(process.load(site).items()):
        print(f"{name:10} pid {running.pid:7} {'up' if process.is_ours(site, running) else 'DOWN'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.services", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("up", "status", "down"))
    parser.add_argument("--id")
    parser.add_argument("--empty", action="store_true", help="up: start the services without filling them")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        raise SystemExit("lab.services needs root (network namespaces)")
    lab_id = pick(args.id)
    try:
        if args.command == "up":
            return cmd_up(lab_id, args.empty)
        if args.command == "status":
            return cmd_status(lab_id)
        mirrors.down(mirrors.attach(lab_id))
        print(f"services of lab {lab_id} removed")
        return 0
    except (LabError, ValueError, FileNotFoundError) as exc:
        print(f"lab.services: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
