"""SparkPi on the real lab cluster: the real spark-submit client (pyspark's, in a venv
under $SOM_CACHE, with the machine's Java) submits in cluster mode from the lab's fabric
with the admin kubeconfig, through ``python -m components spark-submit``; the driver and
executors run the lab's own Spark image (lab/images/spark) that the bring-up pushed and
the stack names as ``spark.image``.

What a tenant relies on: the job finishes with the right answer, runs only on the
tenant's nodes with addresses from each node's own slice, carries the platform's
priority classes and DNS options, and leaves nothing behind once its driver is deleted.
One bring-up per module (tests/realcluster.py); marked ``realcluster``.
"""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.realcluster import TENANT, WORKERS, cluster, kubectl, outputs  # noqa: F401 (fixtures)

pytestmark = [
    pytest.mark.realcluster,
    pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root"),
]

REPO = Path(__file__).resolve().parent.parent
JAVA_HOME = "/usr/lib/jvm/java-17-openjdk-amd64"
JOB_TIMEOUT = 900.0  # three JVMs and the client's on a busy 2-core machine
GONE_TIMEOUT = 120.0
PARTITIONS = "100"
EXECUTORS = 2


@pytest.fixture(scope="module")
def spark_submit() -> Path:
    """pyspark's spark-submit in a venv under $SOM_CACHE, made once from the cached sdist."""
    from lab.images.cache import cache_root
    from lab.images.spark.build import distribution
    from lab.images.spark.spec import SparkImage

    image = SparkImage()
    venv = cache_root() / "spark" / f"client-{image.version}"
    complete = venv / ".complete"
    if not complete.is_file():
        sdist = distribution(image, cache_root())
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, timeout=300)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", str(sdist)], check=True, timeout=1800)
        complete.write_text(f"{image.distribution}\n")
    return venv / "bin" / "spark-submit"


@dataclass
class Job:
    """What the run left to look at: the client's exit, the driver's log, every pod of the
    job as last seen with an address, and how long the submission took."""

    driver: str
    returncode: int = -1
    client_log: str = ""
    driver_log: str = ""
    pods: dict[str, dict[str, Any]] = field(default_factory=dict)
    seconds: float = 0.0

    def role(self, role: str) -> dict[str, dict[str, Any]]:
        return {n: p for n, p in self.pods.items() if p["metadata"]["labels"].get("spark-role") == role}


def job_pods(kubectl: Any, driver: str) -> dict[str, dict[str, Any]]:
    """The driver pod and the executors it owns, by name."""
    found = kubectl.json(["-n", TENANT, "get", "pods", "-l", "spark-role"])["items"]
    drivers = [p for p in found if p["metadata"]["name"] == driver]
    if not drivers:
        return {}
    uid = drivers[0]["metadata"]["uid"]
    owned = [p for p in found if any(o["uid"] == uid for o in p["metadata"].get("ownerReferences", []))]
    return {p["metadata"]["name"]: p for p in [*drivers, *owned]}


def watch(kubectl: Any, job: Job, done: threading.Event) -> None:
    """Keep each pod of the job as last seen with an address (executors may go early)."""
    from lab.proc import LabError

    while not done.wait(2.0):
        try:
            seen = job_pods(kubectl, job.driver)
        except LabError:
            continue
        job.pods.update({n: p for n, p in seen.items() if p["status"].get("podIP")})


@pytest.fixture(scope="module")
def sparkpi(cluster: Any, kubectl: Any, outputs: dict[str, Any], spark_submit: Path,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Job]:
    """SparkPi submitted once; its driver is deleted at the end (the last test checks)."""
    import json

    from lab.images.spark.spec import EXAMPLES_JAR, PI_CLASS

    work = tmp_path_factory.mktemp("sparkpi")
    outputs_file = work / "outputs.json"
    outputs_file.write_text(json.dumps(outputs))
    job = Job(driver=f"sparkpi-{uuid.uuid4().hex[:8]}-driver")
    argv = [sys.executable, "-m", "components", "spark-submit", "--stack", "dev", "--tenant", TENANT,
            "--outputs", str(outputs_file), "--template-dir", str(work / "templates"),
            "--spark-submit", str(spark_submit), "--exec", "--",
            "--conf", f"spark.executor.instances={EXECUTORS}",
            "--conf", f"spark.kubernetes.driver.pod.name={job.driver}",
            # keep finished executors until the driver goes, so the checks see every pod
            "--conf", "spark.kubernetes.executor.deleteOnTermination=false",
            # a busy 2-core machine per node: ask for half a core per pod
            "--conf", "spark.kubernetes.driver.request.cores=500m",
            "--conf", "spark.kubernetes.executor.request.cores=500m",
            "--class", PI_CLASS, f"local://{EXAMPLES_JAR}", PARTITIONS]
    env = {**os.environ, "JAVA_HOME": JAVA_HOME, "KUBECONFIG": str(kubectl.kubeconfig),
           "PATH": f"{spark_submit.parent}:{JAVA_HOME}/bin:{os.environ['PATH']}"}
    env.pop("SPARK_HOME", None)
    done = threading.Event()
    watcher = threading.Thread(target=watch, args=(kubectl, job, done), daemon=True)
    watcher.start()
    started = time.monotonic()
    try:
        result = subprocess.run(cluster.lab.fabric_argv(argv), cwd=REPO, env=env, capture_output=True,
                                text=True, timeout=JOB_TIMEOUT, check=False)
        job.seconds = time.monotonic() - started
        job.returncode, job.client_log = result.returncode, result.stdout + result.stderr
        done.set()
        watcher.join()
        job.pods.update(job_pods(kubectl, job.driver))
        job.driver_log = kubectl.run(["-n", TENANT, "logs", job.driver], check=False, timeout=120).stdout
        answer = [line for line in job.driver_log.splitlines() if "Pi is roughly" in line]
        print(f"\nSparkPi: client exit {job.returncode} after {job.seconds:.1f}s; {answer}; pods "
              + ", ".join(f"{n}@{p['spec'].get('nodeName')}/{p['status'].get('podIP')}" for n, p in sorted(job.pods.items())))
        yield job
    finally:
        done.set()
        kubectl.run(["-n", TENANT, "delete", "pod", job.driver, "--ignore-not-found", "--wait=true"],
                    check=False, timeout=180)


def test_sparkpi_finishes_with_pi(sparkpi: Job) -> None:
    assert sparkpi.returncode == 0, sparkpi.client_log[-4000:]
    assert "Pi is roughly 3.1" in sparkpi.driver_log, sparkpi.driver_log[-4000:]


def test_the_job_ran_a_driver_and_its_executors_on_the_tenants_workers_only(sparkpi: Job) -> None:
    assert list(sparkpi.role("driver")) == [sparkpi.driver]
    assert len(sparkpi.role("executor")) >= EXECUTORS, sorted(sparkpi.pods)
    nodes = {name: pod["spec"].get("nodeName") for name, pod in sparkpi.pods.items()}
    assert {name: node for name, node in nodes.items() if node not in WORKERS} == {}


def test_every_pod_of_the_job_has_an_address_from_its_nodes_slice(sparkpi: Job, outputs: dict[str, Any]) -> None:
    ranges = {n["name"]: n["podRange"] for n in outputs["nodes"]}
    outside = {}
    for name, pod in sparkpi.pods.items():
        slice_ = ranges[pod["spec"]["nodeName"]]
        address = ipaddress.IPv4Address(pod["status"]["podIP"])
        if not (ipaddress.IPv4Address(slice_["start"]) <= address <= ipaddress.IPv4Address(slice_["end"])
                and address in ipaddress.IPv4Network(slice_["cidr"])):
            outside[name] = (pod["spec"]["nodeName"], str(address), slice_)
    assert sparkpi.pods and outside == {}


def test_the_pods_run_the_lab_image_with_the_platforms_priorities_and_dns_options(
    cluster: Any, sparkpi: Job, outputs: dict[str, Any]
) -> None:
    from lab.images.spark.spec import SparkImage

    templates = {role: yaml.safe_load(text) for role, text in outputs["tenants"][TENANT]["podTemplates"].items()}
    image = SparkImage().reference(cluster.site.image_repository)
    for name, pod in sparkpi.pods.items():
        role = pod["metadata"]["labels"]["spark-role"]
        expected = templates[role]["spec"]
        assert pod["spec"]["priorityClassName"] == expected["priorityClassName"], name
        assert pod["spec"]["dnsConfig"]["options"] == expected["dnsConfig"]["options"], name
        assert [c["image"] for c in pod["spec"]["containers"]] == [image], name
    assert {templates["driver"]["spec"]["priorityClassName"]} != {templates["executor"]["spec"]["priorityClassName"]}


def test_nothing_of_the_job_is_left_once_its_driver_is_deleted(sparkpi: Job, kubectl: Any) -> None:
    """Last: deletes the driver; its executors, service and config maps go with it."""
    [driver] = sparkpi.role("driver").values()
    uid = driver["metadata"]["uid"]
    kubectl.run(["-n", TENANT, "delete", "pod", sparkpi.driver, "--wait=true"], timeout=180)

    def left() -> list[str]:
        found = kubectl.json(["-n", TENANT, "get", "pods,services,configmaps"])["items"]
        return [f"{o['kind']}/{o['metadata']['name']}" for o in found
                if o["metadata"]["name"] in sparkpi.pods
                or any(r["uid"] == uid for r in o["metadata"].get("ownerReferences", []))]

    kubectl.wait("the job's objects gone", lambda: not left(), GONE_TIMEOUT)
    assert left() == []
