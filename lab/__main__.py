"""Command line for a person trying the project: bring a lab up, look at it, take it down.

    python -m lab up [--nodes 3] [--subnet 10.99.0.0/17] [--gateway 10.99.127.254]
    python -m lab up --real [--nodes 3] [--control-planes 1] [--keep-on-failure]   # a real kubeadm cluster (lab/create)
    python -m lab status
    python -m lab ssh [--id ID] cp1 [command ...]
    python -m lab down [--id ID | --all]

The lab outlives `up` (its state is in /run/som-lab/<id>/state.json); `down --all`
removes every som-* namespace, mount and process, e.g. after a crash.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time

from .cleanup import remove_all, remove_lab
from .lab import Lab
from .spec import DEFAULT_GATEWAY, DEFAULT_SUBNET, LabNames, default_nodes
from .state import saved_lab_ids


def checked_id(lab_id: str) -> str:
    try:
        return LabNames(lab_id).lab_id
    except ValueError as exc:
        raise SystemExit(str(exc)) from None


def pick_lab(lab_id: str | None) -> Lab:
    """The lab named by --id, or the only one there is."""
    if lab_id:
        if not LabNames(checked_id(lab_id)).state_file.exists():
            raise SystemExit(f"no lab {lab_id} here (`python -m lab down --id {lab_id}` removes what is left of it)")
        return Lab.attach(lab_id)
    ids = saved_lab_ids()
    if len(ids) != 1:
        raise SystemExit(f"{len(ids)} labs exist ({', '.join(ids) or 'none'}): say which with --id")
    return Lab.attach(ids[0])


def cmd_up_real(args: argparse.Namespace) -> int:
    from .create import Options, bring_up
    from .create.run import BringUpError
    from .probes import for_lab

    options = Options(nodes=args.nodes, control_planes=args.control_planes, subnet=args.subnet, gateway=args.gateway,
                      lab_id=args.id, keep_on_failure=args.keep_on_failure)
    try:
        state = bring_up(options)
    except BringUpError as error:
        print(f"lab: {error}", file=sys.stderr)
        return 1
    print(f"cluster of lab {state.lab_id} up in {state.total_seconds:.1f}s: "
          + ", ".join(f"{name} {seconds:.1f}s" for name, seconds in state.seconds.items()))
    kubectl = for_lab(state.lab, state.workspace_dir, options.stack)
    print(f"steps (engine seconds per node): {state.facts.get('step_seconds')}")
    print(f"kubectl (admin kubeconfig, in the lab's fabric):\n  {shlex.join(kubectl.argv(['get', 'nodes', '-o', 'wide']))}")
    print(f"take it down:\n  python -m lab down --id {state.lab_id}")
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    if args.real:
        return cmd_up_real(args)
    started = time.monotonic()
    lab = Lab(args.subnet, args.gateway, default_nodes(args.nodes, args.subnet, args.control_planes), lab_id=args.id)
    lab.up()
    lab.detach()
    print(f"lab {lab.lab_id} up in {time.monotonic() - started:.2f}s: fabric namespace {lab.fabric_netns}, "
          f"gateway {args.gateway}")
    for spec in lab.nodes:
        boot = lab.boots[spec.name]
        print(f"  {spec.name:6} {spec.address:15} systemd pid {lab.init_pid(spec.name)}, {boot.state} "
              f"{boot.seconds:.2f}s after power on")
    first = lab.nodes[0].name
    print(f"\nssh into a node:\n  python -m lab ssh {first}\nor by hand:\n  "
          + shlex.join(lab.ssh_argv(first, None)))
    print("\nenter a node without ssh (its namespaces, its reduced capabilities):\n  "
          + shlex.join(lab.enter_argv(first, ["bash"])))
    print(f"\ntake it down:\n  python -m lab down --id {lab.lab_id}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    labs = [pick_lab(args.id)] if args.id else [Lab.attach(lab_id) for lab_id in saved_lab_ids()]
    if not labs:
        print("no lab")
    for lab in labs:
        print(f"lab {lab.lab_id}: subnet {lab.state.subnet}, gateway {lab.state.gateway}")
        for row in lab.status():
            health = " ".join(f"{key}={'up' if row[key] else 'DOWN'}" for key in ("netns", "init", "sshd"))
            print(f"  {row['node']:6} {row['address']:15} {health} system={row['system']}")
    return 0


def cmd_ssh(args: argparse.Namespace) -> int:
    lab = pick_lab(args.id)
    argv = lab.ssh_argv(args.node, shlex.join(args.command) if args.command else None)
    if not args.command:
        argv.insert(argv.index("ssh") + 1, "-t")
    os.execvp(argv[0], argv)
    return 1


def cmd_down(args: argparse.Namespace) -> int:
    if args.all:
        removed = remove_all()
        print(f"removed {len(removed)} lab(s): {' '.join(removed) or '-'}")
        return 0
    lab_id = checked_id(args.id) if args.id else pick_lab(None).lab_id
    remove_lab(lab_id)  # from what the machine shows: also without a state file
    print(f"lab {lab_id} removed")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="bring a lab up and leave it running")
    up.add_argument("--nodes", type=int, default=3, help="cp1, w1, w2, ... (default 3)")
    up.add_argument("--control-planes", type=int, default=1,
                    help="how many of the nodes are control planes, cp1, cp2, ... (default 1; 3 for HA behind the stack's VIP)")
    up.add_argument("--subnet", default=DEFAULT_SUBNET)
    up.add_argument("--gateway", default=DEFAULT_GATEWAY)
    up.add_argument("--id", help="lab id (default: random)")
    up.add_argument("--real", action="store_true", help="a real Kubernetes cluster on the nodes (lab/create)")
    up.add_argument("--keep-on-failure", action="store_true", help="--real: leave the lab for inspection")
    up.set_defaults(run=cmd_up)
    status = sub.add_parser("status", help="list labs and the health of their nodes")
    status.add_argument("--id")
    status.set_defaults(run=cmd_status)
    ssh = sub.add_parser("ssh", help="ssh into a node (from the fabric, host key pinned)")
    ssh.add_argument("node")
    ssh.add_argument("command", nargs=argparse.REMAINDER)
    ssh.add_argument("--id")
    ssh.set_defaults(run=cmd_ssh)
    down = sub.add_parser("down", help="take a lab down; --all: every som-* trace on the machine")
    group = down.add_mutually_exclusive_group()
    group.add_argument("--id")
    group.add_argument("--all", action="store_true")
    down.set_defaults(run=cmd_down)
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        raise SystemExit("the lab needs root (network namespaces, mounts)")
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
