"""The main job on a machine without a rack: a real cluster in the lab, shown, then removed.

    sudo bash scripts/demo.sh            # sets up, then: python -m lab.demo

Brings up a real kubeadm cluster on systemd-booted lab nodes with ``pulumi up`` of the
dev stack (lab/create: the real Pulumi CLI and kubernetes provider; the pulumi-command
provider is a stand-in, see README "What is real"), then shows what a platform engineer
checks after ``pulumi up``: the nodes as the API server sees them, the system pods and
where they run, a pod on each tenant node with its address and its reach (host,
another host, another node's pod, CoreDNS on a node address), the reference's SparkPi
submitted as the tenant with where each of its pods ran, that a second run plans no
change, and the stack outputs with secrets masked. The lab is removed at the end,
also on failure or Ctrl-C, unless ``--keep``.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from .create import Options, bring_up
from .create.pulumi_up import in_fabric
from .create.run import BringUp, BringUpError
from .probes import Kubectl, for_lab, stack_workspace
from .probes.dns import resolve_in_pod
from .probes.pods import in_pod, ping_argv, pod_manifest
from .probes.spark import delete_job, run_sparkpi
from .proc import LabError
from .spec import DEFAULT_GATEWAY, DEFAULT_SUBNET, new_lab_id

SECRET = "[secret]"
POD_TIMEOUT = 120.0


def say(text: str = "") -> None:
    print(text, flush=True)


def table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> None:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        say("  " + "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)))


def short(value: Any) -> Any:
    """Long texts (pod templates) as their first line and size: the screen is for reading."""
    if isinstance(value, dict):
        return {k: short(v) for k, v in value.items()}
    if isinstance(value, list):
        return [short(v) for v in value]
    if isinstance(value, str) and "\n" in value and len(value) > 80:
        return f"{value.splitlines()[0]} ... ({len(value.splitlines())} lines)"
    return value


def masked(outputs: dict[str, Any]) -> dict[str, Any]:
    """Outputs as ``pulumi stack output`` shows them (secrets are "[secret]" there too)."""
    return {key: SECRET if value == SECRET else short(value) for key, value in outputs.items()}


def node_rows(kubectl: Kubectl) -> list[list[str]]:
    rows = []
    for name, node in sorted(kubectl.nodes().items()):
        status, labels = node["status"], node["metadata"]["labels"]
        roles = sorted(k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/"))
        ready = next(c["status"] for c in status["conditions"] if c["type"] == "Ready")
        address = next(a["address"] for a in status["addresses"] if a["type"] == "InternalIP")
        info = status["nodeInfo"]
        rows.append([name, address, ",".join(roles) or "-", "Ready" if ready == "True" else "NotReady",
                     info["kubeletVersion"], info["containerRuntimeVersion"]])
    return rows


def system_pod_rows(kubectl: Kubectl) -> list[list[str]]:
    pods = kubectl.json(["get", "pods", "-A"])["items"]
    return sorted([p["metadata"]["namespace"], p["metadata"]["name"], p["spec"].get("nodeName", "-"),
                   p["status"].get("podIP", "-"), p["status"].get("phase", "-")] for p in pods)


def tenant_pods(kubectl: Kubectl, outputs: dict[str, Any], image: str) -> dict[str, dict[str, Any]]:
    """One pod per node of the first tenant, pinned there, once Running: by node name."""
    tenant = sorted(outputs["tenants"])[0]
    nodes = [n["name"] for n in outputs["nodes"] if n.get("tenant") == tenant]
    for node in nodes:
        kubectl.run(["apply", "-f", "-"], stdin=pod_manifest(f"demo-{node}", tenant, image,
                                                              {"kubernetes.io/hostname": node}))

    def running(node: str) -> Callable[[], dict[str, Any] | None]:
        def check() -> dict[str, Any] | None:
            found = kubectl.json(["-n", tenant, "get", "pod", f"demo-{node}"])
            return found if found["status"].get("phase") == "Running" and found["status"].get("podIP") else None
        return check

    return {node: kubectl.wait(f"pod demo-{node} Running", running(node), POD_TIMEOUT) for node in nodes}


def show(state: BringUp) -> None:
    assert state.lab is not None and state.workspace_dir is not None and state.site is not None
    lab, stack = state.lab, state.options.stack
    kubectl = for_lab(lab, state.workspace_dir, stack)
    outputs = stack_workspace(state.workspace_dir, stack).outputs()
    say("\nNodes (kubectl get nodes, admin kubeconfig from the stack output)")
    table(node_rows(kubectl), ["node", "address", "roles", "status", "kubelet", "runtime"])
    say("\nPods")
    table(system_pod_rows(kubectl), ["namespace", "pod", "node", "address", "phase"])

    from .images.spec import plan
    from .toolchain.plan import lab_kubernetes

    [pause] = [spec for spec in plan(lab_kubernetes()) if spec.name == "pause"]
    pods = tenant_pods(kubectl, outputs, pause.reference(state.site.image_repository))
    slices = {n["name"]: n["podRange"] for n in outputs["nodes"]}
    say("\nA tenant pod on each tenant node (MACVLAN address from the node's slice)")
    table([[p["metadata"]["namespace"] + "/" + p["metadata"]["name"], node, p["status"]["podIP"],
            f"{slices[node]['start']} - {slices[node]['end']}",
            "yes" if ipaddress.IPv4Address(p["status"]["podIP"]) in ipaddress.IPv4Network(slices[node]["cidr"]) else "NO"]
           for node, p in pods.items()], ["pod", "node", "address", "node's slice", "inside"])

    first, *others = sorted(pods)
    source = pods[first]
    namespace, name = source["metadata"]["namespace"], source["metadata"]["name"]
    address = {n["name"]: n["address"] for n in outputs["nodes"]}
    control_plane = next(n["name"] for n in outputs["nodes"] if n["name"] not in pods)
    targets = {f"its host {first}": address[first], f"host {control_plane}": address[control_plane],
               **{f"pod on {o}": pods[o]["status"]["podIP"] for o in others}}
    say(f"\nReach from {namespace}/{name} (ping in the pod's network namespace)")
    table([[what, ip, "ok" if in_pod(lab, first, namespace, name, ping_argv(ip)).returncode == 0 else "FAIL"]
           for what, ip in targets.items()], ["to", "address", "ping"])
    say("\nDNS from the pod (CoreDNS on the host network of the dns nodes)")
    rows = []
    for server in outputs["dnsServers"]:
        answer = resolve_in_pod(lab, first, namespace, name, server, "kubernetes.default.svc.cluster.local")
        rows.append([server, "kubernetes.default.svc.cluster.local", ", ".join(answer["a"]) or f"rcode {answer['rcode']}"])
    table(rows, ["server", "name", "answer"])

    sparkpi(state, kubectl, namespace)

    again, _ = in_fabric(lab, state.workspace_dir, stack, "preview")
    say(f"\nSecond run (pulumi preview of the deployed stack): {again['changes']} in {again['seconds']:.1f}s"
        + ("" if set(again["changes"]) == {"same"} else "  <- changes planned"))
    say("\nStack outputs (pulumi stack output; secrets masked)")
    say(json.dumps(masked(outputs), indent=2, default=str))


def sparkpi(state: BringUp, kubectl: Kubectl, tenant: str) -> None:
    """The reference's proof: SparkPi in cluster mode as the tenant, every pod on its nodes."""
    assert state.lab is not None and state.workspace_dir is not None
    say(f"\nSparkPi as tenant {tenant} (python -m components spark-submit --tenant-kubeconfig, cluster mode; "
        "a few minutes on two cores)")
    outputs = stack_workspace(state.workspace_dir, state.options.stack).outputs(show_secrets=True)
    job = run_sparkpi(state.lab, kubectl, outputs, tenant, state.workspace_dir / "sparkpi")
    try:
        say(f"  spark-submit exit {job.returncode} after {job.seconds:.0f}s; driver: {' '.join(job.answer) or 'no answer'}")
        tenant_nodes = {n["name"] for n in outputs["nodes"] if n.get("tenant") == tenant}
        table([[name, pod["metadata"]["labels"].get("spark-role", "-"), pod["spec"].get("nodeName", "-"),
                pod["status"].get("podIP", "-"), "yes" if pod["spec"].get("nodeName") in tenant_nodes else "NO"]
               for name, pod in sorted(job.pods.items())], ["pod", "role", "node", "address", "tenant's node"])
        say("  kubectl logs -f (as the tenant, from the driver's start): "
            + (f"{len(job.streamed_log.splitlines())} lines streamed, " + ("with the answer" if "Pi is roughly" in job.streamed_log else "no answer"))
            if job.streamed_log else "  kubectl logs -f: nothing streamed")
        say(f"  driver UI through kubectl port-forward {job.driver} 14040:4040: "
            + (", ".join(f"{app.get('name')} ({app.get('id')})" for app in json.loads(job.ui_answer)) if job.ui_answer else "no answer"))
        if job.returncode != 0 or not job.answer:
            say((job.driver_log or job.client_log)[-3000:])
            raise RuntimeError(f"SparkPi did not finish with an answer (spark-submit exit {job.returncode})")
    finally:
        delete_job(kubectl, job)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=3, help="lab size: 1 control plane + N-1 workers")
    parser.add_argument("--keep", action="store_true", help="leave the lab running (python -m lab down --id ID)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    lab_id = new_lab_id()
    say(f"Bringing up lab {lab_id}: {args.nodes} systemd nodes on {DEFAULT_SUBNET} (gateway {DEFAULT_GATEWAY}), "
        "mirrors, then `pulumi up` of the dev stack ...")
    options = Options(nodes=args.nodes, lab_id=lab_id, keep_on_failure=args.keep)
    state: BringUp | None = None
    try:
        state = bring_up(options, say=lambda line: say("  " + line))
        say(f"Cluster up in {state.total_seconds:.1f}s; engine seconds per node and step: {state.facts.get('step_seconds')}")
        show(state)
        return 0
    except (BringUpError, LabError, RuntimeError) as error:
        say(f"\nFAILED: {error}")
        return 1
    finally:
        if args.keep:
            say(f"\nLab {lab_id} left running: python -m lab ssh --id {lab_id} cp1; python -m lab down --id {lab_id}")
        else:
            from .cleanup import remove_lab

            remove_lab(lab_id)
            say(f"\nLab removed. Total {time.monotonic() - started:.1f}s.")


if __name__ == "__main__":
    sys.exit(main())
