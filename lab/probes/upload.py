"""A local application through the stack's upload path: the client half alone
(``probe_upload``, no cluster) and on a lab cluster (``run_uploaded``).

What it does as a site would: the platform team keeps the store's credentials in a
Secret of the tenant's namespace (the tenant may not read Secrets; its pods may use
them); the tenant's client has them in its environment, uploads a jar that exists only
on its machine through S3A (``spark.uploadPath``, the endpoint settings in
``spark.conf``: both from the lab's stack), and names the Secret with
``spark.kubernetes.{driver,executor}.secretKeyRef.*``, never in ``spark.conf``, which
lands in a namespace-readable ConfigMap. Driver and executors run the Spark image with
S3A (lab/images/spark/s3a.py), pushed here rather than by every bring-up.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..images.spark.build import build as build_spark_image
from ..images.spark.s3a import build as build_s3a_image
from ..lab import Lab
from ..services import registry
from ..services.objectstore import serve_argv
from ..services.s3a import BUCKET, client_classpath, s3a_confs, s3a_jars
from ..services.site import Site
from .kubectl import Kubectl
from .spark import JAVA_HOME, Job, client_environment, run_job, spark_submit_client

SOURCE = Path(__file__).resolve().parent / "uploaded" / "UploadedApp.java"
MAIN_CLASS = "UploadedApp"
ANSWER = "Uploaded app: the sum of squares of 1..1000 is 333833500"
SECRET = "object-store"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "access-key", "AWS_SECRET_ACCESS_KEY": "secret-key"}  # env -> Secret key


def application_jar(work: Path) -> Path:
    """UploadedApp compiled against the client's own Spark jars, into a jar under work."""
    jars = next(spark_submit_client().parent.parent.glob("lib/python*/site-packages/pyspark/jars"))
    classes = work / "classes"
    classes.mkdir(parents=True, exist_ok=True)
    subprocess.run([f"{JAVA_HOME}/bin/javac", "--release", "17", "-cp", f"{jars}/*", "-d", str(classes), str(SOURCE)],
                   check=True, timeout=600, capture_output=True)
    jar = work / "uploaded-app.jar"
    subprocess.run([f"{JAVA_HOME}/bin/jar", "--create", "--file", str(jar), "-C", str(classes), "."],
                   check=True, timeout=300, capture_output=True)
    return jar


def push_s3a_image(site: Site) -> tuple[str, dict[str, float]]:
    """The Spark image with S3A, built (or taken from the cache) and pushed to the lab
    registry; its reference, and the build's and the push's seconds."""
    image = build_s3a_image(build_spark_image(), s3a_jars())
    started = time.monotonic()
    [reference] = registry.push(site, [(image.oci_reference, image.spec.name, image.spec.tag)])
    return reference, {"s3a image build": round(image.seconds, 1), "s3a image push": round(time.monotonic() - started, 1)}


def secret_manifest(namespace: str, values: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": SECRET, "namespace": namespace},
            "type": "Opaque", "stringData": {CREDENTIALS[env]: value for env, value in values.items()}}


def secret_confs() -> list[str]:
    """The Secret's keys as the driver's and the executors' environment."""
    return [arg for role in ("driver", "executor") for env, key in CREDENTIALS.items()
            for arg in ("--conf", f"spark.kubernetes.{role}.secretKeyRef.{env}={SECRET}:{key}")]


def run_uploaded(lab: Lab, site: Site, admin: Kubectl, outputs_with_secrets: dict[str, Any], tenant: str,
                 work: Path, executors: int = 2) -> Job:
    """Submit UploadedApp from a local jar as the tenant; the Secret is created first (as
    the platform team) and deleted after; the driver is left for delete_job."""
    image, seconds = push_s3a_image(site)
    jar = application_jar(work)
    # gofakes3 checks no signature: these stand for a site's real keys, and are handled as such
    values = {env: secrets.token_hex(16) for env in CREDENTIALS}
    admin.run(["create", "-f", "-"], stdin=json.dumps(secret_manifest(tenant, values)))
    try:
        job = run_job(lab, admin, outputs_with_secrets, tenant, work, ["--class", MAIN_CLASS, str(jar)],
                      name="uploaded", executors=executors,
                      confs=["--conf", f"spark.kubernetes.container.image={image}", *secret_confs()],
                      env={"SPARK_DIST_CLASSPATH": client_classpath(), **values})
    finally:
        admin.run(["-n", tenant, "delete", "secret", SECRET, "--ignore-not-found"], check=False)
    job.setup_seconds = seconds
    return job


def uploads(site: Site, lab: Lab) -> list[str]:
    """The keys under the upload path in the store, as S3's ListObjectsV2 gives them."""
    bucket, _, prefix = site.upload_path.removeprefix("s3a://").partition("/")
    listing = subprocess.run(lab.fabric_argv(["curl", "-sS", f"{site.store_endpoint}/{bucket}?list-type=2&prefix={prefix}"]),
                             capture_output=True, text=True, timeout=30, check=True).stdout
    return [part.split("</Key>")[0] for part in listing.split("<Key>")[1:]]


@dataclass
class UploadProbe:
    """What the client half left: spark-submit's exit and log, and the store's listing."""

    returncode: int
    log: str
    listing: str
    seconds: float


def probe_upload(netns: str, spark_submit: Path, gofakes3: Path, app_jar: Path, main_class: str) -> UploadProbe:
    """The client half alone: gofakes3 and spark-submit (cluster mode, a local jar) inside
    NETNS (made and deleted by the caller). No API server listens, so the job stops after
    the upload, which the client does before it talks to the API server."""
    port = "127.0.0.1:9000"
    in_ns = ["ip", "netns", "exec", netns]
    # gofakes3 checks no signature; S3A wants some credentials to sign with
    env = client_environment(spark_submit, {"SPARK_DIST_CLASSPATH": client_classpath(),
                                            "AWS_ACCESS_KEY_ID": "lab", "AWS_SECRET_ACCESS_KEY": "lab"})
    store = subprocess.Popen([*in_ns, *serve_argv(gofakes3, port, BUCKET)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)
        started = time.monotonic()
        submit = subprocess.run(
            [*in_ns, str(spark_submit), "--master", "k8s://https://127.0.0.1:6443", "--deploy-mode", "cluster",
             *s3a_confs(f"http://{port}", f"s3a://{BUCKET}/uploads"),
             "--conf", "spark.kubernetes.container.image=lab/spark:probe",
             "--conf", "spark.kubernetes.submission.waitAppCompletion=false",
             "--class", main_class, str(app_jar)],
            env=env, capture_output=True, text=True, timeout=300, check=False)
        seconds = time.monotonic() - started
        listing = subprocess.run([*in_ns, "curl", "-sS", f"http://{port}/{BUCKET}?list-type=2&prefix=uploads"],
                                 capture_output=True, text=True, timeout=30, check=False).stdout
    finally:
        store.kill()
        store.wait()
    return UploadProbe(submit.returncode, submit.stdout + submit.stderr, listing, seconds)
