"""Spark's upload path on an S3-compatible store: the S3A jars from Maven Central and a
probe of the client half (a local application jar uploaded by spark-submit itself).

Why these jars: pyspark 4.3.0 ships hadoop-client 3.5.0, so S3A must be hadoop-aws
3.5.0, which needs the AWS SDK v2 ``bundle`` at hadoop-project 3.5.0's
``aws-java-sdk-v2.version`` (2.35.4) and ``analyticsaccelerator-s3`` (1.3.1). The bundle
is the cost: 686 MB, kept once in the cache and checked against Maven's sha1.
Why a probe without a cluster: the client uploads before it talks to the API server, so
the upload is visible in the store even when the submission then fails.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ..images.cache import cache_root
from .objectstore import serve_argv
from .site import STORE_BUCKET

MAVEN = "https://repo1.maven.org/maven2"
ARTIFACTS = (
    ("org.apache.hadoop", "hadoop-aws", "3.5.0"),
    ("software.amazon.awssdk", "bundle", "2.35.4"),
    ("software.amazon.s3.analyticsaccelerator", "analyticsaccelerator-s3", "1.3.1"),
)
BUCKET = STORE_BUCKET


def _url(group: str, artifact: str, version: str) -> str:
    return f"{MAVEN}/{group.replace('.', '/')}/{artifact}/{version}/{artifact}-{version}.jar"


def _sha1(path: Path) -> str:
    digest = hashlib.sha1()  # noqa: S324 (Maven publishes sha1; this checks transfer, not trust)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def s3a_jars(root: Path | None = None) -> list[Path]:
    """The S3A jars in the cache, downloaded and sha1-checked when absent."""
    directory = (root or cache_root()) / "spark" / "maven" / "s3a"
    directory.mkdir(parents=True, exist_ok=True)
    jars = []
    for group, artifact, version in ARTIFACTS:
        jar = directory / f"{artifact}-{version}.jar"
        if not jar.is_file():
            url = _url(group, artifact, version)
            with urllib.request.urlopen(f"{url}.sha1", timeout=60) as answer:  # noqa: S310 (fixed https URL)
                expected = answer.read().decode().split()[0]
            partial = jar.with_name(f"{jar.name}.part")
            urllib.request.urlretrieve(url, partial)  # noqa: S310 (fixed https URL)
            if _sha1(partial) != expected:
                partial.unlink()
                raise RuntimeError(f"{url}: sha1 differs from Maven's")
            partial.rename(jar)
        jars.append(jar)
    return jars


def s3a_settings(endpoint: str) -> dict[str, str]:
    """Spark settings pointing S3A at a path-style, plain-HTTP store (the lab's stack
    puts these in ``spark.conf``; credentials stay out: they come from the environment)."""
    return {
        "spark.hadoop.fs.s3a.endpoint": endpoint,
        "spark.hadoop.fs.s3a.path.style.access": "true",
        "spark.hadoop.fs.s3a.connection.ssl.enabled": "false",
        "spark.hadoop.fs.s3a.endpoint.region": "us-east-1",
    }


def s3a_confs(endpoint: str, upload_path: str) -> list[str]:
    """spark-submit arguments for the upload path on such a store."""
    settings = {"spark.kubernetes.file.upload.path": upload_path, **s3a_settings(endpoint)}
    return [arg for key, value in settings.items() for arg in ("--conf", f"{key}={value}")]


def client_classpath() -> str:
    """SPARK_DIST_CLASSPATH for a client that uploads: pyspark ships no S3A."""
    return ":".join(str(j) for j in s3a_jars())


@dataclass
class UploadProbe:
    """What the client half left: spark-submit's exit and log, and the store's listing."""

    returncode: int
    log: str
    listing: str
    seconds: float


def probe_upload(netns: str, spark_submit: Path, java_home: str, gofakes3: Path, app_jar: Path,
                 main_class: str) -> UploadProbe:
    """Run gofakes3 and spark-submit (cluster mode, a local jar) inside NETNS (made and
    deleted by the caller); no API server listens, so the job stops after the upload."""
    port = "127.0.0.1:9000"
    in_ns = ["ip", "netns", "exec", netns]
    env = {**os.environ, "JAVA_HOME": java_home, "PATH": f"{spark_submit.parent}:{java_home}/bin:{os.environ['PATH']}",
           "SPARK_DIST_CLASSPATH": client_classpath(),
           # gofakes3 checks no signature; S3A wants some credentials to sign with
           "AWS_ACCESS_KEY_ID": "lab", "AWS_SECRET_ACCESS_KEY": "lab"}
    for name in ("KUBECONFIG", "SPARK_HOME"):
        env.pop(name, None)
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
