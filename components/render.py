"""``render``: what the program would put on every host and into Kubernetes, as files.

Reviewers read this in a pull request; it is produced by the same pure functions that
feed the Pulumi resources, so it is byte-for-byte what lands (secrets excepted: they
appear as ``@@SOM_SECRET:...@@`` placeholders). Deterministic: same config, same bytes.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

from components import manifests
from components.config import Platform
from components.network import NetworkPlan, plan
from components.steps import Step, steps_by_host

OWNED = ("nodes", "manifests", "network.md")


def step_filename(number: int, step: Step) -> str:
    suffix = "" if step.node == step.runs_on else f"-{step.node}"
    return f"{number:02d}-{step.name}{suffix}.sh"


def manifest_filename(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata", {})
    parts = [obj["kind"], meta.get("namespace", ""), meta["name"]]
    return "_".join(p for p in parts if p).lower().replace(":", "-") + ".yaml"


def host_tree(platform: Platform) -> dict[str, str]:
    """``relative path -> content`` of every file and step script, per host."""
    tree: dict[str, str] = {}
    for host, steps in steps_by_host(platform).items():
        for number, step in enumerate(steps, start=1):
            tree[f"nodes/{host}/steps/{step_filename(number, step)}"] = step.script()
            for host_file in step.all_files:
                tree[f"nodes/{host}{host_file.path}"] = host_file.content
    return tree


def schema_problems(platform: Platform) -> list[str]:
    """Managed objects the official schema of the stack's release rejects (see
    components/manifests/validate.py); a note, and no check, without kubernetes-validate
    (a development dependency: the Pulumi program itself does not need it)."""
    from components.manifests.validate import ValidatorUnavailable, validate

    try:
        return validate(manifests.objects(platform), str(platform.version))
    except ValidatorUnavailable as missing:
        print(f"render: note: {missing}", file=sys.stderr)
        return []


def manifest_tree(platform: Platform) -> dict[str, str]:
    tree = {}
    for obj in manifests.objects(platform):
        name = f"manifests/{manifest_filename(obj)}"
        if name in tree:
            raise ValueError(f"two managed objects render to {name}")
        tree[name] = yaml.safe_dump(obj, sort_keys=True, default_flow_style=False)
    return tree


def network_markdown(platform: Platform, network: NetworkPlan | None = None) -> str:
    network = network or plan(platform)
    cfg = platform.config
    lines = [
        f"# Network plan: stack `{platform.stack}`",
        "",
        f"Layer-2 subnet `{network.subnet}`, gateway `{network.gateway}`, pod pool `{network.pool}` "
        f"in /{cfg.pod_slice_prefix} slices, service CIDR `{network.service_cidr}` (routed via each pod's own node). "
        f"API server `{platform.api_server_url}`.",
        "",
        "| node | address | roles | tenant | uplink | host interface | pod slice | pod range | pods |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for node, net in zip(platform.nodes, network.nodes):
        tenant = platform.tenant_of.get(node.name)
        lines.append(
            f"| {node.name} | {net.address}/{net.prefix_length} | {', '.join(node.roles)} | "
            f"{tenant.name if tenant else '-'} | {net.uplink} | {net.macvlan_interface} | "
            f"{net.pod_slice} (#{net.slice_index}) | {net.range_start} - {net.range_end} | {net.pod_capacity} |"
        )
    lines += ["", "| tenant | namespace | node selector | nodes |", "|---|---|---|---|"]
    for tenant in cfg.tenants:
        lines.append(f"| {tenant.name} | {tenant.name} | `{tenant.node_selector}` | {', '.join(tenant.nodes)} |")
    if not cfg.tenants:
        lines.append("| - | - | - | - |")
    lines += ["", "```mermaid", *mermaid(platform, network), "```", ""]
    return "\n".join(lines)


def mermaid(platform: Platform, network: NetworkPlan) -> list[str]:
    lines = [
        "flowchart TB",
        f'  gw(["gateway {network.gateway}"])',
        f'  l2[["layer-2 network {network.subnet}"]]',
        "  gw --- l2",
    ]
    for node, net in zip(platform.nodes, network.nodes):
        ident = node.name.replace("-", "_")
        tenant = platform.tenant_of.get(node.name)
        label = f"{node.name}<br/>{', '.join(node.roles)}" + (f"<br/>tenant {tenant.name}" if tenant else "")
        lines += [
            f'  subgraph {ident}["{label}"]',
            f'    {ident}_up["{net.uplink} (no address)"]',
            f'    {ident}_host["{net.macvlan_interface} {net.address}"]',
            f'    {ident}_pods["pods {net.range_start} - {net.range_end}"]',
            f"    {ident}_up --- {ident}_host",
            f"    {ident}_up --- {ident}_pods",
            "  end",
            f"  l2 --- {ident}_up",
        ]
    return lines


def tree(platform: Platform) -> dict[str, str]:
    return {**host_tree(platform), **manifest_tree(platform), "network.md": network_markdown(platform)}


def write(platform: Platform, out: Path) -> int:
    """Write the render into ``out``, replacing only what render owns there."""
    out.mkdir(parents=True, exist_ok=True)
    for owned in OWNED:
        target = out / owned
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    files = tree(platform)
    for relative, content in sorted(files.items()):
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return len(files)
