"""A real cluster's life through the real Pulumi CLI: faults on the first runs, re-applied
steps, the host trick's negative control, a certificate renewal, and a worker taken out
of the stack.

What tests/e2e/test_real_cluster.py does not show: that a failed ``pulumi up`` names the node
and the step and the next ``up`` converges from what it left; that a machine presenting
another host key than the pinned one gets no command at all; that every step's script,
run again, changes nothing on its host; that a reinstalled worker (new disk, new host
key) joins again with a freshly minted token once its new key is set; that a worker removed from the stack config (real ``pulumi config rm --path``) is
drained, deleted, kubeadm-reset and given its network back, in that order, while
nothing else changes.

One lab is shared by the module (bring-ups cost minutes): lab/create's actions up to
the stack config, then the fixture's own runs of ``pulumi up`` (a swapped machine, then
a host whose first step cannot write, then the converging run). Removed at the end also
when something fails. Marked ``realcluster``: ``pytest -m realcluster
tests/e2e/test_real_lifecycle.py -s``. Tests read the fixture's record; the worker's removal
changes the cluster and runs last (file order).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.realcluster import (
    BOOTSTRAP_TOKEN_TYPE, COMMAND_TYPE, PROJECT, converge, created_commands, failed_steps, join_token_descriptions, lab_until_stack, up,
)

# Every node's upgrade steps (no-ops while the stack's release does not change)
UPGRADE_STEPS = ("kubeadm-upgrade", "upgrade-drain", "kubelet-upgrade", "upgrade-uncordon")

pytestmark = [
    pytest.mark.realcluster,
    pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root"),
]

TENANT = "analytics"
SWAPPED, BROKEN, REMOVED, REINSTALLED = "w1", "w1", "w2", "w1"
# A directory prepare-host creates (containerd's config goes there before containerd is
# installed); a regular file in its place makes the step's first write fail.
BLOCKED_DIR = "/etc/containerd"
POD_TIMEOUT = 120.0
NOT_READY_TIMEOUT = 240.0  # the node lifecycle controller's grace period (50 s) and its sync
READY_TIMEOUT = 300.0
# What a deployment writes on a host (the lab's own bookkeeping excluded).
STATE_ROOTS = ("etc", "usr/local", "var/lib/spark-on-metal", "opt/cni")
IGNORED = ("var/log/som-lab", "usr/local/lib/som-lab")


@dataclass
class Runs:
    """The module's lab and what its first runs of ``pulumi up`` did."""

    state: Any  # lab.create.BringUp
    swapped: dict[str, Any] = field(default_factory=dict)
    swapped_log: str = ""
    sessions_before_swap: dict[str, int] = field(default_factory=dict)
    sessions_after_swap: dict[str, int] = field(default_factory=dict)
    interrupted: dict[str, Any] = field(default_factory=dict)
    interrupted_log: str = ""
    converged: dict[str, Any] = field(default_factory=dict)
    converged_log: str = ""
    preview: dict[str, Any] = field(default_factory=dict)
    preview_log: str = ""

    @property
    def lab(self) -> Any:
        return self.state.lab


def accepted_sessions(lab: Any, node: str) -> int:
    """SSH logins sshd accepted on the node, read from its own journal."""
    from lab.sshd import SSHD_UNIT

    done = lab.node_exec(node, ["journalctl", "-u", SSHD_UNIT, "-o", "cat", "--no-pager"], check=False)
    return done.stdout.count("Accepted publickey")


def node_index(workspace: Any, name: str) -> int:
    from lab.driver.labstack import stack_nodes

    nodes, _ = stack_nodes(workspace.stack, workspace.project_dir)
    return [node["name"] for node in nodes].index(name)




@pytest.fixture(scope="module")
def runs() -> Iterator[Runs]:
    from lab.probes import stack_workspace

    with lab_until_stack(nodes=3) as state:
        lab, workspace = state.lab, stack_workspace(state.workspace_dir)
        record = Runs(state)
        key = f"{PROJECT}:nodes[{node_index(workspace, SWAPPED)}].sshHostKey"

        # 1. a swapped machine: SWAPPED's pinned key is another node's
        record.sessions_before_swap = {spec.name: accepted_sessions(lab, spec.name) for spec in lab.nodes}
        workspace.set_config(key, lab.host_public_key("w2"), path=True)
        record.swapped, record.swapped_log = up(state)
        record.sessions_after_swap = {spec.name: accepted_sessions(lab, spec.name) for spec in lab.nodes}
        workspace.set_config(key, lab.host_public_key(SWAPPED), path=True)

        # 2. an interrupted run: BROKEN's prepare-host cannot create its first directory
        if lab.node_exec(BROKEN, ["test", "-e", BLOCKED_DIR], check=False).returncode == 0:
            raise RuntimeError(f"{BLOCKED_DIR} exists on {BROKEN} before prepare-host: pick another path to block")
        lab.write_file(BROKEN, BLOCKED_DIR, "not a directory\n")
        record.interrupted, record.interrupted_log = up(state)
        lab.node_exec(BROKEN, ["rm", "-f", BLOCKED_DIR])

        # 3. restored: the next run converges, and a preview then plans nothing
        record.converged, record.converged_log, record.preview, record.preview_log = converge(state)
        print(f"\nlab {state.lab_id}: bring-up to the stack {json.dumps({k: round(v, 1) for k, v in state.seconds.items()})}; "
              f"swapped up {record.swapped['seconds']}s, interrupted up {record.interrupted['seconds']}s, "
              f"converging up {record.converged['seconds']}s, preview {record.preview['seconds']}s")
        yield record


@pytest.fixture(scope="module")
def converged(runs: Runs) -> Runs:
    """The lab once the converging run succeeded (later tests need the cluster)."""
    assert runs.converged["ok"], runs.converged["errors"]
    return runs


@pytest.fixture(scope="module")
def kubectl(converged: Runs) -> Any:
    from lab.probes import for_lab

    return for_lab(converged.lab, converged.state.workspace_dir)


def test_a_swapped_machine_gets_no_command_at_all(runs: Runs) -> None:
    """A host whose key differs from the pinned one: the step fails at the dial, naming
    the node's step and the key mismatch, and sshd on that host never accepts a login."""
    assert not runs.swapped["ok"]
    failed = failed_steps(runs.swapped)
    assert f"{SWAPPED}-prepare-host" in failed, runs.swapped["errors"]
    assert "host key mismatch" in failed[f"{SWAPPED}-prepare-host"]
    new_sessions = {node: runs.sessions_after_swap[node] - runs.sessions_before_swap[node]
                    for node in runs.sessions_after_swap}
    assert new_sessions[SWAPPED] == 0
    # the journal does see the logins that happened: the other nodes' first steps ran
    assert new_sessions["cp1"] > 0


def test_an_interrupted_run_names_node_and_step(runs: Runs) -> None:
    assert not runs.interrupted["ok"]
    failed = failed_steps(runs.interrupted)
    step = f"{BROKEN}-prepare-host"
    assert step in failed, runs.interrupted["errors"]
    # the step library's own failure line: which step, which node, where, what
    assert f"FAILED step=prepare-host node={BROKEN}" in failed[step]
    assert BLOCKED_DIR in failed[step]
    # no other command failed; other resources listed are what the engine cut off while
    # stopping (their registrations get "Resource monitor has terminated")
    commands = {urn.rsplit("::", 1)[-1] for urn in runs.interrupted["failed"] if f"{COMMAND_TYPE}::" in urn}
    assert commands == {step}, runs.interrupted["errors"]


def test_the_next_run_converges_and_then_plans_no_change(runs: Runs) -> None:
    assert runs.converged["ok"], runs.converged["errors"]
    # what the failures kept from running ran now, and nothing that ran ran again
    created = [created_commands(log) for log in (runs.swapped_log, runs.interrupted_log, runs.converged_log)]
    assert sum(map(len, created)) == len(set().union(*created)), created
    assert set().union(*created) == {
        *(f"cp1-{step}" for step in ("prepare-host", "host-network", "api-vip", "kubeadm", "node-registered", "certificates",
                                      *UPGRADE_STEPS)),
        *(f"{worker}-{step}" for worker in ("w1", "w2") for step in
          ("prepare-host", "host-network", "join-credentials", "kubeadm", "node-registered", *UPGRADE_STEPS)),
    }
    assert {f"{BROKEN}-prepare-host", f"{BROKEN}-host-network", f"{BROKEN}-kubeadm"} <= created[2]
    assert runs.preview["ok"], runs.preview["errors"]
    assert set(runs.preview["changes"]) == {"same"}, runs.preview_log[-3000:]


def test_every_node_is_ready_after_the_faults(converged: Runs, kubectl: Any) -> None:
    assert kubectl.ready_nodes() == {"cp1", "w1", "w2"}


@pytest.fixture(scope="module")
def w1_pod(converged: Runs, kubectl: Any) -> dict[str, Any]:
    from lab.images.spec import plan
    from lab.probes.pods import pod_manifest
    from lab.toolchain.plan import lab_kubernetes

    [pause] = [spec for spec in plan(lab_kubernetes()) if spec.name == "pause"]
    image = pause.reference(converged.state.site.image_repository)
    kubectl.run(["apply", "-f", "-"], stdin=pod_manifest("probe-w1", TENANT, image, {"kubernetes.io/hostname": "w1"}))

    def running() -> dict[str, Any] | None:
        found = kubectl.json(["-n", TENANT, "get", "pod", "probe-w1"])
        return found if found["status"].get("phase") == "Running" and found["status"].get("podIP") else None

    return kubectl.wait("pod probe-w1 Running", running, POD_TIMEOUT)


def test_without_the_host_trick_a_pod_cannot_reach_its_own_host(converged: Runs, w1_pod: dict[str, Any]) -> None:
    """The negative control of the host trick: with the host address back on the uplink,
    a macvlan child and its parent cannot talk (DESIGN.md); other hosts stay reachable.
    tests/e2e/test_real_cluster.py shows the positive side."""
    from components.hostfiles.hostnet import HOST_NETWORK_SCRIPT
    from lab.probes.pods import in_pod, ping_argv

    lab = converged.lab
    own, other = lab.state.node("w1").address, lab.state.node("cp1").address

    def reaches(address: str) -> bool:
        return in_pod(lab, "w1", TENANT, "probe-w1", ping_argv(address)).returncode == 0

    assert reaches(own)
    assert reaches(lab.state.gateway)  # the site's router, the pods' default route
    lab.node_exec("w1", [HOST_NETWORK_SCRIPT, "remove"])
    try:
        assert not reaches(own)
        assert reaches(other)
    finally:
        lab.node_exec("w1", [HOST_NETWORK_SCRIPT, "apply"])
    assert reaches(own)


def snapshot(lab: Any, node: str) -> dict[str, Any]:
    """What a step may change on a host: files (mode, content), links, addresses, routes,
    the iptables rules (kube-proxy's included: a step must not disturb them either)."""
    upper = lab.node_dirs(node).upper
    files = {}
    for root in STATE_ROOTS:
        for path in sorted((upper / root).rglob("*")) if (upper / root).exists() else []:
            relative = str(path.relative_to(upper))
            if path.is_file() and not path.is_symlink() and not relative.startswith(IGNORED):
                files[relative] = (oct(path.stat().st_mode), hashlib.sha256(path.read_bytes()).hexdigest())
    commands = {
        "links": ["ip", "-o", "link", "show"],
        "addresses": ["ip", "-4", "-o", "addr", "show"],
        "routes": ["ip", "-4", "route", "show", "table", "all"],
        **{f"iptables {t}": ["iptables", "-w", "-t", t, "-S"] for t in ("filter", "nat", "raw")},
    }
    live = {key: _stable(lab.node_exec(node, argv).stdout) for key, argv in commands.items()}
    return {"files": files, **live}


def _stable(text: str) -> str:
    """Without what changes with time alone (address lifetimes, link state counters)."""
    return "\n".join(sorted(line.split(" valid_lft")[0] for line in text.splitlines()))


def _plain(value: Any) -> Any:
    """A value of ``pulumi stack export --show-secrets``: secrets come as an envelope
    whose ``plaintext`` is the JSON of the value."""
    if isinstance(value, dict):
        if "plaintext" in value and len(value) == 2:
            return _plain(json.loads(value["plaintext"]))
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def deployed_commands(converged: Runs) -> list[dict[str, Any]]:
    """Every remote command in the stack's state, inputs in plain text (stdin included)."""
    from lab.probes import stack_workspace

    workspace = stack_workspace(converged.state.workspace_dir)
    exported = json.loads(workspace.run(["stack", "export", "--stack", workspace.stack, "--show-secrets"]).stdout)
    return [{"name": r["urn"].rsplit("::", 1)[-1], **_plain(r.get("inputs", {}))}
            for r in exported["deployment"]["resources"] if r["type"] == COMMAND_TYPE]


def test_every_step_applied_again_changes_nothing(converged: Runs) -> None:
    """Each step's apply, run again by hand over SSH with the stdin the engine stored (what
    ``pulumi up --replace`` or a changed input would run), writes nothing and leaves
    files, links, addresses, routes and rules as they were. join-credentials is left
    out: it mints a token by design."""
    lab = converged.lab
    by_address = {spec.address: spec.name for spec in lab.nodes}
    commands = [c for c in deployed_commands(converged) if not c["name"].endswith("join-credentials")]
    # cp1: prepare, network, api-vip, kubeadm, registered, certificates; each worker:
    # prepare, network, kubeadm, registered; every node its four upgrade steps
    assert len(commands) == 6 + 2 * 4 + 3 * len(UPGRADE_STEPS)
    before = {spec.name: snapshot(lab, spec.name) for spec in lab.nodes}
    for command in commands:
        node = by_address[command["connection"]["host"]]
        done = lab.ssh(node, command["create"], stdin=command["stdin"], timeout=300.0)
        # stderr only: a secret step's stdout carries what the engine keeps secret
        assert done.returncode == 0, (command["name"], done.stderr[-2000:])
        assert " wrote " not in done.stderr and "moved" not in done.stderr, (command["name"], done.stderr[-2000:])
    after = {spec.name: snapshot(lab, spec.name) for spec in lab.nodes}
    assert after == before


def test_a_reinstalled_worker_rejoins_once_its_new_key_is_set(converged: Runs, kubectl: Any) -> None:
    """A worker reinstalled (fresh disk, new host key) once every bootstrap token is gone,
    as its first token would be an hour on. With the old key still pinned, nothing has
    to run, so ``up`` plans no change and dials no host (a machine answering with
    another key is refused at the dial: test_a_swapped_machine_gets_no_command_at_all);
    with the new key set, ``up`` mints a token for that key and the host joins again as
    the same node, re-running only its own commands."""
    from components.ssh_keys import fingerprint
    from lab.create.node_image import wire
    from lab.probes import stack_workspace

    lab = converged.lab
    workspace = stack_workspace(converged.state.workspace_dir)
    kubectl.run(["-n", "kube-system", "delete", "secrets", "--field-selector", f"type={BOOTSTRAP_TOKEN_TYPE}"])
    new_key = lab.reinstall(REINSTALLED)
    wire(lab, converged.state.site, REINSTALLED)  # what the site's install image holds
    kubectl.wait(f"{REINSTALLED} NotReady", lambda: REINSTALLED not in kubectl.ready_nodes(), NOT_READY_TIMEOUT)

    unchanged, unchanged_log = up(converged.state, "preview")
    assert unchanged["ok"] and set(unchanged["changes"]) == {"same"}, unchanged_log[-3000:]

    workspace.set_config(f"{PROJECT}:nodes[{node_index(workspace, REINSTALLED)}].sshHostKey", new_key, path=True)
    rejoined, log = up(converged.state)
    assert rejoined["ok"], rejoined["errors"]
    updated = set(re.findall(rf"{COMMAND_TYPE} (\S+) updated", log))
    assert {f"{REINSTALLED}-{step}" for step in ("prepare-host", "host-network", "join-credentials", "kubeadm", "node-registered")} <= updated
    assert {name for name in updated if not name.startswith(f"{REINSTALLED}-")} == set(), updated
    kubectl.wait(f"{REINSTALLED} Ready again", lambda: REINSTALLED in kubectl.ready_nodes(), READY_TIMEOUT)
    print(f"\nreinstalled {REINSTALLED}: the rejoining up took {rejoined['seconds']}s and updated {sorted(updated)}")
    # the token minted for the new key was used and is gone: node-registered deleted it
    assert not [d for d in join_token_descriptions(kubectl) if REINSTALLED in d or fingerprint(new_key) in d]

    again, again_log = up(converged.state, "preview")
    assert again["ok"] and set(again["changes"]) == {"same"}, again_log[-3000:]


def test_no_join_token_outlives_its_nodes_registration(converged: Runs, kubectl: Any) -> None:
    """Join tokens do not expire (a join retried days later works), so each is deleted
    once its node has registered; none is left after the bring-up."""
    assert join_token_descriptions(kubectl) == []


def served_serial(lab: Any, node: str, port: int = 6443) -> str:
    """The serial of the certificate the API server on ``node`` presents."""
    address = next(spec.address for spec in lab.nodes if spec.name == node)
    done = lab.node_exec(node, ["bash", "-c", f"openssl s_client -connect {address}:{port} </dev/null 2>/dev/null | openssl x509 -noout -serial"])
    return done.stdout.strip()


def test_a_renewal_window_past_the_expiry_renews_the_control_plane_and_the_kubeconfig(converged: Runs) -> None:
    """``certificates.renewBeforeDays`` beyond a year makes the check due now: ``up`` runs
    only cp1's certificates step, which renews every certificate, restarts the control
    plane's containers (the API server then serves the new certificate) and prints the new
    admin kubeconfig, which works. Back to the default, the check runs and renews nothing."""
    from lab.probes import for_lab, stack_workspace

    lab = converged.lab
    workspace = stack_workspace(converged.state.workspace_dir)
    before = workspace.outputs(show_secrets=True)
    serial = served_serial(lab, "cp1")
    on_disk = lab.node_exec("cp1", ["openssl", "x509", "-noout", "-serial", "-in", "/etc/kubernetes/pki/apiserver.crt"]).stdout.strip()
    assert serial == on_disk

    workspace.set_config(f"{PROJECT}:certificates.renewBeforeDays", "400", path=True)
    renewed, log = up(converged.state)
    assert renewed["ok"], renewed["errors"]
    assert set(re.findall(rf"{COMMAND_TYPE} (\S+) updated", log)) == {"cp1-certificates"}, log[-3000:]
    after = workspace.outputs(show_secrets=True)
    assert served_serial(lab, "cp1") != serial
    assert after["kubeconfig"] != before["kubeconfig"]
    assert after["kubeconfigExpires"] > before["kubeconfigExpires"]
    assert after["controlPlaneCertificatesExpire"] > before["controlPlaneCertificatesExpire"]
    kubectl = for_lab(lab, converged.state.workspace_dir)  # the renewed admin kubeconfig
    kubectl.wait("every node Ready with the renewed kubeconfig", lambda: kubectl.ready_nodes() == {s.name for s in lab.nodes}, READY_TIMEOUT)
    print(f"\nrenewal: up took {renewed['seconds']}s; certificates now expire {after['controlPlaneCertificatesExpire']}")

    workspace.remove_config(f"{PROJECT}:certificates", path=True)
    checked, log = up(converged.state)
    assert checked["ok"], checked["errors"]
    assert set(re.findall(rf"{COMMAND_TYPE} (\S+) updated", log)) == {"cp1-certificates"}, log[-3000:]
    assert workspace.outputs()["controlPlaneCertificatesExpire"] == after["controlPlaneCertificatesExpire"]
    again, again_log = up(converged.state, "preview")
    assert again["ok"] and set(again["changes"]) == {"same"}, again_log[-3000:]


def test_removing_a_worker_drains_resets_and_restores_it(converged: Runs, kubectl: Any) -> None:
    """Runs last. ``pulumi config rm --path`` takes REMOVED out of the tenant and the node
    list; ``up`` deletes its commands, dependents first: drain and delete the Node (on the
    control plane), kubeadm reset, then the host's network back on the uplink."""
    from components.hostfiles import cni, hostnet
    from lab.probes import stack_workspace

    lab = converged.lab
    workspace = stack_workspace(converged.state.workspace_dir)
    tenants = workspace.config()[f"{PROJECT}:tenants"]["value"]
    tenant_nodes = json.loads(tenants)[0]["nodes"] if isinstance(tenants, str) else tenants[0]["nodes"]
    workspace.remove_config(f"{PROJECT}:tenants[0].nodes[{tenant_nodes.index(REMOVED)}]", path=True)
    workspace.remove_config(f"{PROJECT}:nodes[{node_index(workspace, REMOVED)}]", path=True)
    planned, plan_log = up(converged.state, "preview")
    assert planned["ok"], planned["errors"]
    assert set(planned["changes"]) == {"same", "delete"}, [line for line in plan_log.splitlines() if "diff:" in line]
    result, log = up(converged.state)
    assert result["ok"], result["errors"]

    deleted = re.findall(rf"{COMMAND_TYPE} (\S+) deleted", log)
    assert set(deleted) == {f"{REMOVED}-{step}" for step in
                            ("prepare-host", "host-network", "join-credentials", "kubeadm", "node-registered", *UPGRADE_STEPS)}
    order = [f"{REMOVED}-node-registered", f"{REMOVED}-kubeadm", f"{REMOVED}-host-network", f"{REMOVED}-prepare-host"]
    assert sorted(order, key=deleted.index) == order
    assert not re.findall(rf"{COMMAND_TYPE} (\S+) (?:created|updated|replaced)", log), "nothing else re-ran"
    assert f"node/{REMOVED} cordoned" in log and f"node/{REMOVED} drained" in log
    assert f"node {REMOVED} drained and deleted" in log

    assert set(kubectl.nodes()) == {"cp1", "w1"}
    address = lab.state.node(REMOVED).address
    assert f" {address}/" in lab.node_exec(REMOVED, ["ip", "-4", "-o", "addr", "show", "dev", "eth0"]).stdout
    assert lab.node_exec(REMOVED, ["ip", "link", "show", "dev", "mac0"], check=False).returncode != 0
    assert hostnet.FORWARD_CHAIN not in lab.node_exec(REMOVED, ["iptables", "-w", "-S"]).stdout
    for path in ("/etc/kubernetes/kubelet.conf", hostnet.UNIT_PATH, cni.CONF_PATH, hostnet.HOST_NETWORK_SCRIPT):
        assert lab.node_exec(REMOVED, ["test", "-e", path], check=False).returncode != 0, path
    assert lab.node_exec(REMOVED, ["systemctl", "is-active", "kubelet"], check=False).stdout.strip() != "active"
    assert lab.ssh(REMOVED, "true").returncode == 0

    again, again_log = up(converged.state, "preview")
    assert again["ok"] and set(again["changes"]) == {"same"}, again_log[-3000:]
