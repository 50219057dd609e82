"""A Spark job on a lab cluster, submitted the way a tenant does: the real spark-submit
client (pyspark's, in a venv under $SOM_CACHE, with the machine's Java), through
``python -m components spark-submit`` from the stack outputs, in cluster mode, from the
lab's fabric, as the tenant's own identity (the secret output ``kubeconfig-<tenant>``).

Shared by the demo and tests/e2e/test_real_spark.py: both need the job's pods as they were
while it ran (executors may end before the driver), so a watcher keeps each pod as
last seen with an address while the client runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..images.cache import cache_root
from ..images.spark.build import distribution
from ..images.spark.spec import EXAMPLES_JAR, PI_CLASS, SparkImage
from ..lab import Lab
from ..proc import LabError
from .kubectl import Kubectl

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
JAVA_HOME = "/usr/lib/jvm/java-17-openjdk-amd64"
JOB_TIMEOUT = 900.0  # three JVMs and the client's on a busy 2-core machine
DELETE_TIMEOUT = 180.0
# How long a driver may run on after the client returned: spark-submit stops waiting when
# its watch of the driver breaks (an API server restarting under an upgrade), as if the
# job had ended, and exits 0 (SPARK-26365).
DRIVER_END_TIMEOUT = 300.0
ENDED_PHASES = ("Succeeded", "Failed")


def spark_submit_client(image: SparkImage | None = None) -> Path:
    """pyspark's spark-submit, of the image's Spark, in a venv made once from the cached sdist."""
    image = image or SparkImage()
    venv = cache_root() / "spark" / f"client-{image.version}"
    complete = venv / ".complete"
    if not complete.is_file():
        sdist = distribution(image, cache_root())
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, timeout=300)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", str(sdist)], check=True, timeout=1800)
        complete.write_text(f"{image.distribution}\n")
    return venv / "bin" / "spark-submit"


def client_environment(client: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment the spark-submit client runs in: the machine's Java, pyspark's
    scripts first on PATH, and no SPARK_HOME or KUBECONFIG of the caller's to mislead it."""
    environment = {**os.environ, **(extra or {}), "JAVA_HOME": JAVA_HOME,
                   "PATH": f"{client.parent}:{JAVA_HOME}/bin:{os.environ['PATH']}"}
    environment.pop("SPARK_HOME", None)
    environment.pop("KUBECONFIG", None)
    return environment


@dataclass
class Job:
    """What a run left to look at: the client's exit, the driver's log, every pod of the
    job as last seen with an address, and how long the submission took."""

    namespace: str
    driver: str
    returncode: int = -1
    driver_exit: int | None = None  # the driver container's exit code: what says the job succeeded
    client_log: str = ""
    driver_log: str = ""
    pods: dict[str, dict[str, Any]] = field(default_factory=dict)
    seconds: float = 0.0
    # What a tenant sees while the job runs, as the reference shows it: `kubectl logs -f`
    # from the driver's start, and the driver UI's REST answer through `kubectl port-forward`.
    streamed_log: str = ""
    ui_answer: str = ""
    ui_trouble: str = ""  # why the UI did not answer: port-forward's output, the last fetch's error
    setup_seconds: dict[str, float] = field(default_factory=dict)  # what the caller did first, timed

    def role(self, role: str) -> dict[str, dict[str, Any]]:
        return {n: p for n, p in self.pods.items() if p["metadata"]["labels"].get("spark-role") == role}

    @property
    def answer(self) -> list[str]:
        return [line for line in self.driver_log.splitlines() if "Pi is roughly" in line]


def driver_exit_code(pod: dict[str, Any]) -> int | None:
    """The exit code of a driver pod's terminated container, None while it runs."""
    for status in pod.get("status", {}).get("containerStatuses", []):
        terminated = status.get("state", {}).get("terminated")
        if terminated is not None:
            return int(terminated["exitCode"])
    return None


def ended_job_pods(kubectl: Kubectl, namespace: str, driver: str,
                   timeout: float = DRIVER_END_TIMEOUT) -> dict[str, dict[str, Any]]:
    """The job's pods once its driver has ended or is gone, read through an API server
    that may be restarting; as last read if the driver still runs after ``timeout``."""
    deadline = time.monotonic() + timeout
    pods: dict[str, dict[str, Any]] = {}
    while True:
        try:
            pods = job_pods(kubectl, namespace, driver)
        except LabError:
            pass
        else:
            driver_pod = pods.get(driver)
            if driver_pod is None or driver_pod["status"].get("phase") in ENDED_PHASES:
                return pods
        if time.monotonic() >= deadline:
            return pods
        time.sleep(3.0)


def job_pods(kubectl: Kubectl, namespace: str, driver: str) -> dict[str, dict[str, Any]]:
    """The driver pod and the executors it owns, by name."""
    found = kubectl.json(["-n", namespace, "get", "pods", "-l", "spark-role"])["items"]
    drivers = [p for p in found if p["metadata"]["name"] == driver]
    if not drivers:
        return {}
    uid = drivers[0]["metadata"]["uid"]
    owned = [p for p in found if any(o["uid"] == uid for o in p["metadata"].get("ownerReferences", []))]
    return {p["metadata"]["name"]: p for p in [*drivers, *owned]}


UI_PORT = 4040  # the driver UI's port in the pod (spark.ui.port)
LOCAL_UI_PORT = 14040  # where port-forward listens in the fabric


def _driver_running(job: Job, done: threading.Event) -> bool:
    """Wait until the watcher has seen the driver Running (False if the job ended first)."""
    while not done.wait(0.5):
        pod = job.pods.get(job.driver)
        if pod is not None and pod["status"].get("phase") == "Running":
            return True
    return False


def _follow_log(tenant: Kubectl, job: Job, done: threading.Event) -> None:
    """`kubectl logs -f` from the moment the driver runs until it ends, as the tenant."""
    if not _driver_running(job, done):
        return
    follow = subprocess.Popen(tenant.argv(["-n", job.namespace, "logs", "-f", job.driver]), stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    try:
        assert follow.stdout is not None
        for line in follow.stdout:
            job.streamed_log += line
    finally:
        follow.kill()
        follow.wait()


def _driver_ui(lab: Lab, tenant: Kubectl, job: Job, done: threading.Event) -> None:
    """The driver UI through `kubectl port-forward <driver> 14040:4040`, as the tenant:
    keep the first answer of its REST API (the application it runs).

    kubectl ends a port-forward whose first connection is refused, so the forward starts
    once the driver's log says its UI is up, and starts again if it ends anyway."""
    if not _driver_running(job, done):
        return
    while "SparkUI" not in job.streamed_log and not done.wait(0.5):
        pass
    fetch = lab.fabric_argv(["curl", "-sS", "--fail", "--max-time", "3", f"http://127.0.0.1:{LOCAL_UI_PORT}/api/v1/applications"])
    troubles: list[str] = []
    while not job.ui_answer and not done.is_set() and len(troubles) < 5:
        forward = subprocess.Popen(tenant.argv(["-n", job.namespace, "port-forward", f"pod/{job.driver}", f"{LOCAL_UI_PORT}:{UI_PORT}"]),
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        last = ""
        try:
            while not job.ui_answer and forward.poll() is None and not done.is_set():
                answer = subprocess.run(fetch, capture_output=True, text=True, timeout=10, check=False)
                if answer.returncode == 0 and answer.stdout.strip().startswith("["):
                    job.ui_answer = answer.stdout
                else:
                    last = f"curl exit {answer.returncode}: {answer.stderr.strip()[-300:]}"
                    time.sleep(0.5)
        finally:
            forward.kill()
            output, _ = forward.communicate()
        troubles.append(f"port-forward exit {forward.returncode}: {output.strip()[-400:]}; last fetch: {last}")
    job.ui_trouble = " | ".join(troubles)


def _watch(kubectl: Kubectl, job: Job, done: threading.Event) -> None:
    while not done.wait(2.0):
        try:
            seen = job_pods(kubectl, job.namespace, job.driver)
        except LabError:
            continue
        job.pods.update({n: p for n, p in seen.items() if p["status"].get("podIP")})


def run_job(lab: Lab, kubectl: Kubectl, outputs_with_secrets: dict[str, Any], tenant: str, work: Path,
            application: Sequence[str], *, name: str = "sparkpi", executors: int = 2, confs: Sequence[str] = (),
            env: Mapping[str, str] | None = None, stack: str = "dev") -> Job:
    """A job submitted as the tenant, waited for; its driver is left for the caller to
    look at and delete (delete_job). ``application``: spark-submit's last words (``--class
    <main> <resource> [args]``); ``confs`` and ``env`` come on top of the platform's.
    ``outputs_with_secrets``: ``pulumi stack output --json --show-secrets``, written 0600
    for the helper (it reads the tenant's kubeconfig from it) and removed afterwards."""
    client = spark_submit_client()
    work.mkdir(parents=True, exist_ok=True)
    outputs_file = work / "outputs.json"
    outputs_file.touch(mode=0o600)
    outputs_file.write_text(json.dumps(outputs_with_secrets))
    job = Job(namespace=tenant, driver=f"{name}-{uuid.uuid4().hex[:8]}-driver")
    argv = [sys.executable, "-m", "components", "spark-submit", "--stack", stack, "--tenant", tenant,
            "--outputs", str(outputs_file), "--template-dir", str(work / "templates"), "--tenant-kubeconfig",
            "--spark-submit", str(client), "--exec", "--",
            "--conf", f"spark.executor.instances={executors}",
            "--conf", f"spark.kubernetes.driver.pod.name={job.driver}",
            # keep finished executors until the driver goes, so a caller sees every pod
            "--conf", "spark.kubernetes.executor.deleteOnTermination=false",
            # a busy 2-core machine per node: ask for half a core per pod
            "--conf", "spark.kubernetes.driver.request.cores=500m",
            "--conf", "spark.kubernetes.executor.request.cores=500m",
            *confs, *application]
    environment = client_environment(client, env)
    tenant_kubeconfig = work / "tenant-kubeconfig"
    tenant_kubeconfig.touch(mode=0o600)
    tenant_kubeconfig.write_text(outputs_with_secrets[f"kubeconfig-{tenant}"])
    as_tenant = Kubectl(lab, tenant_kubeconfig, kubectl.binary)
    done = threading.Event()
    observers = [threading.Thread(target=_watch, args=(kubectl, job, done), daemon=True),
                 threading.Thread(target=_follow_log, args=(as_tenant, job, done), daemon=True),
                 threading.Thread(target=_driver_ui, args=(lab, as_tenant, job, done), daemon=True)]
    for observer in observers:
        observer.start()
    started = time.monotonic()
    try:
        result = subprocess.run(lab.fabric_argv(argv), cwd=PROJECT_ROOT, env=environment, capture_output=True,
                                text=True, timeout=JOB_TIMEOUT, check=False)
        job.seconds = time.monotonic() - started
        job.returncode, job.client_log = result.returncode, result.stdout + result.stderr
    finally:
        done.set()
        for observer in observers:
            observer.join(timeout=60)
        outputs_file.unlink(missing_ok=True)
        tenant_kubeconfig.unlink(missing_ok=True)
        (work / "templates" / "kubeconfig").unlink(missing_ok=True)
    job.pods.update(ended_job_pods(kubectl, tenant, job.driver))
    job.driver_exit = driver_exit_code(job.pods.get(job.driver, {}))
    job.driver_log = kubectl.run(["-n", tenant, "logs", job.driver], check=False, timeout=120).stdout
    return job


def run_sparkpi(lab: Lab, kubectl: Kubectl, outputs_with_secrets: dict[str, Any], tenant: str, work: Path,
                executors: int = 2, partitions: int = 100, stack: str = "dev", confs: Sequence[str] = (),
                name: str = "sparkpi") -> Job:
    """The reference's SparkPi, from the examples jar in the image (run_job)."""
    return run_job(lab, kubectl, outputs_with_secrets, tenant, work,
                   ["--class", PI_CLASS, f"local://{EXAMPLES_JAR}", str(partitions)], name=name, executors=executors,
                   confs=confs, stack=stack)


def delete_job(kubectl: Kubectl, job: Job) -> None:
    """Delete the driver (its executors, Service and ConfigMaps are owned by it)."""
    kubectl.run(["-n", job.namespace, "delete", "pod", job.driver, "--ignore-not-found", "--wait=true"],
                check=False, timeout=DELETE_TIMEOUT)
