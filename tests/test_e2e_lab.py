"""End to end: the real program, through the engine stand-in, against a 3-node lab.

What runs for real: the program, the rendered step scripts over real SSH with pinned host
keys, ip/iptables/sysctl in each node's network namespace, the CNI plugins attaching
pods, systemd in every node. What is stood in: the Pulumi engine (tests/engine/engine.py),
kubeadm, kubelet, kubectl and apt (lab/standins). See the README's "What is real here".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from components.hostfiles import cni, hostnet
from components.network import NetworkPlan
from components.stack import load_stack_file
from components.network import plan
from components.steps import STEP_NAMES
from tests.e2e import probes
from tests.e2e.runner import LabStack
from tests.engine.engine import COMMAND, UpReport
from lab import DEFAULT_GATEWAY, DEFAULT_SUBNET, Lab, default_nodes
from lab.testing import LabFactory, requires_root

pytestmark = requires_root
pytest_plugins = ["lab.fixtures"]

SERVICE_IP = "10.99.80.10"
DNS_NAME = "history.analytics.svc.cluster.local"
DNS_ANSWER = "10.99.80.20"


@dataclass
class Deployed:
    lab: Lab
    run: LabStack
    report: UpReport
    network: NetworkPlan
    pods: dict[str, probes.Pod]


@pytest.fixture(scope="module")
def deployed() -> Iterator[Deployed]:
    """The dev stack deployed to a fresh 3-node lab, with a pod on every node."""
    lab = Lab(DEFAULT_SUBNET, DEFAULT_GATEWAY, default_nodes(3)).up()
    run = LabStack(lab)
    try:
        report = run.up()
        assert report.error is None, report.error
        pods = {spec.name: probes.add_pod(lab, spec.name, f"p-{spec.name}") for spec in lab.nodes}
        yield Deployed(lab, run, report, plan(load_stack_file("dev")), pods)
    finally:
        run.close()
        lab.down()


def commands(report: UpReport, action: str) -> set[str]:
    return {e.name for e in report.events if e.action == action and e.host}


def test_first_run_brings_up_every_step_and_joins_both_workers(deployed: Deployed) -> None:
    created = commands(deployed.report, "create")
    assert created == {
        "cp1-prepare-host", "cp1-host-network", "cp1-kubeadm-init",
        *(f"{w}-{step}" for w in ("w1", "w2") for step in STEP_NAMES if step != "kubeadm-init"),
    }
    joins = [c for c in deployed.lab.calls("w1") if c["tool"] == "kubeadm" and c["argv"][1:2] == ["join"]]
    assert len(joins) == 1
    minted = [c for c in deployed.lab.calls("cp1") if c["tool"] == "kubeadm" and c["argv"][1:3] == ["token", "create"]]
    assert len(minted) == 2, "one bootstrap token per joining node"
    kubeconfig = deployed.report.exports["kubeconfig"]
    assert "kubeconfig" in deployed.report.secret_exports
    assert "server: https://10.99.0.11:6443" in kubeconfig


def test_kubernetes_objects_are_recorded_and_valid(deployed: Deployed) -> None:
    from components.manifests.validate import validate

    run = deployed.report.run
    assert run is not None
    objects = [
        {k: v for k, v in reg.plain_inputs().items() if k in ("apiVersion", "kind", "metadata", "spec", "data", "rules", "roleRef", "subjects", "value", "preemptionPolicy", "description", "globalDefault")}
        for reg in run.registrations.values()
        if reg.type.startswith("kubernetes:") and not reg.type.startswith("pulumi:providers")
    ]
    assert any(o.get("kind") == "Namespace" for o in objects)
    assert validate(objects, "1.31.4") == []


def test_host_address_sits_on_the_macvlan_sub_interface(deployed: Deployed) -> None:
    for net in deployed.network.nodes:
        assert probes.ipv4_addresses(deployed.lab, net.name, "mac0") == [net.host_cidr]
        assert probes.ipv4_addresses(deployed.lab, net.name, "eth0") == []
        # the session that moved the address completed (the step succeeded), and a new one works
        assert deployed.lab.ssh(net.name, "true").returncode == 0


def test_pods_get_their_nodes_slice_and_routes(deployed: Deployed) -> None:
    for net in deployed.network.nodes:
        pod = deployed.pods[net.name]
        assert probes.in_range(pod.address, str(net.range_start), str(net.range_end)), (pod, net)
        assert set(pod.routes) == {("0.0.0.0/0", "10.99.127.254"), ("10.99.80.0/24", str(net.address))}


def test_pods_reach_hosts_pods_and_gateway(deployed: Deployed) -> None:
    matrix = probes.connectivity(deployed.lab, list(deployed.pods.values()), DEFAULT_GATEWAY)
    unreachable = {(pod, target) for pod, row in matrix.items() for target, ok in row.items() if not ok}
    assert unreachable == set()


def test_without_the_host_trick_a_pod_cannot_reach_its_own_host(deployed: Deployed) -> None:
    """The negative control: with the address back on the uplink, the macvlan child and its
    parent cannot talk (DESIGN.md); other hosts stay reachable."""
    lab, pod = deployed.lab, deployed.pods["w1"]
    lab.node_exec("w1", [hostnet.HOST_NETWORK_SCRIPT, "undo"])
    try:
        assert not probes.reaches(lab, pod, "10.99.0.12")
        assert probes.reaches(lab, pod, "10.99.0.11")
    finally:
        lab.node_exec("w1", [hostnet.HOST_NETWORK_SCRIPT, "apply"])
    assert probes.reaches(lab, pod, "10.99.0.12")


def test_pod_reaches_a_service_ip_through_its_node(deployed: Deployed) -> None:
    """Service traffic takes the pod's service route to its node, where a DNAT rule (as
    kube-proxy's, with masqueradeAll) sends it on; FORWARD's policy is DROP and only the
    rendered forwarding rules let it through."""
    lab, client, backend = deployed.lab, deployed.pods["w1"], deployed.pods["w2"]
    route = lab.pod_exec("w1", client.name, ["ip", "-4", "route", "get", SERVICE_IP]).stdout
    assert "via 10.99.0.12" in route
    kube_proxy = [
        ["-t", "nat", "-A", "PREROUTING", "-d", f"{SERVICE_IP}/32", "-p", "icmp", "-j", "DNAT", "--to-destination", backend.address],
        ["-t", "nat", "-A", "POSTROUTING", "-d", f"{backend.address}/32", "-j", "MASQUERADE"],
    ]
    lab.node_exec("w1", ["iptables", "-w", "-P", "FORWARD", "DROP"])
    for rule in kube_proxy:
        lab.node_exec("w1", ["iptables", "-w", *rule])
    try:
        assert probes.reaches(lab, client, SERVICE_IP)
        lab.node_exec("w1", [hostnet.POD_FORWARDING_SCRIPT, "undo"])
        assert not probes.reaches(lab, client, SERVICE_IP), "FORWARD DROP must stop it without our rules"
    finally:
        lab.node_exec("w1", [hostnet.POD_FORWARDING_SCRIPT, "apply"])
        for rule in kube_proxy:
            lab.node_exec("w1", ["iptables", "-w", *[("-D" if word == "-A" else word) for word in rule]])
        lab.node_exec("w1", ["iptables", "-w", "-P", "FORWARD", "ACCEPT"])


def _dns_lookup_conntrack_entries(deployed: Deployed) -> int:
    lab = deployed.lab
    lab.node_exec("cp1", ["conntrack", "-F"], check=False)
    answer = probes.resolve(lab, deployed.pods["w1"], DNS_NAME, "10.99.0.11", lab.state.python)
    assert answer == DNS_ANSWER
    listed = lab.node_exec("cp1", ["conntrack", "-L", "-p", "udp", "--dport", "53"], check=False)
    return len([line for line in listed.stdout.splitlines() if "dport=53" in line])


def test_dns_on_the_node_address_needs_no_nat_and_no_conntrack(deployed: Deployed) -> None:
    """The hostNetwork CoreDNS path (dnsmasq stands in): a pod asks the DNS node's own
    address; no DNAT on the way, and the NOTRACK rules keep conntrack out of it even with
    kube-proxy-like NAT rules active on the node."""
    lab = deployed.lab
    lab.node_exec("cp1", [
        "dnsmasq", "--no-resolv", "--no-hosts", "--bind-interfaces", "--listen-address=10.99.0.11",
        f"--address=/{DNS_NAME}/{DNS_ANSWER}", "--pid-file=/run/som-test-dnsmasq.pid",
    ])
    masquerade = ["-t", "nat", "-A", "POSTROUTING", "-s", "10.99.64.0/20", "-d", "10.99.80.0/24", "-j", "MASQUERADE"]
    lab.node_exec("cp1", ["iptables", "-w", *masquerade])  # conntrack is live, as under kube-proxy
    try:
        nat_rules = lab.node_exec("cp1", ["iptables", "-w", "-t", "nat", "-S"]).stdout
        assert "DNAT" not in nat_rules and "dpt:53" not in nat_rules
        assert _dns_lookup_conntrack_entries(deployed) == 0
        lab.node_exec("cp1", [hostnet.DNS_NOTRACK_SCRIPT, "undo"])
        assert _dns_lookup_conntrack_entries(deployed) > 0, "negative control: tracked without NOTRACK"
    finally:
        lab.node_exec("cp1", [hostnet.DNS_NOTRACK_SCRIPT, "apply"])
        lab.node_exec("cp1", ["iptables", "-w", *[("-D" if w == "-A" else w) for w in masquerade]])
        lab.node_exec("cp1", ["sh", "-c", "kill $(cat /run/som-test-dnsmasq.pid)"], check=False)


def test_an_unchanged_second_run_changes_nothing(deployed: Deployed) -> None:
    before = {spec.name: probes.snapshot(deployed.lab, spec.name) for spec in deployed.lab.nodes}
    report = deployed.run.up()
    assert report.error is None
    assert report.executed == [], "an unchanged stack re-runs no command"
    assert {spec.name: probes.snapshot(deployed.lab, spec.name) for spec in deployed.lab.nodes} == before


def test_every_step_applied_again_changes_nothing(deployed: Deployed) -> None:
    """Script-level idempotency (what `pulumi up --replace` or a changed input exercises):
    each step's apply, run again with its stored stdin, leaves files, links, addresses,
    routes and rules as they were. join-credentials is left out: it mints a token."""
    lab, run = deployed.lab, deployed.run
    before = {spec.name: probes.snapshot(lab, spec.name) for spec in lab.nodes}
    for res in run.engine.state.values():
        if res.type != COMMAND or res.name.endswith("join-credentials"):
            continue
        done = run.executor.run(res.inputs["connection"], res.inputs["create"], res.inputs["stdin"])
        assert done.exit_code == 0, (res.name, done.stderr)
        assert " wrote " not in done.stderr and "moved" not in done.stderr, (res.name, done.stderr)
    assert {spec.name: probes.snapshot(lab, spec.name) for spec in lab.nodes} == before


def test_host_networking_survives_a_reboot(deployed: Deployed) -> None:
    lab = deployed.lab
    report = lab.reboot("w2")
    assert report.units[hostnet.UNIT_NAME] == 0
    assert probes.ipv4_addresses(lab, "w2", "mac0") == ["10.99.0.13/17"]
    assert probes.ipv4_addresses(lab, "w2", "eth0") == []
    assert hostnet.FORWARD_CHAIN in lab.node_exec("w2", ["iptables", "-w", "-S", "FORWARD"]).stdout
    assert lab.ssh("w2", "true").returncode == 0
    deployed.pods["w2"] = probes.add_pod(lab, "w2", "p-w2-after-reboot")
    assert probes.reaches(lab, deployed.pods["w2"], "10.99.0.13")


def test_removing_a_worker_tears_it_down_in_order(deployed: Deployed) -> None:
    """Runs last: drain and delete the Node (on the control plane), kubeadm reset, then the
    network back to the uplink, through the delete commands."""
    lab = deployed.lab
    report = deployed.run.up(without=("w2",))
    assert report.error is None, report.error
    deleted = [e.name for e in report.events if e.action == "delete" and e.host]
    assert deleted.index("w2-node-registered") < deleted.index("w2-kubeadm-join") < deleted.index("w2-host-network")
    assert set(deleted) == {f"w2-{step}" for step in STEP_NAMES if step != "kubeadm-init"}
    assert commands(report, "create") == commands(report, "update") == set(), "nothing else re-ran"
    kubectl = [c["argv"] for c in lab.calls("cp1") if c["tool"] == "kubectl"]
    assert any("drain" in argv and "w2" in argv for argv in kubectl)
    assert any(argv[-3:] == ["node", "w2", "--ignore-not-found"] or ("delete" in argv and "w2" in argv) for argv in kubectl)
    assert any(c["tool"] == "kubeadm" and c["argv"][1:2] == ["reset"] for c in lab.calls("w2"))
    assert probes.ipv4_addresses(lab, "w2", "eth0") == ["10.99.0.13/17"]
    assert not probes.link_exists(lab, "w2", "mac0")
    assert hostnet.FORWARD_CHAIN not in lab.node_exec("w2", ["iptables", "-w", "-S"]).stdout
    for path in (hostnet.UNIT_PATH, cni.CONF_PATH, hostnet.HOST_NETWORK_SCRIPT):
        assert not lab.node_path("w2", path).exists(), path
    assert lab.ssh("w2", "true").returncode == 0


def test_an_interrupted_run_names_node_and_step_and_the_next_run_converges(lab_factory: LabFactory) -> None:
    lab = lab_factory(nodes=default_nodes(3))

    killed: list[str] = []

    def kill_w2_sshd(name: str, action: str) -> None:
        if name == "w2-host-network" and not killed:
            killed.append(name)
            lab.kill_sshd("w2")

    run = LabStack(lab, before_execute=kill_w2_sshd)
    try:
        first = run.up()
        assert first.error is not None and "w2-host-network" in first.error
        [failure] = first.failures
        assert (failure.name, failure.host) == ("w2-host-network", "10.99.0.13")
        assert "w2-prepare-host" in commands(first, "create")
        lab.start_sshd("w2")
        second = run.up()
        assert second.error is None, second.error
        # what the failure kept from running runs now; nothing that ran runs again
        everything = {f"{n}-{s}" for n in ("cp1", "w1", "w2") for s in STEP_NAMES} - {"w1-kubeadm-init", "w2-kubeadm-init"}
        everything -= {f"cp1-{s}" for s in ("join-credentials", "kubeadm-join", "node-registered")}
        assert commands(second, "create") == everything - commands(first, "create")
        assert {"w2-host-network", "w2-kubeadm-join", "w2-node-registered"} <= commands(second, "create")
        third = run.up()
        assert third.executed == []
    finally:
        run.close()


def test_a_swapped_machine_is_refused(lab_factory: LabFactory) -> None:
    """A host presenting another key than the pinned one gets no command at all."""
    lab = lab_factory(nodes=default_nodes(3))
    run = LabStack(lab)
    try:
        report = run.up(node_overrides={"w1": {"sshHostKey": lab.host_public_key("w2")}})
        failed = {e.name: e.message for e in report.failures}
        assert "w1-prepare-host" in failed and "Host key verification failed" in failed["w1-prepare-host"]
        assert lab.calls("w1") == [], "not one command reached the swapped machine"
        assert report.error is not None
    finally:
        run.close()
