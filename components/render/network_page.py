"""The network page of a render (``network.md``): every node's address, slice and pod
range, the tenants' selectors, and a Mermaid drawing of the layer-2 network."""

from __future__ import annotations

from components.config import Platform
from components.network import NetworkPlan, plan


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


