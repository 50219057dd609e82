"""The lab's Spark image without building it: the reference the stack names, the OCI
config, the entrypoint's driver/executor contract (run with a recorder in place of
tini), and which parts of the pyspark distribution land in SPARK_HOME."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from lab.create.stack import site_settings
from lab.images.oci import config_args
from lab.images.spark.build import unpack_distribution
from lab.images.spark.spec import ENTRYPOINT_SOURCE, SPARK_VERSION, SparkImage
from lab.proc import LabError
from lab.services.site import site_for

REPOSITORY = "registry.lab.internal:5000/k8s"


def test_the_image_is_spark_at_the_pyspark_version_in_the_site_repository() -> None:
    image = SparkImage()
    assert image.reference(REPOSITORY + "/") == f"{REPOSITORY}/spark:{SPARK_VERSION}"
    assert image.distribution == f"pyspark=={SPARK_VERSION}"


def test_the_stack_names_the_image_the_mirrors_push() -> None:
    site = site_for("t1234", "10.99.0.0/24", "10.99.0.1", ["10.99.0.11"])
    settings = {s.key: s.value for s in site_settings(site)}
    assert settings["spark-on-metal:spark.image"] == f"{site.image_repository}/spark:{SPARK_VERSION}"


def test_the_config_runs_the_entrypoint_as_uid_185_with_spark_home() -> None:
    args = config_args(SparkImage().oci_config())
    assert "--config.entrypoint=/opt/entrypoint.sh" in args
    assert args[args.index("--config.user") + 1] == "185"
    env = {a.split("=", 1)[1].split("=", 1)[0]: a.split("=", 2)[2] for a in args if a.startswith("--config.env=")}
    assert env["SPARK_HOME"] == "/opt/spark"
    assert env["SPARK_CONF_DIR"] == "/opt/spark/conf"
    assert Path(env["JAVA_HOME"]).name == "java-17-openjdk-amd64"


def test_a_new_version_is_a_new_recipe() -> None:
    assert SparkImage().fingerprint() != SparkImage(version="4.2.1").fingerprint()


EXECUTOR_ENV = {
    "SPARK_DRIVER_URL": "spark://CoarseGrainedScheduler@10.1.0.5:7078",
    "SPARK_EXECUTOR_ID": "2",
    "SPARK_EXECUTOR_CORES": "1",
    "SPARK_EXECUTOR_MEMORY": "1024m",
    "SPARK_APPLICATION_ID": "spark-abc",
    "SPARK_EXECUTOR_POD_IP": "10.1.0.9",
    "SPARK_RESOURCE_PROFILE_ID": "0",
    "SPARK_EXECUTOR_POD_NAME": "pi-exec-2",
}


def entrypoint(tmp_path: Path, args: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run the entrypoint with a tini that records its argv (one per line)."""
    record = tmp_path / "argv"
    record.unlink(missing_ok=True)
    tini = tmp_path / "tini"
    tini.write_text(f'#!/bin/bash\nprintf "%s\\n" "$@" > {record}\n')
    tini.chmod(0o755)
    base = {"PATH": os.environ["PATH"], "TINI": str(tini), "SPARK_HOME": "/opt/spark",
            "SPARK_CONF_DIR": "/opt/spark/conf", "JAVA_HOME": "/usr/lib/jvm/java"}
    done = subprocess.run(["bash", str(ENTRYPOINT_SOURCE), *args], env=base | env, cwd=tmp_path,
                          capture_output=True, text=True)
    return done, record.read_text().splitlines() if record.exists() else []


def test_driver_runs_spark_submit_in_client_mode_bound_to_the_pod_ip(tmp_path: Path) -> None:
    done, argv = entrypoint(tmp_path, ["driver", "--class", "Pi", "local:///app.jar", "10"],
                            {"SPARK_DRIVER_BIND_ADDRESS": "10.1.0.5"})
    assert done.returncode == 0, done.stderr
    assert argv == ["-s", "--", "/opt/spark/bin/spark-submit",
                    "--conf", "spark.driver.bindAddress=10.1.0.5",
                    "--conf", "spark.executorEnv.SPARK_DRIVER_POD_IP=10.1.0.5",
                    "--deploy-mode", "client", "--class", "Pi", "local:///app.jar", "10"]


def test_executor_runs_the_kubernetes_backend_with_the_drivers_settings(tmp_path: Path) -> None:
    options = {f"SPARK_JAVA_OPT_{i}": f"-Dopt{i}=x y" for i in range(12)}
    done, argv = entrypoint(tmp_path, ["executor"], EXECUTOR_ENV | options)
    assert done.returncode == 0, done.stderr
    assert argv[:3] == ["-s", "--", "/usr/lib/jvm/java/bin/java"]
    assert argv[3:15] == [f"-Dopt{i}=x y" for i in range(12)]  # numeric order, spaces kept
    assert argv[15:19] == ["-Xms1024m", "-Xmx1024m", "-cp", f"/opt/spark/conf:/opt/spark/jars/*:{tmp_path}"]
    assert argv[19] == "org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend"
    flags = dict(zip(argv[20::2], argv[21::2]))
    assert flags == {"--driver-url": EXECUTOR_ENV["SPARK_DRIVER_URL"], "--executor-id": "2", "--cores": "1",
                     "--app-id": "spark-abc", "--hostname": "10.1.0.9", "--resourceProfileId": "0",
                     "--podName": "pi-exec-2"}


def test_an_ipv6_executor_address_is_bracketed(tmp_path: Path) -> None:
    done, argv = entrypoint(tmp_path, ["executor"], EXECUTOR_ENV | {"SPARK_EXECUTOR_POD_IP": "fd00::9"})
    assert done.returncode == 0, done.stderr
    assert argv[argv.index("--hostname") + 1] == "[fd00::9]"


@pytest.mark.parametrize("missing", ["SPARK_DRIVER_URL", "SPARK_EXECUTOR_POD_NAME"])
def test_an_executor_without_its_settings_says_which_is_missing(tmp_path: Path, missing: str) -> None:
    env = {k: v for k, v in EXECUTOR_ENV.items() if k != missing}
    done, argv = entrypoint(tmp_path, ["executor"], env)
    assert (done.returncode, argv) == (64, [])
    assert missing in done.stderr


def test_other_commands_pass_through_and_no_command_is_refused(tmp_path: Path) -> None:
    done, argv = entrypoint(tmp_path, ["bash", "-c", "true"], {})
    assert (done.returncode, argv) == (0, ["-s", "--", "bash", "-c", "true"])
    done, argv = entrypoint(tmp_path, [], {})
    assert done.returncode == 64 and argv == []


def sdist(path: Path, names: list[str]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name in names:
            info = tarfile.TarInfo(f"pyspark-{SPARK_VERSION}/{name}")
            data = name.encode()
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_the_distributions_jars_and_scripts_land_in_spark_home(tmp_path: Path) -> None:
    jars = [f"deps/jars/spark-kubernetes_2.13-{SPARK_VERSION}.jar", f"deps/jars/spark-core_2.13-{SPARK_VERSION}.jar"]
    archive = sdist(tmp_path / f"pyspark-{SPARK_VERSION}.tar.gz",
                    [*jars, "deps/bin/spark-submit", "deps/bin/spark-submit.cmd", "deps/examples/pi.py", "setup.py"])
    root = tmp_path / "root"
    unpack_distribution(archive, root)
    found = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert found == ["opt/spark/bin/spark-submit", *sorted(j.replace("deps/", "opt/spark/") for j in jars)]
    assert os.access(root / "opt/spark/bin/spark-submit", os.X_OK)


def test_a_distribution_without_spark_kubernetes_is_refused(tmp_path: Path) -> None:
    archive = sdist(tmp_path / f"pyspark-{SPARK_VERSION}.tar.gz", [f"deps/jars/spark-core_2.13-{SPARK_VERSION}.jar"])
    with pytest.raises(LabError, match="spark-kubernetes"):
        unpack_distribution(archive, tmp_path / "root")


def test_pruning_spares_the_scratch_of_a_build_still_running(tmp_path: Path) -> None:
    """Two bring-ups may build the Spark image at once: neither prunes the other's work."""
    from lab.images.cache import entry, siblings

    found = entry(tmp_path, "images", "spark", SPARK_VERSION, "newkey")
    ended = subprocess.Popen(["true"])
    ended.wait()
    for name in ["newkey", "oldkey", f".newkey.partial-{os.getpid()}", f".newkey.partial-{ended.pid}"]:
        (found.directory.parent / name).mkdir(parents=True)
    pruned = [p.name for p in siblings(found)]
    assert pruned == [f".newkey.partial-{ended.pid}", "oldkey"]
