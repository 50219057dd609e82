"""An upgrade through the stack on a real cluster, with a tenant's Spark job running
across it: ``kubernetesVersion`` raised from the lab's release (1.35.4) to the next one
the toolchain builds (1.36.3, a minor: the module proxy serves no second 1.35 patch).

What a platform team relies on:
- one ``pulumi up`` runs ``kubeadm upgrade apply`` on the first control plane (API
  server, controller manager, scheduler, etcd 3.6.6 to 3.6.8, kube-proxy), then each
  worker in its own batch (``upgrade.workerBatchSize`` 1), each node in kubeadm's order:
  ``kubeadm upgrade node``, drained, kubelet and kubectl from the new minor's
  repository, back in service;
- every node ends Ready, schedulable, at the new release; the platform's own objects
  follow it (CoreDNS's image); a preview afterwards plans nothing;
- the tenant's SparkPi, submitted before the ``up`` and still running when it starts,
  finishes with its answer: its driver is never evicted (the tenant's disruption budget
  makes a drain wait for it), its executors may be, and are replaced;
- going back down is refused at prepare-host, before anything changes.

The lab's mirrors serve both releases side by side (pkgs.k8s.io's layout: one
repository per minor), as a site's mirror would. One lab of four nodes (cp1 behind the
VIP, w1 and w2 the tenant's, w3 a second DNS node); marked ``realcluster``.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.realcluster import (  # noqa: F401 (fixtures)
    COMMAND_TYPE, PROJECT, TENANT, WORKERS, converge, failed_steps, kubectl, lab_until_stack, stack_node_names, up,
)

pytestmark = [
    pytest.mark.realcluster,
    pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root"),
]

# One control plane: three made the upgrade's up take 570 s (measured 2026-12-04, every
# step as here but kubeadm upgrade node on cp2 and cp3 one after the other), more than
# CI's time allows; tests/unit/test_upgrade_rollout.py holds their order
CONTROL_PLANES = ("cp1",)
# A second DNS node: the CoreDNS DaemonSet's image follows the release, one DNS node at a
# time, so pods always have a server answering (with cp1 alone, a driver started during
# that restart failed to resolve kubernetes.default.svc, measured 2026-12-04)
SECOND_DNS = "w3"
NODES = (*CONTROL_PLANES, *WORKERS, SECOND_DNS)
# Two SparkPi jobs: the first is submitted before the up and runs across the control
# plane's upgrade (API server, etcd and controllers restarted under it); the second is
# submitted once the control plane is cordoned (kubeadm upgrade apply done), its driver
# on the last worker (a node selector), whose drain comes after the control plane's and
# the first worker's cycles (about 20 s each): that drain must wait for it. Measured: the
# client needs 20-30 s to create a driver on a busy machine; 10000 partitions ran 75-160 s
# on the lab's two executors, 40000 about 140 s.
LAST_WORKER = WORKERS[-1]
PARTITIONS = {"first": 10000, "second": 40000}
DRIVER_RUNNING_TIMEOUT = 300.0
TURN_TIMEOUT = 600.0


@dataclass
class Upgrade:
    result: dict[str, Any]
    log: str
    seconds: float
    across_control_plane: Any = None  # the first job (lab.probes.spark.Job)
    across_workers: Any = None  # the second job
    first_running_before_up: bool = False
    # driver pod -> seconds it was seen Running on its node while the node was cordoned
    # (its drain had begun and left it alone)
    kept_while_cordoned: dict[str, float] = field(default_factory=dict)
    preview: dict[str, Any] = field(default_factory=dict)
    preview_log: str = ""


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """The control plane (behind the VIP, a DNS node), the two workers of the tenant, and
    a second DNS node outside the tenant (DNS nodes carry no tenant)."""
    from lab.probes import stack_workspace

    with lab_until_stack(nodes=len(NODES)) as state:
        workspace = stack_workspace(state.workspace_dir)
        workspace.set_config(f"{PROJECT}:nodes[{stack_node_names(workspace).index(SECOND_DNS)}].roles[1]", "dns", path=True)
        workspace.remove_config(f"{PROJECT}:tenants[0].nodes[{len(WORKERS)}]", path=True)  # [w1, w2, w3] -> [w1, w2]
        result, log, _, _ = converge(state)
        assert result["ok"], (failed_steps(result), log[-3000:])
        yield state


def _running_drivers(kubectl: Any) -> dict[str, str]:
    """The tenant's Running drivers and their nodes."""
    found = kubectl.run(["-n", TENANT, "get", "pods", "-l", "spark-role=driver", "--field-selector", "status.phase=Running",
                         "-o", "jsonpath={range .items[*]}{.metadata.name} {.spec.nodeName}{'\\n'}{end}"],
                        check=False, timeout=10).stdout
    return dict(line.split() for line in found.splitlines() if len(line.split()) == 2)


def _cordoned(kubectl: Any) -> set[str]:
    found = kubectl.run(["get", "nodes", "-o", "jsonpath={range .items[*]}{.metadata.name} {.spec.unschedulable}{'\\n'}{end}"],
                        check=False, timeout=10).stdout
    return {line.split()[0] for line in found.splitlines() if line.endswith(" true")}


@pytest.fixture(scope="module")
def upgraded(cluster: Any, kubectl: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Upgrade]:
    """The next release served, a SparkPi running, then ``up`` to it; a second SparkPi
    submitted once the control plane is cordoned, its driver on the last worker."""
    from lab.probes import stack_workspace
    from lab.probes.spark import delete_job, run_sparkpi
    from lab.services.mirrors import fill_release
    from lab.toolchain.plan import next_kubernetes

    row = next_kubernetes()
    started = time.monotonic()
    fill_release(cluster.site, row)
    print(f"\nrelease {row.kubernetes} served in {time.monotonic() - started:.1f}s")
    workspace = stack_workspace(cluster.workspace_dir, "dev")
    secrets = workspace.outputs(show_secrets=True)
    jobs: dict[str, Any] = {}

    def submit(name: str, confs: tuple[str, ...] = ()) -> None:
        jobs[name] = run_sparkpi(cluster.lab, kubectl, secrets, TENANT, tmp_path_factory.mktemp(name), 2, PARTITIONS[name],
                                 confs=confs)

    first = threading.Thread(target=submit, args=("first",), daemon=True)
    first.start()
    deadline = time.monotonic() + DRIVER_RUNNING_TIMEOUT
    while time.monotonic() < deadline and not _running_drivers(kubectl):
        time.sleep(1)
    running_before_up = bool(_running_drivers(kubectl))

    kept: dict[str, float] = {}
    done = threading.Event()

    def second_once_the_control_plane_is_cordoned() -> None:
        deadline = time.monotonic() + TURN_TIMEOUT
        while not done.is_set() and time.monotonic() < deadline:
            if set(CONTROL_PLANES) & _cordoned(kubectl):
                submit("second", ("--conf", f"spark.kubernetes.driver.node.selector.kubernetes.io/hostname={LAST_WORKER}"))
                return
            time.sleep(1)

    def watch_drivers() -> None:
        while not done.wait(2.0):
            cordoned = _cordoned(kubectl)
            for pod, node in _running_drivers(kubectl).items():
                if node in cordoned:
                    kept[pod] = kept.get(pod, 0.0) + 2.0

    helpers = [threading.Thread(target=second_once_the_control_plane_is_cordoned, daemon=True),
               threading.Thread(target=watch_drivers, daemon=True)]
    for helper in helpers:
        helper.start()
    url = cluster.site.apt_url(row.minor)
    workspace.set_config(f"{PROJECT}:kubernetesVersion", row.kubernetes)
    workspace.set_config(f"{PROJECT}:packageRepository.url", url, path=True)
    workspace.set_config(f"{PROJECT}:packageRepository.signingKeyUrl", f"{url}Release.key", path=True)
    up_started = time.monotonic()
    result, log = up(cluster)
    upgrade = Upgrade(result, log, time.monotonic() - up_started, first_running_before_up=running_before_up)
    first.join(timeout=900)
    helpers[0].join(timeout=900)
    done.set()
    helpers[1].join(timeout=30)
    upgrade.across_control_plane, upgrade.across_workers = jobs.get("first"), jobs.get("second")
    upgrade.kept_while_cordoned = kept
    print(f"upgrade up: {upgrade.seconds:.1f}s, ok={result['ok']}; drivers kept on cordoned nodes (s): {kept}")
    for name, job in jobs.items():
        print(f"SparkPi {name} ({PARTITIONS[name]} partitions): exit {job.returncode} after {job.seconds:.1f}s; pods "
              + ", ".join(f"{n}@{p['spec'].get('nodeName')}" for n, p in sorted(job.pods.items())))
    for name, message in failed_steps(result).items():
        print(f"{name} failed: ...{message[-3000:]}")
    upgrade.preview, upgrade.preview_log = up(cluster, "preview")
    try:
        yield upgrade
    finally:
        for job in jobs.values():
            delete_job(kubectl, job)


def test_one_up_upgrades_every_node(upgraded: Upgrade, kubectl: Any) -> None:
    assert upgraded.result["ok"], (failed_steps(upgraded.result), upgraded.log[-4000:])
    nodes = kubectl.json(["get", "nodes"])["items"]
    assert {n["metadata"]["name"]: n["status"]["nodeInfo"]["kubeletVersion"] for n in nodes} == {name: "v1.36.3" for name in NODES}
    for n in nodes:
        ready = {c["type"]: c["status"] for c in n["status"]["conditions"]}["Ready"]
        assert ready == "True" and not n["spec"].get("unschedulable"), n["metadata"]["name"]
        assert "spark-on-metal.io/cordoned-for-upgrade" not in n["metadata"].get("annotations", {})


def test_the_control_plane_etcd_and_kube_proxy_run_the_new_release(upgraded: Upgrade, kubectl: Any) -> None:
    assert upgraded.result["ok"]
    pods = {pod["metadata"]["name"]: pod["spec"]["containers"][0]["image"]
            for pod in kubectl.json(["-n", "kube-system", "get", "pods"])["items"]}
    for node in CONTROL_PLANES:
        for component in ("kube-apiserver", "kube-controller-manager", "kube-scheduler"):
            assert pods[f"{component}-{node}"].endswith(f"/{component}:v1.36.3"), pods
        assert pods[f"etcd-{node}"].endswith("/etcd:3.6.8-0"), pods
    proxy = kubectl.json(["-n", "kube-system", "get", "daemonset", "kube-proxy"])
    assert proxy["spec"]["template"]["spec"]["containers"][0]["image"].endswith("/kube-proxy:v1.36.3")
    version = kubectl.json(["version"])
    assert version["serverVersion"]["gitVersion"] == "v1.36.3"


def test_the_platforms_objects_follow_the_release(upgraded: Upgrade, kubectl: Any) -> None:
    """CoreDNS (the platform's own DaemonSet on the DNS nodes) takes 1.36's CoreDNS."""
    assert upgraded.result["ok"]
    coredns = [d for d in kubectl.json(["-n", "kube-system", "get", "daemonsets"])["items"]
               if any(c["image"].rsplit("/", 1)[-1].startswith("coredns:") for c in d["spec"]["template"]["spec"]["containers"])]
    assert coredns and all(c["image"].endswith("coredns:v1.14.2") for d in coredns for c in d["spec"]["template"]["spec"]["containers"])


def test_the_control_plane_first_then_one_worker_at_a_time(upgraded: Upgrade) -> None:
    """The engine's log says when each step finished: a wave's kubeadm upgrade only after
    the previous wave's node was back in service."""
    finished = {name: match.start() for match in re.finditer(rf"{COMMAND_TYPE} (\S+) updated", upgraded.log)
                for name in [match.group(1)]}
    order = [f"{node}-{step}" for node in NODES for step in ("kubeadm-upgrade", "upgrade-drain", "kubelet-upgrade", "upgrade-uncordon")]
    assert set(order) <= set(finished), sorted(finished)
    assert [finished[name] for name in order] == sorted(finished[name] for name in order)


def _finished_with_pi(job: Any) -> None:
    assert job is not None, "SparkPi did not return"
    assert job.returncode == 0, job.client_log[-4000:]
    assert "Pi is roughly 3.1" in job.streamed_log + job.driver_log, (job.streamed_log + job.driver_log)[-3000:]


def test_a_job_running_across_the_control_planes_upgrade_finishes_with_its_answer(upgraded: Upgrade) -> None:
    """Submitted and running before the up: the API server, etcd and the controllers
    restart under it."""
    assert upgraded.first_running_before_up
    _finished_with_pi(upgraded.across_control_plane)


def test_a_job_submitted_during_the_workers_turn_finishes_with_its_answer(upgraded: Upgrade) -> None:
    """Submitted while the control plane was drained, its driver on the last worker, which
    is drained after it (``--force``: a driver is a bare pod, which kubectl otherwise
    refuses); the job finishes with its answer. Whether the drain found the driver still
    running depends on timing: the fixture prints the seconds it was seen so."""
    job = upgraded.across_workers
    _finished_with_pi(job)
    assert job.pods[job.driver]["spec"]["nodeName"] == LAST_WORKER


def test_a_preview_after_the_upgrade_plans_nothing(upgraded: Upgrade) -> None:
    assert upgraded.preview["ok"] and set(upgraded.preview["changes"]) == {"same"}, upgraded.preview_log[-3000:]


def test_going_back_down_is_refused_before_anything_changes(upgraded: Upgrade, cluster: Any) -> None:
    from lab.probes import stack_workspace

    assert upgraded.result["ok"]
    workspace = stack_workspace(cluster.workspace_dir, "dev")
    workspace.set_config(f"{PROJECT}:kubernetesVersion", "1.35.4")
    try:
        result, log = up(cluster)
    finally:
        workspace.set_config(f"{PROJECT}:kubernetesVersion", "1.36.3")
    assert not result["ok"]
    failed = failed_steps(result)
    assert failed and all(name.endswith("-prepare-host") for name in failed), failed
    assert all("cannot be downgraded; set kubernetesVersion back to 1.36.3" in message for message in failed.values())
    assert not re.findall(rf"(?:{COMMAND_TYPE}|kubernetes:\S+) (\S+) (?:created|updated|replaced|deleted)", log)
