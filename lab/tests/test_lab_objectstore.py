"""The upload path's parts: gofakes3 (built from its Go module) as the S3 store, the
real spark-submit uploading a local application jar there through S3A
(lab/services/objectstore.py, lab/services/s3a.py, lab/probes/upload.py), the lab stack's settings that point
at the store, and the S3A layer of the Spark image (lab/images/spark/s3a.py). The
cluster half (driver and executors fetching the jar on a lab cluster) is in
tests/e2e/test_real_spark.py."""

from __future__ import annotations

import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from components.manifests.spark import UPLOAD_PATH_KEY, spark_conf
from lab.create.stack import site_settings
from lab.images.rootfs import EPOCH
from lab.images.spark.s3a import layer_members, write_layer
from lab.probes.spark import JAVA_HOME
from lab.probes.upload import CREDENTIALS, SECRET, secret_confs, secret_manifest
from lab.services.objectstore import gofakes3_spec, serve_argv
from lab.services.s3a import ARTIFACTS, s3a_confs
from lab.services.site import STORE_PORT, site_for
from tests.factories import load, valid_config


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


def test_the_lab_stack_points_the_upload_path_at_the_store_by_address() -> None:
    """Pods resolve names through the cluster's DNS, which has no lab names: the endpoint
    is the service namespace's address; the settings pass the platform's own validation."""
    site = site_for("t1", "10.99.0.0/17", "10.99.127.254", ["10.99.0.11"])
    settings = {s.key.removeprefix("spark-on-metal:"): s.value for s in site_settings(site)}
    assert settings["spark.uploadPath"] == "s3a://spark-uploads/uploads"
    assert settings['spark.conf["spark.hadoop.fs.s3a.endpoint"]'] == f"http://10.99.127.253:{STORE_PORT}"
    conf = {k.removeprefix('spark.conf["').removesuffix('"]'): v for k, v in settings.items() if k.startswith("spark.conf[")}
    assert not any("secret" in key.lower() or "access.key" in key.lower() for key in conf)
    platform = load(valid_config(spark={"uploadPath": settings["spark.uploadPath"], "conf": conf}))
    rendered = spark_conf(platform, platform.config.tenants[0])
    assert rendered[UPLOAD_PATH_KEY] == "s3a://spark-uploads/uploads"
    assert rendered["spark.hadoop.fs.s3a.path.style.access"] == "true"


def test_the_s3a_layer_holds_only_the_jars_in_sparks_jars_directory(tmp_path: Path) -> None:
    jars = [tmp_path / "b.jar", tmp_path / "a.jar"]
    for jar in jars:
        jar.write_bytes(jar.name.encode() * 100)
    members = layer_members(jars)
    assert [m.name for m in members] == ["opt", "opt/spark", "opt/spark/jars", "opt/spark/jars/a.jar", "opt/spark/jars/b.jar"]
    assert {(m.uid, m.gid, m.mtime) for m in members} == {(0, 0, EPOCH)}
    assert [oct(m.mode) for m in members] == ["0o755"] * 3 + ["0o644"] * 2
    write_layer(jars, tmp_path / "layer.tar")
    with tarfile.open(tmp_path / "layer.tar") as archive:
        member = archive.extractfile("opt/spark/jars/a.jar")
        assert member is not None and member.read() == b"a.jar" * 100


def test_store_credentials_go_to_the_pods_by_secret_reference() -> None:
    confs = secret_confs()
    assert [c for c in confs if c != "--conf"] == [
        f"spark.kubernetes.{role}.secretKeyRef.{env}={SECRET}:{key}"
        for role in ("driver", "executor") for env, key in CREDENTIALS.items()]
    manifest = secret_manifest("analytics", {"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "s"})
    assert manifest["metadata"] == {"name": SECRET, "namespace": "analytics"}
    assert manifest["stringData"] == {"access-key": "a", "secret-key": "s"}


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
    from lab.probes.upload import probe_upload

    netns = f"som-s3probe-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", netns], check=True, timeout=30)
    try:
        subprocess.run(["ip", "netns", "exec", netns, "ip", "link", "set", "lo", "up"], check=True, timeout=30)
        probe = probe_upload(netns, spark_submit_client(), gofakes3_binary(), _app_jar(tmp_path), "LocalApp")
    finally:
        subprocess.run(["ip", "netns", "del", netns], check=False, timeout=30)
    print(f"\nupload probe: spark-submit exit {probe.returncode} after {probe.seconds:.1f}s")
    assert "Uploading file: " in probe.log and "my-app.jar" in probe.log, probe.log[-3000:]
    assert "/my-app.jar</Key>" in probe.listing and "<Size>" in probe.listing, probe.listing
    # then, as expected without an API server, the submission itself is refused
    assert probe.returncode != 0 and "Connection refused" in probe.log
