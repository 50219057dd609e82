"""SparkPi on the real lab cluster: the real spark-submit client (pyspark's, in a venv
under $SOM_CACHE, with the machine's Java) submits in cluster mode from the lab's fabric
as the tenant's own identity (``--tenant-kubeconfig``: the secret output
``kubeconfig-<tenant>``), through ``python -m components spark-submit``
(lab/probes/spark.py); the driver and executors run the lab's own Spark image
(lab/images/spark) that the bring-up pushed and the stack names as ``spark.image``.

What a tenant relies on: the job finishes with the right answer, runs only on the
tenant's nodes with addresses from each node's own slice, carries the platform's
priority classes and DNS options, and leaves nothing behind once its driver is deleted;
and an application that exists only on the client goes through the stack's upload path
(the lab's S3 store) and runs there, its credentials in a Secret (lab/probes/upload.py).
One bring-up per module (tests/realcluster.py); marked ``realcluster``.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from lab.probes.spark import Job
from tests.realcluster import TENANT, WORKERS, cluster, kubectl, outputs  # noqa: F401 (fixtures)

pytestmark = [
    pytest.mark.realcluster,
    pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root"),
]

EXECUTORS = 2
GONE_TIMEOUT = 120.0


def _kept_until_the_end(kubectl: Any, title: str, job: Job) -> Iterator[Job]:
    """The job for the module's tests, its driver deleted afterwards (if a test did not)."""
    from lab.probes.spark import delete_job

    print(f"\n{title}: {job.setup_seconds or ''} client exit {job.returncode} after {job.seconds:.1f}s; pods "
          + ", ".join(f"{n}@{p['spec'].get('nodeName')}/{p['status'].get('podIP')}" for n, p in sorted(job.pods.items())))
    try:
        yield job
    finally:
        delete_job(kubectl, job)


def _secret_outputs(cluster: Any) -> dict[str, Any]:
    from lab.probes import stack_workspace

    return stack_workspace(cluster.workspace_dir, "dev").outputs(show_secrets=True)


@pytest.fixture(scope="module")
def sparkpi(cluster: Any, kubectl: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Job]:
    """SparkPi submitted once as the tenant; its driver is deleted at the end (the last test checks)."""
    from lab.probes.spark import run_sparkpi

    job = run_sparkpi(cluster.lab, kubectl, _secret_outputs(cluster), TENANT, tmp_path_factory.mktemp("sparkpi"), EXECUTORS)
    yield from _kept_until_the_end(kubectl, f"SparkPi {job.answer}", job)


def test_sparkpi_finishes_with_pi(sparkpi: Job) -> None:
    assert sparkpi.returncode == 0, sparkpi.client_log[-4000:]
    assert sparkpi.driver_exit == 0, sparkpi.driver_exit
    assert "Pi is roughly 3.1" in sparkpi.driver_log, sparkpi.driver_log[-4000:]


def test_kubectl_logs_follows_the_driver_as_the_tenant_while_it_runs(sparkpi: Job) -> None:
    """`kubectl logs -f`, started once the driver ran, streamed its log to the end, answer included."""
    assert "Pi is roughly 3.1" in sparkpi.streamed_log, sparkpi.streamed_log[-2000:]


def test_the_driver_ui_answers_through_port_forward_as_the_tenant(sparkpi: Job) -> None:
    """The reference's `kubectl port-forward <driver> 4040:4040`: the UI's REST API names the job."""
    assert sparkpi.ui_answer, f"the driver UI never answered through kubectl port-forward ({sparkpi.ui_trouble})"
    applications = json.loads(sparkpi.ui_answer)
    assert [app["name"] for app in applications] == ["Spark Pi"], applications


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


def test_the_tenants_own_kubeconfig_reaches_its_namespace_only(
    cluster: Any, kubectl: Any, sparkpi: Job, tmp_path: Any
) -> None:
    """The identity the job was submitted with (it succeeded: test_sparkpi_finishes_with_pi)
    is refused everywhere else, by the real API server's RBAC."""
    from lab.probes import Kubectl

    secrets = _secret_outputs(cluster)
    path = tmp_path / "tenant-kubeconfig"
    path.touch(mode=0o600)
    path.write_text(secrets[f"kubeconfig-{TENANT}"])
    tenant = Kubectl(cluster.lab, path, kubectl.binary)

    def can(verb: str, resource: str, namespace: str) -> str:
        return tenant.run(["auth", "can-i", verb, resource, "-n", namespace], check=False).stdout.strip()

    assert can("create", "pods", TENANT) == "yes"
    assert {ns: can("create", "pods", ns) for ns in ("default", "kube-system")} == {"default": "no", "kube-system": "no"}
    assert can("get", "secrets", "kube-system") == "no"
    refused = tenant.run(["-n", "kube-system", "get", "pods"], check=False)
    assert refused.returncode != 0 and "forbidden" in refused.stderr, refused.stderr


@pytest.fixture(scope="module")
def uploaded(cluster: Any, kubectl: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Job]:
    """A jar that exists only on the client, submitted as the tenant through the stack's
    upload path (the lab's object store) with the store's credentials in a Secret."""
    from lab.probes.upload import run_uploaded

    job = run_uploaded(cluster.lab, cluster.site, kubectl, _secret_outputs(cluster), TENANT,
                       tmp_path_factory.mktemp("uploaded"), EXECUTORS)
    yield from _kept_until_the_end(kubectl, "uploaded app", job)


def test_a_local_jar_goes_through_the_upload_path_and_runs_on_the_tenants_workers(cluster: Any, uploaded: Job) -> None:
    """The client uploads it to the store; the driver fetches it from there and runs it; the
    executors run a method of the uploaded class (they fetched the jar too); all on the tenant's nodes."""
    from lab.probes.upload import ANSWER, uploads

    assert uploaded.returncode == 0, uploaded.client_log[-4000:]
    assert "Uploading file: " in uploaded.client_log and cluster.site.upload_path in uploaded.client_log
    # still there once the job is done: Spark never deletes what it uploaded (README)
    assert [key for key in uploads(cluster.site, cluster.lab) if key.endswith("/uploaded-app.jar")]
    assert ANSWER in uploaded.driver_log, uploaded.driver_log[-4000:]
    assert list(uploaded.role("driver")) == [uploaded.driver] and len(uploaded.role("executor")) >= EXECUTORS
    nodes = {name: pod["spec"].get("nodeName") for name, pod in uploaded.pods.items()}
    assert {name: node for name, node in nodes.items() if node not in WORKERS} == {}


def test_the_uploaded_jobs_pods_take_the_store_credentials_from_the_secret_only(uploaded: Job) -> None:
    """As the README tells users: credentials come from a Secret by reference, never as a
    value in the pod spec (or in spark.conf, which lands in a namespace-readable ConfigMap)."""
    from lab.probes.upload import CREDENTIALS, SECRET

    assert uploaded.pods
    for name, pod in uploaded.pods.items():
        env = {e["name"]: e for c in pod["spec"]["containers"] for e in c.get("env", [])}
        for variable, key in CREDENTIALS.items():
            assert env[variable].get("valueFrom") == {"secretKeyRef": {"name": SECRET, "key": key}}, (name, env[variable])
            assert "value" not in env[variable], name
