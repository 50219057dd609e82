"""The boot scripts that own an iptables chain (pod-forwarding, dns-notrack), run for real
in a throw-away network namespace: what a node's boot unit and the host-network step do.

What relies on it: pods reach services only through the FORWARD accept chain, and DNS on
a DNS node is untracked only while the raw-table chain is hooked; a re-run (every boot,
every ``up``) must change nothing, and ``remove`` must leave the tables as it found
them. Both scripts share one prelude (iptables-chain.sh), so this covers both tables.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from components.hostfiles import hostnet
from components.network import node_network
from components.stack import load_stack_file

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("iptables") is None,
    reason="needs root, unshare and iptables (a private network namespace per test)",
)


def in_private_netns(script: str, tmp_path: Path) -> list[str]:
    """Run ``script`` (bash) in a new network namespace that ends with it; its output lines."""
    done = subprocess.run(["unshare", "--net", "bash", "-euo", "pipefail", "-c", script], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def installed(tmp_path: Path, host_file) -> str:
    path = tmp_path / Path(host_file.path).name
    path.write_text(host_file.content)
    path.chmod(0o755)
    return str(path)


def test_pod_forwarding_accepts_the_pool_once_and_leaves_nothing(tmp_path: Path) -> None:
    platform = load_stack_file("dev")
    script = installed(tmp_path, hostnet.pod_forwarding_script(platform))
    out = in_private_netns(f"""
        {script} apply; {script} apply 2>second.log
        iptables -w -S; echo ---; cat second.log; echo ---
        {script} remove; {script} remove; iptables -w -S
    """, tmp_path)
    first, logged, after = _sections(out)
    assert first == [
        "-P INPUT ACCEPT", "-P FORWARD ACCEPT", "-P OUTPUT ACCEPT", f"-N {hostnet.FORWARD_CHAIN}",
        f"-A FORWARD -j {hostnet.FORWARD_CHAIN}",
        f"-A {hostnet.FORWARD_CHAIN} -s 10.99.64.0/20 -j ACCEPT", f"-A {hostnet.FORWARD_CHAIN} -d 10.99.64.0/20 -j ACCEPT",
    ]
    assert logged == []  # the second apply found everything in place
    assert after == ["-P INPUT ACCEPT", "-P FORWARD ACCEPT", "-P OUTPUT ACCEPT"]


def test_dns_notrack_hooks_both_raw_chains_and_repairs_a_changed_rule(tmp_path: Path) -> None:
    platform = load_stack_file("dev")
    node = platform.dns_nodes[0]
    script = installed(tmp_path, hostnet.dns_notrack_script(node_network(platform, node)))
    chain = hostnet.DNS_CHAIN
    out = in_private_netns(f"""
        {script} apply
        iptables -w -t raw -D {chain} 1; iptables -w -t raw -A {chain} -j ACCEPT
        {script} apply; iptables -w -t raw -S; echo ---; echo ---
        {script} remove; iptables -w -t raw -S
    """, tmp_path)
    repaired, _, after = _sections(out)
    address = node.address
    assert repaired == [
        "-P PREROUTING ACCEPT", "-P OUTPUT ACCEPT", f"-N {chain}",
        f"-A PREROUTING -j {chain}", f"-A OUTPUT -j {chain}",
        *(line for proto in ("udp", "tcp") for line in (
            f"-A {chain} -d {address}/32 -p {proto} -m {proto} --dport 53 -j NOTRACK",
            f"-A {chain} -s {address}/32 -p {proto} -m {proto} --sport 53 -j NOTRACK",
        )),
    ]
    assert after == ["-P PREROUTING ACCEPT", "-P OUTPUT ACCEPT"]


def test_a_boot_script_refuses_an_unknown_verb(tmp_path: Path) -> None:
    script = installed(tmp_path, hostnet.pod_forwarding_script(load_stack_file("dev")))
    done = subprocess.run(["unshare", "--net", script, "undo"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2 and "usage:" in done.stderr and "apply|remove" in done.stderr


def _sections(lines: list[str]) -> list[list[str]]:
    sections: list[list[str]] = [[]]
    for line in lines:
        if line == "---":
            sections.append([])
        else:
            sections[-1].append(line)
    return sections
