"""The first real cluster: real kubeadm, kubelet, containerd, kube-proxy and CoreDNS on
three systemd-booted lab nodes (1 control plane, 2 workers), brought up by lab/create
through the real Pulumi CLI, probed with the real kubectl.

One bring-up is shared by the module (minutes, not seconds); it is removed at the end
also when a check or the bring-up fails. Marked ``realcluster`` (part of the default run,
see pyproject.toml): run alone with ``pytest -m realcluster -s``, skipped with ``-m "not realcluster"``.
"""

from __future__ import annotations

import ipaddress
import os
import re
from datetime import datetime, timezone
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.realcluster import TENANT, WORKERS, cluster, kubectl, outputs  # noqa: F401 (fixtures)

pytestmark = [
    pytest.mark.realcluster,
    pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root"),
]

POD_TIMEOUT = 120.0


@pytest.fixture(scope="module")
def pause_image(cluster: Any) -> str:
    from lab.images.spec import plan
    from lab.toolchain.plan import lab_kubernetes

    [pause] = [spec for spec in plan(lab_kubernetes()) if spec.name == "pause"]
    return pause.reference(cluster.site.image_repository)


def pod(name: str, image: str, node_selector: dict[str, str] | None = None,
        tolerations: list[dict[str, str]] | None = None) -> str:
    from lab.probes.pods import pod_manifest

    return pod_manifest(name, TENANT, image, node_selector, tolerations)


def running(kubectl: Any, name: str) -> dict[str, Any]:
    """The pod once Running with an address (LabError with its last state otherwise)."""
    def check() -> dict[str, Any] | None:
        found = kubectl.json(["-n", TENANT, "get", "pod", name])
        return found if found["status"].get("phase") == "Running" and found["status"].get("podIP") else None
    return kubectl.wait(f"pod {name} Running", check, POD_TIMEOUT)


def test_every_node_is_ready(cluster: Any, kubectl: Any) -> None:
    nodes = kubectl.nodes()
    assert set(nodes) == {"cp1", "w1", "w2"}
    assert kubectl.ready_nodes() == {"cp1", "w1", "w2"}
    for node in nodes.values():
        assert node["status"]["nodeInfo"]["containerRuntimeVersion"].startswith("containerd://2.")


def test_the_admin_kubeconfigs_expiry_is_a_plain_output_a_year_ahead(outputs: dict[str, Any]) -> None:
    """kubeadm signs the admin's client certificate for one year; the output is read from
    it (not secret: `pulumi stack output` without --show-secrets gives the date)."""
    expires = datetime.fromisoformat(outputs["kubeconfigExpires"].replace("Z", "+00:00"))
    ahead = expires - datetime.now(timezone.utc)
    assert 364 <= ahead.days <= 365, outputs["kubeconfigExpires"]


@pytest.fixture(scope="module")
def worker_pods(kubectl: Any, pause_image: str) -> dict[str, dict[str, Any]]:
    """A running pod on each worker, by worker name."""
    for worker in WORKERS:
        kubectl.run(["apply", "-f", "-"], stdin=pod(f"on-{worker}", pause_image, {"kubernetes.io/hostname": worker}))
    return {worker: running(kubectl, f"on-{worker}") for worker in WORKERS}


@pytest.mark.parametrize("worker", WORKERS)
def test_a_pod_on_each_worker_gets_an_address_from_its_slice(
    worker_pods: dict[str, dict[str, Any]], outputs: dict[str, Any], worker: str
) -> None:
    found = worker_pods[worker]
    assert found["spec"]["nodeName"] == worker
    [node] = [n for n in outputs["nodes"] if n["name"] == worker]
    address = ipaddress.IPv4Address(found["status"]["podIP"])
    assert address in ipaddress.IPv4Network(node["podRange"]["cidr"])
    assert ipaddress.IPv4Address(node["podRange"]["start"]) <= address <= ipaddress.IPv4Address(node["podRange"]["end"])


def test_a_pod_reaches_its_host_another_host_and_a_pod_on_another_node(
    cluster: Any, worker_pods: dict[str, dict[str, Any]], outputs: dict[str, Any]
) -> None:
    from lab.probes.pods import in_pod, ping_argv

    address = {n["name"]: n["address"] for n in outputs["nodes"]}
    targets = {"own host": address["w1"], "another host": address["cp1"],
               "pod on w2": worker_pods["w2"]["status"]["podIP"]}
    results = {what: in_pod(cluster.lab, "w1", TENANT, "on-w1", ping_argv(ip)) for what, ip in targets.items()}
    assert {what: done.stdout + done.stderr for what, done in results.items() if done.returncode != 0} == {}


def test_a_pod_reaches_a_service_cluster_ip_through_kube_proxy(
    cluster: Any, kubectl: Any, worker_pods: dict[str, dict[str, Any]]
) -> None:
    from lab.probes.pods import in_pod, tcp_connect_argv

    service = kubectl.json(["-n", "default", "get", "service", "kubernetes"])
    done = in_pod(cluster.lab, "w2", TENANT, "on-w2", tcp_connect_argv(service["spec"]["clusterIP"], 443))
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def api_service_name(kubectl: Any) -> str:
    """The API server's Service by its full name in the cluster's DNS domain."""
    config = kubectl.json(["-n", "kube-system", "get", "configmap", "kubeadm-config"])
    domain = yaml.safe_load(config["data"]["ClusterConfiguration"])["networking"]["dnsDomain"]
    return f"kubernetes.default.svc.{domain}"


def test_a_pod_resolves_the_api_service_through_coredns_on_a_node_address(
    cluster: Any, kubectl: Any, worker_pods: dict[str, dict[str, Any]], outputs: dict[str, Any],
    api_service_name: str,
) -> None:
    from lab.probes.dns import resolve_in_pod

    service = kubectl.json(["-n", "default", "get", "service", "kubernetes"])
    for server in outputs["dnsServers"]:
        answer = resolve_in_pod(cluster.lab, "w1", TENANT, "on-w1", server, api_service_name)
        assert answer == {"rcode": 0, "a": [service["spec"]["clusterIP"]]}, server


def raw_chain_packets(lab: Any, node: str, chain: str) -> int:
    """Packets the rules of one raw-table chain have matched on a node."""
    listing = lab.node_exec(node, ["iptables", "-w", "-t", "raw", "-L", chain, "-v", "-x", "-n"]).stdout
    return sum(int(line.split()[0]) for line in listing.splitlines()[2:] if line.strip())


def tracked(lab: Any, node: str, protocol: str, port: int, destination: str | None = None) -> list[str]:
    """The node's conntrack entries of one protocol to one destination port."""
    argv = ["conntrack", "-L", "-p", protocol, "--orig-port-dst", str(port)]
    argv += ["--orig-dst", destination] if destination else []
    return [line for line in lab.node_exec(node, argv).stdout.splitlines() if line.strip()]


def test_dns_to_a_node_address_is_neither_tracked_nor_natted(
    cluster: Any, worker_pods: dict[str, dict[str, Any]], outputs: dict[str, Any], api_service_name: str
) -> None:
    """The design's answer to the conntrack race (DESIGN.md): the NOTRACK rules match the
    lookups, and no DNS flow to the node's address is in its conntrack table (so none can
    be NATed), while the same table does track the node's API server connections."""
    from components.hostfiles.hostnet import DNS_CHAIN
    from lab.probes.dns import resolve_in_pod

    lab = cluster.lab
    by_address = {n["address"]: n["name"] for n in outputs["nodes"]}
    for server in outputs["dnsServers"]:
        node = by_address[server]
        before = raw_chain_packets(lab, node, DNS_CHAIN)
        for _ in range(3):
            assert resolve_in_pod(lab, "w1", TENANT, "on-w1", server, api_service_name)["rcode"] == 0
        assert raw_chain_packets(lab, node, DNS_CHAIN) >= before + 6, node  # a query and an answer each
        assert tracked(lab, node, "udp", 53, server) == [], node
        assert tracked(lab, node, "tcp", 53, server) == [], node
    api_port = urlsplit(outputs["apiEndpoint"]).port or 443
    assert tracked(lab, "cp1", "tcp", api_port) != []  # the table is live: the check above can fail


@pytest.fixture
def forward_policy_drop(cluster: Any) -> Iterator[None]:
    """Every worker's FORWARD policy DROP (a hardened host's), restored afterwards."""
    lab = cluster.lab
    saved = {}
    for worker in WORKERS:
        rules = lab.node_exec(worker, ["iptables", "-w", "-S", "FORWARD"]).stdout.splitlines()
        saved[worker] = rules[0].split()[-1]  # "-P FORWARD ACCEPT"
    try:
        for worker in WORKERS:
            lab.node_exec(worker, ["iptables", "-w", "-P", "FORWARD", "DROP"])
        yield
    finally:
        for worker, policy in saved.items():
            lab.node_exec(worker, ["iptables", "-w", "-P", "FORWARD", policy], check=False)


def test_pods_reach_a_service_and_each_other_with_the_forward_policy_drop(
    cluster: Any, kubectl: Any, worker_pods: dict[str, dict[str, Any]], outputs: dict[str, Any],
    forward_policy_drop: None,
) -> None:
    """Pod traffic the host forwards (a Service through mac0 and kube-proxy's DNAT) passes
    pod-forwarding.sh's chain whatever the host's FORWARD policy."""
    from lab.probes.pods import in_pod, ping_argv, tcp_connect_argv

    lab = cluster.lab
    for worker in WORKERS:
        assert lab.node_exec(worker, ["iptables", "-w", "-S", "FORWARD"]).stdout.splitlines()[0] == "-P FORWARD DROP"
    service = kubectl.json(["-n", "default", "get", "service", "kubernetes"])
    address = {n["name"]: n["address"] for n in outputs["nodes"]}
    probes = {
        "service from w2": in_pod(lab, "w2", TENANT, "on-w2", tcp_connect_argv(service["spec"]["clusterIP"], 443)),
        "service from w1": in_pod(lab, "w1", TENANT, "on-w1", tcp_connect_argv(service["spec"]["clusterIP"], 443)),
        "pod on w1 from w2": in_pod(lab, "w2", TENANT, "on-w2", ping_argv(worker_pods["w1"]["status"]["podIP"])),
        "cp1 from w2": in_pod(lab, "w2", TENANT, "on-w2", ping_argv(address["cp1"])),
    }
    assert {what: done.stdout + done.stderr for what, done in probes.items() if done.returncode != 0} == {}


def test_a_tenant_pod_lands_on_tenant_nodes_by_the_api_servers_node_selector(
    kubectl: Any, outputs: dict[str, Any], pause_image: str
) -> None:
    kubectl.run(["apply", "-f", "-"], stdin=pod("tenant-any", pause_image))
    found = running(kubectl, "tenant-any")
    selector = outputs["tenants"][TENANT]["nodeSelector"]
    # no selector was asked for: PodNodeSelector (the real API server) put the tenant's there
    assert selector.items() <= found["spec"]["nodeSelector"].items()
    tenant_nodes = {n["name"] for n in outputs["nodes"] if n["tenant"] == TENANT}
    assert found["spec"]["nodeName"] in tenant_nodes


def test_a_tenant_pod_asking_for_another_node_is_refused_by_pod_node_selector(
    kubectl: Any, outputs: dict[str, Any], pause_image: str
) -> None:
    [(key, _)] = outputs["tenants"][TENANT]["nodeSelector"].items()
    done = kubectl.run(["apply", "-f", "-"], stdin=pod("elsewhere", pause_image, {key: "someone-else"}), check=False)
    assert done.returncode != 0
    assert "conflicts with its namespace node label selector" in done.stderr


def test_a_toleration_outside_the_whitelist_is_refused_by_pod_toleration_restriction(
    kubectl: Any, pause_image: str
) -> None:
    toleration = {"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}
    done = kubectl.run(["apply", "-f", "-"], stdin=pod("tolerant", pause_image, tolerations=[toleration]), check=False)
    assert done.returncode != 0
    assert "pod tolerations (possibly merged with namespace default tolerations) conflict with its namespace whitelist" in done.stderr


def test_the_tenant_service_account_manages_pods_in_its_namespace_only(kubectl: Any, outputs: dict[str, Any]) -> None:
    account = f"system:serviceaccount:{TENANT}:{outputs['tenants'][TENANT]['serviceAccount']}"

    def can(verb: str, namespace: str) -> str:
        return kubectl.run(["auth", "can-i", verb, "pods", "-n", namespace, "--as", account], check=False).stdout.strip()

    assert can("create", TENANT) == "yes"
    assert can("delete", TENANT) == "yes"
    assert can("create", "default") == "no"
    assert can("list", "kube-system") == "no"


def test_peers_learn_the_hosts_sub_interface_mac_and_keep_it(cluster: Any, outputs: dict[str, Any]) -> None:
    """After the address move only the sub-interface answers ARP for the host (the uplink
    ignores it): the lab's router learns mac0's MAC on every fresh resolution, never the
    uplink's (which would flip peers between two MACs)."""
    import subprocess

    from components.hostfiles.hostnet import stable_mac

    lab = cluster.lab
    [w1] = [n for n in outputs["nodes"] if n["name"] == "w1"]

    def fabric(*argv: str) -> str:
        return subprocess.run(lab.fabric_argv(list(argv)), capture_output=True, text=True, check=True).stdout

    learnt = []
    for _ in range(5):
        fabric("ip", "neigh", "flush", "to", w1["address"])
        fabric("ping", "-c", "1", "-W", "3", w1["address"])
        learnt.append(fabric("ip", "neigh", "show", "to", w1["address"]).split("lladdr ")[1].split()[0])
    assert set(learnt) == {stable_mac("w1")}
    uplink = lab.node_exec("w1", ["cat", "/proc/sys/net/ipv4/conf/eth0/arp_ignore",
                                  "/proc/sys/net/ipv4/conf/eth0/rp_filter", "/proc/sys/net/ipv4/conf/mac0/rp_filter"])
    assert uplink.stdout.split() == ["1", "2", "2"]


def test_a_second_run_of_the_unchanged_stack_plans_no_change(cluster: Any) -> None:
    """What a pull request's ``pulumi preview`` relies on: a deployed stack previews clean."""
    from lab.create.pulumi_up import in_fabric

    result, log = in_fabric(cluster.lab, cluster.workspace_dir, "dev", "preview")
    assert result["ok"], result["errors"]
    assert set(result["changes"]) == {"same"}, log[-3000:]


@pytest.mark.parametrize(("version", "says"), [("1.37.2", "one minor at a time")])
def test_another_kubernetes_release_is_refused_before_anything_changes(cluster: Any, version: str, says: str) -> None:
    """A minor skipped: every host refuses at prepare-host's first check, naming the fix,
    and nothing else ran (the cluster's objects wait for every host's prepare-host); back
    to the cluster's release, a preview plans nothing. (Going down: test_real_upgrade.)"""
    from lab.create.pulumi_up import in_fabric
    from lab.probes import stack_workspace
    from tests.realcluster import COMMAND_TYPE, PROJECT, failed_steps

    from lab.services.packages import containerd
    from lab.toolchain.plan import lab_kubernetes

    workspace = stack_workspace(cluster.workspace_dir)
    running = workspace.config()[f"{PROJECT}:kubernetesVersion"]["value"]
    workspace.set_config(f"{PROJECT}:kubernetesVersion", version)
    # the lab pins its one containerd (2.2), which the stack's validation refuses for 1.37
    # before any host is asked: a containerd line 1.37 accepts lets the hosts' check speak
    workspace.set_config(f"{PROJECT}:containerd.version", "2.3.*", path=True)
    try:
        result, log = in_fabric(cluster.lab, cluster.workspace_dir, "dev", "up")
    finally:
        workspace.set_config(f"{PROJECT}:kubernetesVersion", running)
        workspace.set_config(f"{PROJECT}:containerd.version", containerd(lab_kubernetes()).version, path=True)
    assert not result["ok"]
    failed = {name: message for name, message in failed_steps(result).items() if name.endswith("-prepare-host")}
    # every host refuses; the engine starts nothing after the first refusal
    assert failed and set(failed) <= {f"{node}-prepare-host" for node in ("cp1", *WORKERS)}, result["errors"]
    assert all(says in message and f"runs v{running}" in message for message in failed.values())
    assert not re.findall(rf"(?:{COMMAND_TYPE}|kubernetes:\S+) (\S+) (?:created|updated|replaced|deleted)", log)
    again, again_log = in_fabric(cluster.lab, cluster.workspace_dir, "dev", "preview")
    assert again["ok"] and set(again["changes"]) == {"same"}, again_log[-3000:]


def test_a_rebooted_worker_keeps_its_network_and_rejoins(
    cluster: Any, kubectl: Any, worker_pods: dict[str, dict[str, Any]]
) -> None:
    """Last: reboots w1 (containerd's state is a tmpfs, so its pods start from nothing)."""
    from lab.probes.pods import in_pod, ping_argv

    rebooted_at = datetime.now(timezone.utc).replace(microsecond=0)
    cluster.lab.reboot("w1")

    def heartbeat_after_reboot() -> bool:
        [ready] = [c for c in kubectl.nodes()["w1"]["status"]["conditions"] if c["type"] == "Ready"]
        beat = datetime.fromisoformat(ready["lastHeartbeatTime"].replace("Z", "+00:00"))
        return ready["status"] == "True" and beat > rebooted_at

    kubectl.wait("w1 Ready after its reboot", heartbeat_after_reboot, POD_TIMEOUT)
    address = cluster.lab.node_exec("w1", ["ip", "-4", "-o", "addr", "show", "dev", "mac0"]).stdout
    assert f" {cluster.lab.state.node('w1').address}/" in address  # the boot unit moved it again

    def pod_answers() -> bool:
        return in_pod(cluster.lab, "w1", TENANT, "on-w1", ping_argv(worker_pods["w2"]["status"]["podIP"])).returncode == 0

    kubectl.wait("the pod on w1 back and reaching w2's pod", pod_answers, POD_TIMEOUT)
