"""The upload path's client half: gofakes3 (built from its Go module) as the S3 store,
and the real spark-submit uploading a local application jar there through S3A
(lab/services/objectstore.py, lab/services/s3a.py). The cluster half (the driver
fetching the jar from the store) is not proven yet."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from lab.services.objectstore import gofakes3_spec, serve_argv
from lab.services.s3a import ARTIFACTS, s3a_confs

JAVA_HOME = "/usr/lib/jvm/java-17-openjdk-amd64"


def test_gofakes3_is_built_from_its_command_at_an_exact_version() -> None:
    spec = gofakes3_spec()
    assert spec.requires == ("github.com/johannesboyne/gofakes3/cmd/gofakes3@v1.2.0",)
    assert spec.binaries == ("gofakes3",) and not spec.blocked


def test_the_store_keeps_nothing_on_disk() -> None:
    assert serve_argv(Path("/x/gofakes3"), "127.0.0.1:9000", "b")[1:3] == ["-backend", "memory"]


def test_s3a_matches_the_hadoop_that_pyspark_ships() -> None:
    """pyspark 4.3.0's jars are hadoop-client 3.5.0: hadoop-aws must be the same release."""
    assert ("org.apache.hadoop", "hadoop-aws", "3.5.0") in ARTIFACTS
    confs = s3a_confs("http://store:9000", "s3a://b/u")
    assert "spark.kubernetes.file.upload.path=s3a://b/u" in confs
    assert "spark.hadoop.fs.s3a.path.style.access=true" in confs


def _app_jar(work: Path) -> Path:
    """A one-class application that exists only on this machine (the point of uploading)."""
    (work / "LocalApp.java").write_text('public class LocalApp { public static void main(String[] a) '
                                        '{ System.out.println("local app ran"); } }\n')
    subprocess.run([f"{JAVA_HOME}/bin/javac", "-d", str(work), str(work / "LocalApp.java")], check=True, timeout=120)
    jar = work / "my-app.jar"
    subprocess.run([f"{JAVA_HOME}/bin/jar", "cf", str(jar), "-C", str(work), "LocalApp.class"], check=True, timeout=60)
    return jar


@pytest.mark.skipif(os.geteuid() != 0, reason="a network namespace needs root")
def test_spark_submit_uploads_a_local_jar_to_the_store(tmp_path: Path) -> None:
    from lab.probes.spark import spark_submit_client
    from lab.services.objectstore import gofakes3_binary
    from lab.services.s3a import probe_upload

    netns = f"som-s3probe-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", netns], check=True, timeout=30)
    try:
        subprocess.run(["ip", "netns", "exec", netns, "ip", "link", "set", "lo", "up"], check=True, timeout=30)
        probe = probe_upload(netns, spark_submit_client(), JAVA_HOME, gofakes3_binary(), _app_jar(tmp_path), "LocalApp")
    finally:
        subprocess.run(["ip", "netns", "del", netns], check=False, timeout=30)
    print(f"\nupload probe: spark-submit exit {probe.returncode} after {probe.seconds:.1f}s")
    assert "Uploading file: " in probe.log and "my-app.jar" in probe.log, probe.log[-3000:]
    assert "/my-app.jar</Key>" in probe.listing and "<Size>" in probe.listing, probe.listing
    # then, as expected without an API server, the submission itself is refused
    assert probe.returncode != 0 and "Connection refused" in probe.log
