"""The helper warns when the client's Spark line is not the tenant's image's (issue 12)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from components import spark_submit
from components.outputs import contract
from components.spark_versions import client_version, image_release, jar_version, mismatch_warning
from components.stack import load_stack_file

PROD_IMAGE = "registry.aliyuncs.com/spark-on-metal/spark:3.5.3"  # Pulumi.prod.yaml's spark.image


@pytest.mark.parametrize(("image", "release"), [
    ("registry.lab.internal:5000/spark:4.3.0", (4, 3)),
    ("spark:v3.5.3", (3, 5)),
    ("example.com/spark:4.3.0-java17", (4, 3)),
    ("example.com:5000/team/spark:3.5", (3, 5)),
    ("example.com:5000/spark", None),              # the port is not a tag
    ("spark:latest", None),
    ("spark@sha256:" + "a" * 64, None),
    ("spark:4.3.0@sha256:" + "a" * 64, (4, 3)),
])
def test_the_release_is_read_from_the_tag_only(image: str, release: tuple[int, int] | None) -> None:
    assert image_release(image) == release


def test_the_client_version_is_its_spark_core_jar() -> None:
    assert jar_version(["scala-library-2.13.16.jar", "spark-core_2.13-4.3.0.jar", "spark-sql_2.13-4.3.0.jar"]) == "4.3.0"
    assert jar_version(["spark-sql_2.13-4.3.0.jar"]) is None
    assert jar_version(["spark-core_2.12-3.5.3.jar", "spark-core_2.13-4.3.0.jar"]) is None  # two Sparks: cannot tell


@pytest.mark.parametrize(("client", "image", "warns"), [
    ("4.3.0", "r/spark:4.3.1", False),    # a patch apart: fine
    ("4.3.0", "r/spark:4.2.0", True),
    ("3.5.3", "r/spark:4.3.0", True),
    ("4.3.0", "r/spark:3.5.3", True),
    (None, "r/spark:4.3.0", False),       # the client's version unknown: silence, not a guess
    ("4.3.0", "r/spark:latest", False),
])
def test_only_another_release_line_warns(client: str | None, image: str, warns: bool) -> None:
    warning = mismatch_warning(client, image)
    assert (warning is not None) == warns
    if warning:
        assert f"Spark {client}" in warning and image in warning and "pip install 'pyspark==" in warning


def pyspark_venv(root: Path, version: str) -> Path:
    """A pip-installed pyspark's layout: bin/spark-submit, jars in site-packages."""
    jars = root / "lib" / "python3.11" / "site-packages" / "pyspark" / "jars"
    jars.mkdir(parents=True)
    (jars / f"spark-core_2.13-{version}.jar").write_bytes(b"")
    executable = root / "bin" / "spark-submit"
    executable.parent.mkdir()
    executable.write_text("#!/bin/sh\n")
    executable.chmod(0o755)
    return executable


def test_the_client_is_found_from_spark_home_or_beside_the_executable(tmp_path: Path) -> None:
    executable = pyspark_venv(tmp_path / "venv", "3.5.3")
    assert client_version(str(executable), {"PATH": ""}) == "3.5.3"
    assert client_version("spark-submit", {"PATH": str(executable.parent)}) == "3.5.3"
    home = tmp_path / "spark-4.3.0-bin"
    (home / "jars").mkdir(parents=True)
    (home / "jars" / "spark-core_2.13-4.3.0.jar").write_bytes(b"")
    assert client_version(str(executable), {"PATH": "", "SPARK_HOME": str(home)}) == "4.3.0"
    assert client_version("spark-submit", {"PATH": str(tmp_path / "nowhere")}) is None


def test_a_client_of_another_line_is_warned_on_stderr_and_still_gets_its_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({**contract(load_stack_file("prod")), "kubeconfig": "[secret]"}))
    monkeypatch.delenv("SPARK_HOME", raising=False)
    argv = ["--tenant", "spark", "--outputs", str(outputs), "--template-dir", str(tmp_path / "t"), "--spark-submit"]
    for version, warned in (("4.3.0", True), ("3.5.1", False)):
        executable = pyspark_venv(tmp_path / version, version)
        assert spark_submit.main([*argv, str(executable), "--", "local:///x.jar"]) == 0
        captured = capsys.readouterr()
        assert captured.out.splitlines()[-1].startswith(str(executable) + " --master ")
        assert ("warning: the client is Spark 4.3.0" in captured.err) == warned
        assert (PROD_IMAGE in captured.err) == warned
    assert os.environ.get("SPARK_HOME") is None
