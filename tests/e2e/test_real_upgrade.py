"""Upgrades through the stack on a real cluster, with a tenant's Spark jobs running across
them: ``kubernetesVersion`` raised from the lab's release (1.35.4) one minor (1.36.1),
then one patch (1.36.3), the releases the toolchain builds (lab/versions.py).

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
- a drain that meets a running driver waits ``upgrade.drainTimeoutSeconds``, then stops
  the rollout with the node named: the driver still runs, the later waves are left
  alone; the next ``up`` (once the job has ended) resumes where it stopped, here with a
  larger ``workerBatchSize``, without re-running the nodes already done;
- going back down, even by a patch, is refused at prepare-host, before anything changes.

The lab's mirrors serve the releases side by side (pkgs.k8s.io's layout: one repository
per minor, every patch in it), as a site's mirror would. One lab of four nodes (cp1
behind the VIP, w1 and w2 the tenant's, w3 a second DNS node); marked ``realcluster``.
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
UPGRADE_STEPS = ("kubeadm-upgrade", "upgrade-drain", "kubelet-upgrade", "upgrade-uncordon")
# The minor upgrade's two SparkPi jobs: the first is submitted before the up and runs
# across the control plane's upgrade (API server, etcd and controllers restarted under
# it); the second is submitted once the control plane is cordoned (kubeadm upgrade apply
# done), its driver on the last worker (a node selector), drained after the control
# plane's and the first worker's cycles. Measured: the client needs 20-30 s to create a
# driver on a busy machine; 10000 partitions ran 75-160 s on the lab's two executors,
# 40000 about 140 s (which kept the fixture waiting about 90 s after the up: the patch
# stage's held driver is what proves a drain waits, so the second job is short too).
LAST_WORKER = WORKERS[-1]
PARTITIONS = {"first": 10000, "second": 10000, "across": 10000, "held": 10}
DRIVER_RUNNING_TIMEOUT = 300.0
# A submission that made no driver (the only API server restarting past the client's
# minute) is made again, as a tenant would: the job under test is the driver's.
SUBMISSIONS = 2
TURN_TIMEOUT = 600.0
# The held job's one executor selects a node label no node has: it stays Pending (within
# the tenant's quota), so the driver runs, waiting for it, until the test deletes the
# driver (Spark refuses spark.executor.instances=0 without dynamic allocation)
UNPLACEABLE_EXECUTOR = ("--conf", "spark.kubernetes.executor.node.selector.spark-on-metal.io/lab-held=nowhere")
# The patch upgrade's drain timeout (the setting's least): the held driver keeps the
# first worker for that long, then the rollout stops there
HELD_DRAIN_TIMEOUT = 60
HELD_WORKER, ACROSS_WORKER = WORKERS
RESUMED_BATCH_SIZE = 2  # w1 and w2 together, then w3


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


@dataclass
class Patch:
    """The patch upgrade: an up stopped by a held driver, then the up that resumes it."""

    stopped: dict[str, Any]
    stopped_log: str
    stopped_seconds: float
    held_before: dict[str, str]  # uid, node, phase of the held driver once it ran
    held_after: dict[str, str]  # the same after the stopped up
    releases_after_stop: dict[str, str]  # node -> kubelet version
    cordoned_after_stop: set[str]
    across: Any = None  # the job running across the stopped up (lab.probes.spark.Job)
    resumed: dict[str, Any] = field(default_factory=dict)
    resumed_log: str = ""
    resumed_seconds: float = 0.0
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


def _names_with(kubectl: Any, get: list[str], value: str) -> dict[str, str]:
    """Each listed object's name and non-empty ``value`` (a JSONPath), none while the API
    server does not answer: the polls here look again a second later."""
    found = kubectl.run([*get, "-o", "jsonpath={range .items[*]}{.metadata.name} {" + value + "}{'\\n'}{end}"],
                        check=False, timeout=10).stdout
    return dict(line.split() for line in found.splitlines() if len(line.split()) == 2)


def _running_drivers(kubectl: Any) -> dict[str, str]:
    """The tenant's Running drivers and their nodes."""
    return _names_with(kubectl, ["-n", TENANT, "get", "pods", "-l", "spark-role=driver", "--field-selector",
                                 "status.phase=Running"], ".spec.nodeName")


def _cordoned(kubectl: Any) -> set[str]:
    return {name for name, unschedulable in _names_with(kubectl, ["get", "nodes"], ".spec.unschedulable").items()
            if unschedulable == "true"}


def _kubelet_releases(kubectl: Any) -> dict[str, str]:
    return {n["metadata"]["name"]: n["status"]["nodeInfo"]["kubeletVersion"] for n in kubectl.json(["get", "nodes"])["items"]}


def _running_executors(kubectl: Any) -> list[str]:
    found = kubectl.run(["-n", TENANT, "get", "pods", "-l", "spark-role=executor", "--field-selector", "status.phase=Running",
                         "-o", "name"], check=False, timeout=10).stdout
    return found.split()


def _wait_for_an_executor(kubectl: Any) -> bool:
    """Once an executor runs, its driver's SparkContext is up: a driver still starting
    when the API server restarts fails (Spark's client gives a request 10 s; seen in CI's
    patch stage: the GET of its own pod timed out, and spark-submit still exited 0)."""
    deadline = time.monotonic() + DRIVER_RUNNING_TIMEOUT
    while time.monotonic() < deadline and not _running_executors(kubectl):
        time.sleep(1)
    return bool(_running_executors(kubectl))


def _kubelet_releases_or_none(kubectl: Any) -> dict[str, str]:
    """The nodes' kubelet versions, or none while the API server does not answer."""
    return _names_with(kubectl, ["get", "nodes"], ".status.nodeInfo.kubeletVersion")


def _wait_for_drivers(kubectl: Any, count: int) -> dict[str, str]:
    """The tenant's Running drivers, once ``count`` of them run (or the timeout passed)."""
    deadline = time.monotonic() + DRIVER_RUNNING_TIMEOUT
    while time.monotonic() < deadline and len(_running_drivers(kubectl)) < count:
        time.sleep(1)
    return _running_drivers(kubectl)


def _select_release(cluster: Any, row: Any) -> None:
    """Serve ``row`` beside the releases already served and point the stack at it."""
    from lab.probes import stack_workspace
    from lab.services.mirrors import fill_release

    started = time.monotonic()
    fill_release(cluster.site, row)
    print(f"\nrelease {row.kubernetes} served in {time.monotonic() - started:.1f}s")
    workspace = stack_workspace(cluster.workspace_dir, "dev")
    url = cluster.site.apt_url(row.minor)
    workspace.set_config(f"{PROJECT}:kubernetesVersion", row.kubernetes)
    workspace.set_config(f"{PROJECT}:packageRepository.url", url, path=True)
    workspace.set_config(f"{PROJECT}:packageRepository.signingKeyUrl", f"{url}Release.key", path=True)


def _report(jobs: dict[str, Any]) -> None:
    for name, job in jobs.items():
        print(f"SparkPi {name} ({PARTITIONS[name]} partitions): exit {job.returncode}, driver {job.driver_exit} after {job.seconds:.1f}s; pods "
              + ", ".join(f"{n}@{p['spec'].get('nodeName')}" for n, p in sorted(job.pods.items())))


class Jobs:
    """SparkPi jobs submitted as the tenant, each from its own thread (a submission
    blocks until its job ends); deleted at the end."""

    def __init__(self, cluster: Any, kubectl: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
        from lab.probes import stack_workspace

        self.cluster, self.kubectl, self.tmp = cluster, kubectl, tmp_path_factory
        self.secrets = stack_workspace(cluster.workspace_dir, "dev").outputs(show_secrets=True)
        self.done: dict[str, Any] = {}
        self.threads: dict[str, threading.Thread] = {}

    def submit(self, name: str, executors: int = 2, node: str | None = None, confs: tuple[str, ...] = ()) -> None:
        from lab.probes.spark import run_sparkpi

        if node:
            confs = (*confs, "--conf", f"spark.kubernetes.driver.node.selector.kubernetes.io/hostname={node}")

        def run() -> None:
            for _ in range(SUBMISSIONS):
                job = run_sparkpi(self.cluster.lab, self.kubectl, self.secrets, TENANT, self.tmp.mktemp(name),
                                  executors, PARTITIONS[name], confs=confs, name=name)
                self.done[name] = job
                if job.returncode == 0 or job.pods:
                    return
                print(f"SparkPi {name}: the submission made no driver (exit {job.returncode}): {job.client_log[-600:]}")

        self.threads[name] = threading.Thread(target=run, daemon=True)
        self.threads[name].start()

    def client_log(self, name: str) -> str:
        """What a job's submission printed, if it has ended."""
        job = self.done.get(name)
        return f"exit {job.returncode}: {job.client_log[-3000:]}" if job else "still submitting"

    def join(self, name: str) -> Any:
        self.threads[name].join(timeout=900)
        return self.done.get(name)

    def delete_all(self) -> None:
        from lab.probes.spark import delete_job

        for job in self.done.values():
            delete_job(self.kubectl, job)


@pytest.fixture(scope="module")
def upgraded(cluster: Any, kubectl: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Upgrade]:
    """The next minor served, a SparkPi running, then ``up`` to it; a second SparkPi
    submitted once the control plane is cordoned, its driver on the last worker."""
    from lab.toolchain.plan import upgrade_path

    row = upgrade_path()[0]
    _select_release(cluster, row)
    jobs = Jobs(cluster, kubectl, tmp_path_factory)
    jobs.submit("first")
    running_before_up = bool(_wait_for_drivers(kubectl, 1)) and _wait_for_an_executor(kubectl)

    kept: dict[str, float] = {}
    done = threading.Event()

    def second_once_the_control_plane_is_cordoned() -> None:
        """Its cordon can pass between two looks (a busy API server answers slowly; CI's
        warm run missed it once): a control plane's kubelet at the release is as good a
        sign that the workers' turn is next, and it stays."""
        deadline = time.monotonic() + TURN_TIMEOUT
        while not done.is_set() and time.monotonic() < deadline:
            upgraded = {name for name, tag in _kubelet_releases_or_none(kubectl).items() if tag == f"v{row.kubernetes}"}
            if set(CONTROL_PLANES) & (_cordoned(kubectl) | upgraded):
                jobs.submit("second", node=LAST_WORKER)
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
    up_started = time.monotonic()
    result, log = up(cluster)
    upgrade = Upgrade(result, log, time.monotonic() - up_started, first_running_before_up=running_before_up)
    upgrade.across_control_plane = jobs.join("first")
    helpers[0].join(timeout=900)
    upgrade.across_workers = jobs.join("second") if "second" in jobs.threads else None
    done.set()
    helpers[1].join(timeout=30)
    upgrade.kept_while_cordoned = kept
    print(f"minor upgrade up: {upgrade.seconds:.1f}s, ok={result['ok']}; drivers kept on cordoned nodes (s): {kept}")
    _report(jobs.done)
    for name, message in failed_steps(result).items():
        print(f"{name} failed: ...{message[-3000:]}")
    upgrade.preview, upgrade.preview_log = up(cluster, "preview")
    try:
        yield upgrade
    finally:
        jobs.delete_all()


def _driver_state(kubectl: Any, pod: str) -> dict[str, str]:
    found = kubectl.json(["-n", TENANT, "get", "pod", pod])
    return {"uid": found["metadata"]["uid"], "node": found["spec"].get("nodeName", ""), "phase": found["status"].get("phase", "")}


@pytest.fixture(scope="module")
def patched(upgraded: Upgrade, cluster: Any, kubectl: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Patch]:
    """The next patch served, then two drivers running: one held (its executor cannot be
    placed, so its job waits until the driver is deleted) on the first worker, one job's on the second.
    The up stops at the first worker's drain; once the second job has ended and the held
    driver is deleted, the next up (two workers a batch) resumes the rollout."""
    from lab.probes import stack_workspace
    from lab.toolchain.plan import upgrade_path

    assert upgraded.result["ok"], "the minor upgrade failed: see its tests"
    _select_release(cluster, upgrade_path()[1])
    workspace = stack_workspace(cluster.workspace_dir, "dev")
    workspace.set_config(f"{PROJECT}:upgrade.drainTimeoutSeconds", str(HELD_DRAIN_TIMEOUT), path=True)
    jobs = Jobs(cluster, kubectl, tmp_path_factory)
    jobs.submit("held", executors=1, node=HELD_WORKER, confs=UNPLACEABLE_EXECUTOR)
    jobs.submit("across", node=ACROSS_WORKER)
    drivers = _wait_for_drivers(kubectl, 2)
    [held] = [pod for pod, node in drivers.items() if pod.startswith("held-")] or [""]
    assert held, f"the held driver did not run within {DRIVER_RUNNING_TIMEOUT}s: {drivers}; {jobs.client_log('held')}"
    # the held job's executor never runs: a running one is the job across the upgrade's
    assert _wait_for_an_executor(kubectl), f"the job across the upgrade started no executor: {jobs.client_log('across')}"
    held_before = _driver_state(kubectl, held)
    started = time.monotonic()
    stopped, stopped_log = up(cluster)
    patch = Patch(stopped, stopped_log, time.monotonic() - started, held_before, _driver_state(kubectl, held),
                  _kubelet_releases(kubectl), _cordoned(kubectl))
    print(f"patch upgrade up (held): {patch.stopped_seconds:.1f}s, ok={stopped['ok']}, failed: {sorted(failed_steps(stopped))}; "
          f"releases {patch.releases_after_stop}; cordoned {sorted(patch.cordoned_after_stop)}")
    patch.across = jobs.join("across")
    kubectl.run(["-n", TENANT, "delete", "pod", held, "--wait=true"], check=False, timeout=120)
    jobs.join("held")
    _report(jobs.done)
    workspace.set_config(f"{PROJECT}:upgrade.workerBatchSize", str(RESUMED_BATCH_SIZE), path=True)
    started = time.monotonic()
    patch.resumed, patch.resumed_log, patch.preview, patch.preview_log = converge(cluster)
    patch.resumed_seconds = time.monotonic() - started
    print(f"patch upgrade up (resumed, with its preview): {patch.resumed_seconds:.1f}s, ok={patch.resumed['ok']}")
    for name, message in failed_steps(patch.resumed).items():
        print(f"{name} failed: ...{message[-3000:]}")
    try:
        yield patch
    finally:
        jobs.delete_all()


def _every_node_in_service_at(kubectl: Any, tag: str) -> None:
    nodes = kubectl.json(["get", "nodes"])["items"]
    assert {n["metadata"]["name"]: n["status"]["nodeInfo"]["kubeletVersion"] for n in nodes} == {name: tag for name in NODES}
    for n in nodes:
        ready = {c["type"]: c["status"] for c in n["status"]["conditions"]}["Ready"]
        assert ready == "True" and not n["spec"].get("unschedulable"), n["metadata"]["name"]
        assert "spark-on-metal.io/cordoned-for-upgrade" not in n["metadata"].get("annotations", {})


def _control_plane_runs(kubectl: Any, tag: str, etcd: str) -> None:
    pods = {pod["metadata"]["name"]: pod["spec"]["containers"][0]["image"]
            for pod in kubectl.json(["-n", "kube-system", "get", "pods"])["items"]}
    for node in CONTROL_PLANES:
        for component in ("kube-apiserver", "kube-controller-manager", "kube-scheduler"):
            assert pods[f"{component}-{node}"].endswith(f"/{component}:{tag}"), pods
        assert pods[f"etcd-{node}"].endswith(f"/etcd:{etcd}"), pods
    proxy = kubectl.json(["-n", "kube-system", "get", "daemonset", "kube-proxy"])
    assert proxy["spec"]["template"]["spec"]["containers"][0]["image"].endswith(f"/kube-proxy:{tag}")
    assert kubectl.json(["version"])["serverVersion"]["gitVersion"] == tag


def _finished(log: str) -> dict[str, int]:
    """Where in the engine's log each command's update finished."""
    return {match.group(1): match.start() for match in re.finditer(rf"{COMMAND_TYPE} (\S+) updated", log)}


def test_one_up_upgrades_every_node(upgraded: Upgrade, kubectl: Any) -> None:
    assert upgraded.result["ok"], (failed_steps(upgraded.result), upgraded.log[-4000:])
    _every_node_in_service_at(kubectl, "v1.36.1")


def test_the_control_plane_etcd_and_kube_proxy_run_the_new_release(upgraded: Upgrade, kubectl: Any) -> None:
    assert upgraded.result["ok"]
    _control_plane_runs(kubectl, "v1.36.1", "3.6.8-0")


def test_the_platforms_objects_follow_the_release(upgraded: Upgrade, kubectl: Any) -> None:
    """CoreDNS (the platform's own DaemonSet on the DNS nodes) takes 1.36's CoreDNS."""
    assert upgraded.result["ok"]
    coredns = [d for d in kubectl.json(["-n", "kube-system", "get", "daemonsets"])["items"]
               if any(c["image"].rsplit("/", 1)[-1].startswith("coredns:") for c in d["spec"]["template"]["spec"]["containers"])]
    assert coredns and all(c["image"].endswith("coredns:v1.14.2") for d in coredns for c in d["spec"]["template"]["spec"]["containers"])


def test_the_control_plane_first_then_one_worker_at_a_time(upgraded: Upgrade) -> None:
    """The engine's log says when each step finished: a wave's kubeadm upgrade only after
    the previous wave's node was back in service."""
    finished = _finished(upgraded.log)
    order = [f"{node}-{step}" for node in NODES for step in UPGRADE_STEPS]
    assert set(order) <= set(finished), sorted(finished)
    assert [finished[name] for name in order] == sorted(finished[name] for name in order)


def _finished_with_pi(job: Any) -> None:
    assert job is not None, "SparkPi did not return"
    assert job.returncode == 0, job.client_log[-4000:]
    assert job.driver_exit == 0, (job.driver_exit, job.client_log[-4000:])
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
    running depends on timing: the fixture prints the seconds it was seen so (the patch
    upgrade's held driver proves the wait)."""
    job = upgraded.across_workers
    _finished_with_pi(job)
    assert job.pods[job.driver]["spec"]["nodeName"] == LAST_WORKER


def test_a_preview_after_the_upgrade_plans_nothing(upgraded: Upgrade) -> None:
    assert upgraded.preview["ok"] and set(upgraded.preview["changes"]) == {"same"}, upgraded.preview_log[-3000:]


def test_a_running_driver_holds_its_nodes_drain_and_stops_the_rollout(patched: Patch) -> None:
    """The held driver ran on the first worker through its drain: same pod, still
    Running there; the drain gave up after its timeout, naming the node, and nothing
    else failed."""
    assert patched.held_before["phase"] == "Running" and patched.held_before["node"] == HELD_WORKER, patched.held_before
    assert patched.held_after == patched.held_before
    assert not patched.stopped["ok"]
    failed = failed_steps(patched.stopped)
    assert set(failed) == {f"{HELD_WORKER}-upgrade-drain"}, failed
    assert f"node {HELD_WORKER} was not drained within {HELD_DRAIN_TIMEOUT}s" in failed[f"{HELD_WORKER}-upgrade-drain"]
    assert HELD_WORKER in patched.cordoned_after_stop


def test_a_stopped_rollout_leaves_the_later_waves_alone(patched: Patch) -> None:
    """The control plane finished its patch upgrade; the held worker got as far as its
    drain (kubeadm's order: ``kubeadm upgrade node`` first), its kubelet untouched; the
    workers after it were not started."""
    assert patched.releases_after_stop == {"cp1": "v1.36.3", "w1": "v1.36.1", "w2": "v1.36.1", "w3": "v1.36.1"}
    assert patched.cordoned_after_stop == {HELD_WORKER}
    finished = _finished(patched.stopped_log)
    assert {f"cp1-{step}" for step in UPGRADE_STEPS} | {f"{HELD_WORKER}-kubeadm-upgrade"} <= set(finished), sorted(finished)
    assert not {name for name in finished if name.startswith(("w2-", "w3-")) and name.endswith(UPGRADE_STEPS)}, sorted(finished)


def test_a_job_running_across_the_patch_upgrade_finishes_with_its_answer(patched: Patch) -> None:
    """Its driver on the second worker, its executors evicted from the first by its drain."""
    _finished_with_pi(patched.across)
    assert patched.across.pods[patched.across.driver]["spec"]["nodeName"] == ACROSS_WORKER


def test_the_next_up_resumes_the_rollout_where_it_stopped(patched: Patch, kubectl: Any) -> None:
    """Every node ends at the patch, in service; the steps the stopped up finished are not
    run again; with two workers a batch, the last worker's turn comes after both."""
    assert patched.resumed["ok"], (failed_steps(patched.resumed), patched.resumed_log[-4000:])
    _every_node_in_service_at(kubectl, "v1.36.3")
    _control_plane_runs(kubectl, "v1.36.3", "3.6.8-0")
    finished = _finished(patched.resumed_log)
    assert not {f"cp1-{step}" for step in UPGRADE_STEPS} & set(finished), sorted(finished)
    assert f"{HELD_WORKER}-kubeadm-upgrade" not in finished
    batch = [f"{node}-{step}" for node in WORKERS for step in UPGRADE_STEPS[1:]]
    last = [f"{SECOND_DNS}-{step}" for step in UPGRADE_STEPS]
    assert set(batch) | set(last) <= set(finished), sorted(finished)
    assert max(finished[name] for name in batch) < finished[last[0]]
    assert [finished[name] for name in last] == sorted(finished[name] for name in last)


def test_a_preview_after_the_resumed_upgrade_plans_nothing(patched: Patch) -> None:
    assert patched.preview["ok"] and set(patched.preview["changes"]) == {"same"}, patched.preview_log[-3000:]


def test_going_back_down_is_refused_before_anything_changes(patched: Patch, cluster: Any) -> None:
    """Even by a patch: kubeadm has no downgrade."""
    from lab.probes import stack_workspace

    assert patched.resumed["ok"]
    workspace = stack_workspace(cluster.workspace_dir, "dev")
    workspace.set_config(f"{PROJECT}:kubernetesVersion", "1.36.1")
    try:
        result, log = up(cluster)
    finally:
        workspace.set_config(f"{PROJECT}:kubernetesVersion", "1.36.3")
    assert not result["ok"]
    failed = failed_steps(result)
    assert failed and all(name.endswith("-prepare-host") for name in failed), failed
    assert all("cannot be downgraded; set kubernetesVersion back to 1.36.3" in message for message in failed.values())
    assert not re.findall(rf"(?:{COMMAND_TYPE}|kubernetes:\S+) (\S+) (?:created|updated|replaced|deleted)", log)
