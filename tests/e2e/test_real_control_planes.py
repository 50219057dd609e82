"""Three control planes behind a virtual IP, and joins retried late, on a real cluster.

What the other real-cluster modules do not show:
- control planes join through the real ``kubeadm join --control-plane``, one after
  another, with the certificates ``join-credentials`` uploaded (an etcd member and an
  API server each), and their certificates are checked one after another;
- a join which failed is retried by the next ``up`` with the credentials minted for the
  first attempt, without ``--replace``, however late: join tokens carry no expiry, and
  the ``kubeadm-certs`` Secret no longer hangs on kubeadm's two-hour token. Lateness is
  played by deleting kubeadm's own short-lived tokens, as its token cleaner would once
  they expire; the garbage collector then deletes whatever still depends on them;
- the API endpoint is the VIP keepalived keeps on a healthy control plane: with the
  holder's power cut, the API answers through the VIP again within seconds, tenants'
  pods keep running, writes go on (etcd keeps quorum with one member of three down) and
  the program's next ``up`` works; with a second control plane down, writes are refused,
  as they must be; powered on again, both rejoin and the first takes the VIP back.

One lab of five nodes (cp1, cp2, cp3 control planes, w1 and w2 workers), shared by the
module, removed at the end also when something fails; the power cuts run last (file
order), then the first control plane leaves the stack: ``up`` drains it, deletes its
Node, resets it (its etcd member goes), and the next control plane becomes the first
without any of its own commands being deleted. Marked ``realcluster``.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.realcluster import (
    BOOTSTRAP_TOKEN_TYPE, COMMAND_TYPE, PROJECT, converge, created_commands, failed_steps, join_token_descriptions, lab_until_stack, stack_node_names, up,
)

pytestmark = [
    pytest.mark.realcluster,
    pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root"),
]

NODES = ("cp1", "cp2", "cp3", "w1", "w2")
CONTROL_PLANES = ("cp1", "cp2", "cp3")
VIP = "10.99.0.10"  # the dev stack's controlPlaneVip
TENANT = "analytics"
FAILOVER_TIMEOUT = 60.0
# Its first join fails (the only failure of that run, so the engine stops nothing else;
# cp3 joins after it, so not in that run either).
LATE = ("cp2",)
# kubeadm join's preflight refuses to run where this file exists (FileAvailable check)
BLOCKER = "/etc/kubernetes/bootstrap-kubelet.conf"
CERTS_SECRET = "kubeadm-certs"
GC_SECONDS = 20.0  # time for the garbage collector to act on a deleted owner
READY_TIMEOUT = 300.0


@dataclass
class Runs:
    state: Any  # lab.create.BringUp
    failed: dict[str, Any] = field(default_factory=dict)
    failed_log: str = ""
    tokens_while_late: list[dict[str, Any]] = field(default_factory=list)
    certs_owners_while_late: list[Any] | None = None
    retried: dict[str, Any] = field(default_factory=dict)
    retried_log: str = ""
    preview: dict[str, Any] = field(default_factory=dict)
    preview_log: str = ""
    cut: list[str] = field(default_factory=list)  # control planes whose power the tests cut


def bootstrap_tokens(kubectl: Any) -> list[dict[str, Any]]:
    return kubectl.json(["-n", "kube-system", "get", "secrets", "--field-selector", f"type={BOOTSTRAP_TOKEN_TYPE}"])["items"]


def description(token: dict[str, Any]) -> str:
    return base64.b64decode(token["data"].get("description", "")).decode()


def admin_kubectl(lab: Any) -> Any:
    """kubectl with cp1's own admin kubeconfig (a failed ``up`` exports no outputs)."""
    from components.hostfiles.kubeadm import ADMIN_CONF
    from lab.probes.kubectl import with_kubeconfig

    return with_kubeconfig(lab, lab.read_file("cp1", ADMIN_CONF), "cp1-admin.conf")


@pytest.fixture(scope="module")
def runs() -> Iterator[Runs]:
    from lab.probes import stack_workspace

    with lab_until_stack(nodes=len(NODES), control_planes=len(CONTROL_PLANES)) as state:
        record = Runs(state)
        # DNS on w2, taken out of the tenant (DNS nodes carry none), so that the first
        # control plane can leave the stack (last test) without moving the DNS servers
        workspace = stack_workspace(state.workspace_dir)
        nodes = stack_node_names(workspace)
        workspace.remove_config(f"{PROJECT}:nodes[{nodes.index('cp1')}].roles[1]", path=True)
        workspace.set_config(f"{PROJECT}:nodes[{nodes.index('w2')}].roles[1]", "dns", path=True)
        workspace.remove_config(f"{PROJECT}:tenants[0].nodes[1]", path=True)  # [w1, w2] -> [w1]
        for node in LATE:
            state.lab.write_file(node, BLOCKER, "blocks kubeadm join's preflight\n")
        record.failed, record.failed_log = up(state)

        # hours later: kubeadm's own tokens have expired and the token cleaner deleted them
        kubectl = admin_kubectl(state.lab)
        for token in bootstrap_tokens(kubectl):
            if not description(token).startswith("spark-on-metal: join "):
                kubectl.run(["-n", "kube-system", "delete", "secret", token["metadata"]["name"]])
        time.sleep(GC_SECONDS)
        record.tokens_while_late = bootstrap_tokens(kubectl)
        certs = kubectl.run(["-n", "kube-system", "get", "secret", CERTS_SECRET, "-o", "json"], check=False)
        if certs.returncode == 0:
            record.certs_owners_while_late = json.loads(certs.stdout)["metadata"].get("ownerReferences", [])

        for node in LATE:
            state.lab.node_exec(node, ["rm", "-f", BLOCKER])
        record.retried, record.retried_log, record.preview, record.preview_log = converge(state)
        print(f"\nlab {state.lab_id}: failing up {record.failed['seconds']}s, retrying up {record.retried['seconds']}s, "
              f"preview {record.preview['seconds']}s")
        yield record


@pytest.fixture(scope="module")
def kubectl(runs: Runs) -> Any:
    from lab.probes import for_lab

    assert runs.retried["ok"], runs.retried["errors"]
    return for_lab(runs.state.lab, runs.state.workspace_dir)


def failed_joins(runs: Runs) -> set[str]:
    return {name.removesuffix("-kubeadm") for name in failed_steps(runs.failed) if name.endswith("-kubeadm")}


def test_the_first_joins_fail_in_kubeadms_preflight_only(runs: Runs) -> None:
    assert not runs.failed["ok"]
    assert "cp2" in failed_joins(runs) and failed_joins(runs) <= set(LATE), runs.failed["errors"]
    steps = {name for name in failed_steps(runs.failed) if name.startswith(NODES)}
    assert steps == {f"{node}-kubeadm" for node in failed_joins(runs)}, runs.failed["errors"]
    assert all(BLOCKER in failed_steps(runs.failed)[name] for name in steps)


def test_the_late_nodes_credentials_outlive_kubeadms_own_tokens(runs: Runs) -> None:
    """What a retry hours later finds: a token per late node, without expiry, and the
    control-plane certificates Secret, no longer owned by kubeadm's (deleted) token."""
    # "spark-on-metal: join <node> (<host key fingerprint>)"; a node that joined in the
    # failed run but was not yet seen registered has one too
    late = {description(t).split()[2]: t for t in runs.tokens_while_late if description(t).startswith("spark-on-metal: join ")}
    assert failed_joins(runs) <= set(late), sorted(late)
    assert all("expiration" not in token["data"] for token in late.values())
    assert runs.certs_owners_while_late == [], "kubeadm-certs is missing, or still hangs on kubeadm's token"


def test_the_next_up_joins_them_with_those_credentials(runs: Runs) -> None:
    assert runs.retried["ok"], runs.retried["errors"]
    created = created_commands(runs.retried_log)
    assert {f"{node}-kubeadm" for node in LATE} <= created
    again = {f"{node}-join-credentials" for node in failed_joins(runs)} & created
    assert not again, f"credentials minted again: {again}"
    assert runs.preview["ok"] and set(runs.preview["changes"]) == {"same"}, runs.preview_log[-3000:]


@pytest.mark.parametrize("plane", CONTROL_PLANES[1:])
def test_each_joining_control_plane_runs_etcd_and_an_api_server(kubectl: Any, plane: str) -> None:
    assert kubectl.ready_nodes() == set(NODES)
    pods = kubectl.json(["-n", "kube-system", "get", "pods", "--field-selector", f"spec.nodeName={plane}"])["items"]
    running = {pod["metadata"]["name"] for pod in pods if pod["status"].get("phase") == "Running"}
    assert {f"{component}-{plane}" for component in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")} <= running
    labels = kubectl.nodes()[plane]["metadata"]["labels"]
    assert "node-role.kubernetes.io/control-plane" in labels


def test_no_join_token_is_left_and_both_control_planes_were_checked(runs: Runs, kubectl: Any) -> None:
    from lab.probes import stack_workspace

    assert join_token_descriptions(kubectl) == []
    everything = created_commands(runs.failed_log) | created_commands(runs.retried_log)
    assert {f"{plane}-certificates" for plane in CONTROL_PLANES} <= everything
    outputs = stack_workspace(runs.state.workspace_dir).outputs()
    assert outputs["controlPlaneCertificatesExpire"] > time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 300 * 86400))


def vip_holders(lab: Any, planes: tuple[str, ...] = CONTROL_PLANES) -> set[str]:
    """The control planes with the VIP on their macvlan sub-interface."""
    held = set()
    for plane in planes:
        shown = lab.node_exec(plane, ["ip", "-o", "-4", "addr", "show", "dev", "mac0"], check=False)
        if f" {VIP}/32 " in shown.stdout:
            held.add(plane)
    return held


def api_ready(kubectl: Any) -> bool:
    return kubectl.run(["get", "--raw", "/readyz", "--request-timeout=3s"], check=False, timeout=10.0).returncode == 0


def write(kubectl: Any, name: str) -> Any:
    """A write the API server can only answer once etcd committed it."""
    return kubectl.run(["-n", TENANT, "create", "configmap", name, "--from-literal=at=" + name, "--request-timeout=20s"],
                       check=False, timeout=40.0)


@pytest.fixture(scope="module")
def tenant_pod(runs: Runs, kubectl: Any) -> str:
    """A pod of the tenant on w1, running before the power cuts."""
    from lab.images.spec import plan
    from lab.probes.pods import pod_manifest
    from lab.toolchain.plan import lab_kubernetes

    [pause] = [spec for spec in plan(lab_kubernetes()) if spec.name == "pause"]
    image = pause.reference(runs.state.site.image_repository)
    kubectl.run(["apply", "-f", "-"], stdin=pod_manifest("ha-probe", TENANT, image, {"kubernetes.io/hostname": "w1"}))
    kubectl.wait("ha-probe Running", lambda: pod_phase(kubectl, "ha-probe") == "Running", READY_TIMEOUT)
    return "ha-probe"


def pod_phase(kubectl: Any, name: str) -> str | None:
    found = kubectl.run(["-n", TENANT, "get", "pod", name, "-o", "jsonpath={.status.phase}", "--request-timeout=5s"], check=False)
    return found.stdout.strip() if found.returncode == 0 else None


def test_the_api_answers_on_the_vip_held_by_the_first_control_plane(runs: Runs, kubectl: Any) -> None:
    from lab.probes import stack_workspace

    assert stack_workspace(runs.state.workspace_dir).outputs()["apiEndpoint"] == f"https://{VIP}:6443"
    assert api_ready(kubectl)
    assert vip_holders(runs.state.lab) == {"cp1"}


def test_with_the_holders_power_cut_the_vip_moves_and_the_cluster_keeps_working(runs: Runs, kubectl: Any, tenant_pod: str) -> None:
    lab = runs.state.lab
    assert write(kubectl, "before-the-cut").returncode == 0
    lab.kill("cp1")
    runs.cut.append("cp1")
    cut = time.monotonic()
    while not api_ready(kubectl):
        assert time.monotonic() - cut < FAILOVER_TIMEOUT, f"the API did not answer on {VIP} within {FAILOVER_TIMEOUT:.0f}s of cp1's power cut"
        time.sleep(0.5)
    answered = time.monotonic() - cut
    holders = vip_holders(lab, CONTROL_PLANES[1:])
    print(f"\ncp1's power cut: the API answered on the VIP again after {answered:.1f}s, held by {sorted(holders)}")
    assert len(holders) == 1
    assert pod_phase(kubectl, tenant_pod) == "Running"
    assert write(kubectl, "one-member-down").returncode == 0, "etcd should keep quorum with two of three members"
    again, log = up(runs.state)
    assert again["ok"] and set(again["changes"]) == {"same"}, log[-3000:]


def test_with_two_control_planes_down_writes_are_refused(runs: Runs, kubectl: Any) -> None:
    lab = runs.state.lab
    second = "cp3" if "cp2" in vip_holders(lab, CONTROL_PLANES[1:]) else "cp2"  # not the holder
    lab.kill(second)
    runs.cut.append(second)
    refused = write(kubectl, "two-members-down")
    assert refused.returncode != 0, "a write succeeded without an etcd quorum"


def test_powered_on_again_the_control_planes_rejoin_and_the_first_takes_the_vip_back(runs: Runs, kubectl: Any) -> None:
    lab = runs.state.lab
    for plane in runs.cut:
        lab.boot(plane)
    kubectl.wait("every node Ready", lambda: api_ready(kubectl) and kubectl.ready_nodes() == set(NODES), READY_TIMEOUT)
    kubectl.wait("cp1 holds the VIP again", lambda: vip_holders(lab) == {"cp1"}, FAILOVER_TIMEOUT)
    assert write(kubectl, "all-back").returncode == 0


def test_the_first_control_plane_leaves_the_stack_and_the_next_takes_its_place(runs: Runs) -> None:
    """``pulumi config rm`` of cp1, the node that ran kubeadm init: only cp1's commands are
    deleted (drain and Node deletion, kubeadm reset, which removes its etcd member, then
    keepalived and its network); cp2 becomes the first control plane with its commands
    updated in place, the credentials steps move to it, and it takes the VIP."""
    from lab.probes import for_lab, stack_workspace
    from lab.toolchain import ensure

    lab = runs.state.lab
    workspace = stack_workspace(runs.state.workspace_dir)
    workspace.remove_config(f"{PROJECT}:nodes[{stack_node_names(workspace).index('cp1')}]", path=True)
    result, log = up(runs.state)
    assert result["ok"], result["errors"]
    deleted = re.findall(rf"{COMMAND_TYPE} (\S+) deleted", log)
    # and cp2's join credentials: the first control plane joins nobody (their removal only
    # deletes tokens minted for it, of which none is left)
    assert set(deleted) == {"cp2-join-credentials", *(f"cp1-{step}" for step in
                            ("prepare-host", "host-network", "api-vip", "kubeadm", "node-registered", "certificates",
                             "kubeadm-upgrade", "upgrade-drain", "kubelet-upgrade", "upgrade-uncordon"))}
    order = ["cp1-node-registered", "cp1-kubeadm", "cp1-api-vip", "cp1-host-network"]
    assert sorted(order, key=deleted.index) == order
    assert not re.findall(rf"{COMMAND_TYPE} (\S+) (?:created|replaced)", log), "nothing was created or replaced"
    print(f"\ncp1 left the stack: up took {result['seconds']}s")

    admin = for_lab(lab, runs.state.workspace_dir)  # the kubeconfig output, now cp2's
    admin.wait("the four remaining nodes Ready", lambda: set(admin.nodes()) == set(NODES) - {"cp1"} and admin.ready_nodes() == set(NODES) - {"cp1"}, READY_TIMEOUT)
    etcdctl = ensure(["etcd"])["etcd"] / "etcdctl"
    pki = "/etc/kubernetes/pki/etcd"
    members = lab.node_exec("cp2", [str(etcdctl), "--endpoints=https://127.0.0.1:2379", f"--cacert={pki}/ca.crt",
                                    f"--cert={pki}/healthcheck-client.crt", f"--key={pki}/healthcheck-client.key", "member", "list"]).stdout
    assert sorted(line.split(", ")[2] for line in members.splitlines() if line) == ["cp2", "cp3"], members
    admin.wait("cp2 holds the VIP", lambda: vip_holders(lab, CONTROL_PLANES[1:]) == {"cp2"}, FAILOVER_TIMEOUT)
    assert write(admin, "after-cp1-left").returncode == 0
    assert lab.node_exec("cp1", ["test", "-e", "/etc/kubernetes/admin.conf"], check=False).returncode != 0, "cp1 was not reset"
    again, again_log = up(runs.state, "preview")
    assert again["ok"] and set(again["changes"]) == {"same"}, again_log[-3000:]
