"""Spark's upload path on an S3-compatible store: the S3A jars from Maven Central and the
settings that point S3A at a store (the probes are in lab/probes/upload.py).

Why these jars: pyspark 4.3.0 ships hadoop-client 3.5.0, so S3A must be hadoop-aws
3.5.0, which needs the AWS SDK v2 ``bundle`` at hadoop-project 3.5.0's
``aws-java-sdk-v2.version`` (2.35.4) and ``analyticsaccelerator-s3`` (1.3.1). The bundle
is the cost: 686 MB, kept once in the cache and checked against Maven's sha1.
"""

from __future__ import annotations

import hashlib
import urllib.request
from pathlib import Path

from ..images.cache import cache_root
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
