"""The main job on a machine without a rack: bring up a lab, deploy the dev stack, show it.

    sudo bash scripts/demo.sh            # sets up, then: python -m tests.e2e.demo

Brings up a 3-node lab (network namespaces with real sshd), runs the real program against
it through the engine stand-in (tests/engine/engine.py: the Pulumi CLI cannot be
installed here), prints what a platform engineer checks after `pulumi up` (nodes,
addresses, pod ranges, joins, pod connectivity, the stack outputs with secrets masked),
and tears the lab down, also on failure or Ctrl-C. On a real rack: `pulumi up -s <stack>`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from components.hostfiles.cni import CONF_PATH
from components.network import plan
from components.stack import load_stack_file
from tests.e2e import probes
from tests.e2e.runner import LabStack
from tests.engine.engine import Event
from lab import DEFAULT_GATEWAY, DEFAULT_SUBNET, Lab, default_nodes

SECRET = "[secret]"


def say(text: str = "") -> None:
    print(text, flush=True)


def progress(event: Event) -> None:
    if event.host:
        mark = "FAILED" if event.action == "failed" else event.action
        say(f"  {mark:<7} {event.name:<28} on {event.host:<12} {event.seconds:5.2f}s")
        if event.action == "failed":
            say("    " + event.message.strip().splitlines()[-1])


def table(rows: list[list[str]], header: list[str]) -> None:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        say("  " + "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)))


def masked(outputs: dict[str, Any], secret: frozenset[str]) -> dict[str, Any]:
    return {key: (SECRET if key in secret else _short(value)) for key, value in outputs.items()}


def _short(value: Any) -> Any:
    """Long texts (pod templates) as their first line and size: the screen is for reading."""
    if isinstance(value, dict):
        return {k: _short(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_short(v) for v in value]
    if isinstance(value, str) and "\n" in value and len(value) > 80:
        return f"{value.splitlines()[0]} ... ({len(value.splitlines())} lines)"
    return value


def show(lab: Lab, run: LabStack, report_exports: dict[str, Any], secret: frozenset[str]) -> None:
    platform = load_stack_file(run.stack)
    network = {net.name: net for net in plan(platform).nodes}
    say("\nNodes")
    rows = []
    for spec in lab.nodes:
        net = network[spec.name]
        calls = {c["argv"][1] for c in lab.calls(spec.name) if c["tool"] == "kubeadm" and len(c["argv"]) > 1}
        role = "init" if "init" in calls else ("joined" if "join" in calls else "-")
        rows.append([spec.name, ", ".join(probes.ipv4_addresses(lab, spec.name, net.macvlan_interface)) + f" on {net.macvlan_interface}",
                     ", ".join(probes.ipv4_addresses(lab, spec.name, net.uplink)) or f"none on {net.uplink}",
                     f"{net.range_start} - {net.range_end}", role])
    table(rows, ["node", "host address", "uplink", "pod range", "kubeadm"])
    say("\nPods (real macvlan + host-local CNI plugins, node's rendered " + CONF_PATH + ")")
    pods = [probes.add_pod(lab, spec.name, f"demo-{spec.name}") for spec in lab.nodes]
    table([[p.name, p.node, p.address, "; ".join(f"{d} via {g}" for d, g in p.routes)] for p in pods], ["pod", "node", "address", "routes"])
    say("\nPod connectivity (ping)")
    matrix = probes.connectivity(lab, pods, lab.state.gateway)
    targets = list(dict.fromkeys(target for row in matrix.values() for target in row))
    cells = [[pod, *[("ok" if row[t] else "FAIL") if t in row else "-" for t in targets]] for pod, row in matrix.items()]
    table(cells, ["from", *targets])
    say("\nStack outputs (secrets masked)")
    say(json.dumps(masked(report_exports, secret), indent=2, default=str))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=3, help="lab size: 1 control plane + N-1 workers")
    parser.add_argument("--keep", action="store_true", help="leave the lab running (python -m lab down --all)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    say(f"Bringing up a {args.nodes}-node lab on {DEFAULT_SUBNET} (gateway {DEFAULT_GATEWAY}) ...")
    lab = Lab(DEFAULT_SUBNET, DEFAULT_GATEWAY, default_nodes(args.nodes)).up()
    run = LabStack(lab, on_event=progress)
    try:
        say(f"Lab {lab.lab_id} up in {time.perf_counter() - started:.1f}s. Deploying stack 'dev' (engine stand-in, real SSH):")
        report = run.up()
        if report.error:
            say(f"\nDeployment FAILED: {report.error.strip().splitlines()[0]}")
            return 1
        sessions = dict(run.executor.sessions)
        say(f"Deployed in {report.seconds:.1f}s; SSH sessions per host: {sessions}")
        show(lab, run, report.exports, report.secret_exports)
        again = run.up()
        say(f"\nSecond run: {len(again.executed)} commands executed (an unchanged stack changes nothing).")
        return 0
    finally:
        run.close()
        if args.keep:
            lab.detach()
            say(f"\nLab {lab.lab_id} left running: python -m lab ssh --id {lab.lab_id} cp1; python -m lab down --id {lab.lab_id}")
        else:
            lab.down()
            say(f"\nLab torn down. Total {time.perf_counter() - started:.1f}s.")


if __name__ == "__main__":
    sys.exit(main())
