"""``python -m components spark-submit``: the reference's command line, from the stack outputs."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from components import spark_submit
from components.outputs import contract
from components.stack import load_stack_file

API = "https://k8s-api.hadooptest.internal:6443"
IMAGE = "registry.aliyuncs.com/spark-on-metal/spark:3.5.3"
JOB = ["--class", "org.apache.spark.examples.SparkPi", "local:///opt/spark/examples/jars/spark-examples.jar", "1000"]


@pytest.fixture
def outputs_file(tmp_path: Path) -> Path:
    """What `pulumi stack output --json -s prod` prints (the secret masked)."""
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({**contract(load_stack_file("prod")), "kubeconfig": "[secret]"}))
    return path


def command_of(script: str, templates: str = "/T") -> list[str]:
    """The spark-submit argv the printed script runs (its last line), its temporary
    template directory read as ``templates``."""
    return shlex.split(script.strip().splitlines()[-1].replace('"$templates"', templates))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = spark_submit.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_prod_line_contains_the_reference_confs(outputs_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--stack", "prod", "--tenant", "spark", "--outputs", str(outputs_file), "--template-dir", str(tmp_path / "t"), "--", *JOB)
    assert code == 0
    line = out.strip().splitlines()[-1]
    reference = (
        f"spark-submit --master k8s://{API} --deploy-mode cluster "
        "--conf spark.kubernetes.namespace=spark "
        "--conf spark.kubernetes.authenticate.driver.serviceAccountName=spark "
        f"--conf spark.kubernetes.container.image={IMAGE} "
    )
    assert line.startswith(reference)
    argv = command_of(out)
    assert argv[-len(JOB):] == JOB
    assert "spark.kubernetes.driver.podTemplateFile=/T/driver-pod-template.yaml" in argv
    assert "spark.kubernetes.node.selector.spark=spark" in argv
    assert not any(arg.startswith("spark.master=") for arg in argv)


def test_with_exec_the_templates_are_written_where_the_command_points(outputs_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = tmp_path / "templates"
    calls: list[list[str]] = []
    monkeypatch.setattr(spark_submit.os, "execvp", lambda file, args: calls.append(args))
    assert spark_submit.main(["--tenant", "spark", "--outputs", str(outputs_file), "--template-dir", str(directory), "--exec"]) == 0
    [args] = calls
    for role in ("driver", "executor"):
        path = directory / f"{role}-pod-template.yaml"
        assert f"spark.kubernetes.{role}.podTemplateFile={path}" in args
        pod = yaml.safe_load(path.read_text())
        assert pod["spec"]["priorityClassName"] == f"spark-on-metal-{role}"


def test_the_printed_script_runs_on_another_machine_with_the_templates_inside(
    outputs_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Copied elsewhere (another directory and HOME, nothing of this checkout), the script
    hands spark-submit template files holding exactly the tenant's templates."""
    code, out, _ = run(capsys, "--tenant", "spark", "--outputs", str(outputs_file), "--template-dir", str(tmp_path / "local"), "--", *JOB)
    assert code == 0 and not (tmp_path / "local").exists()  # printing writes nothing here
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "bin").mkdir(parents=True)
    fake = elsewhere / "bin" / "spark-submit"
    fake.write_text('#!/bin/sh\nfor arg in "$@"; do case "$arg" in *podTemplateFile=*) cat "${arg#*=}"; dirname "${arg#*=}" > "$HOME/dir";; esac; done\nprintf \'%s\\n\' "$@" > "$HOME/argv"\n')
    fake.chmod(0o755)
    (elsewhere / "submit.sh").write_text(out)
    env = {"PATH": f"{elsewhere / 'bin'}:/usr/bin:/bin", "HOME": str(elsewhere)}
    done = subprocess.run(["sh", "submit.sh"], cwd=elsewhere, env=env, capture_output=True, text=True, check=True)
    templates = json.loads(outputs_file.read_text())["tenants"]["spark"]["podTemplates"]
    assert done.stdout == templates["driver"] + templates["executor"]
    assert (elsewhere / "argv").read_text().splitlines()[-len(JOB):] == JOB
    assert not Path((elsewhere / "dir").read_text().strip()).exists()  # the script removed its temporary templates


def test_exec_replaces_the_process_without_a_shell(outputs_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(spark_submit.os, "execvp", lambda file, args: calls.append((file, args)))
    argv = ["--tenant", "spark", "--outputs", str(outputs_file), "--template-dir", str(tmp_path), "--exec", "--spark-submit", "/opt/spark/bin/spark-submit", "--", "--conf", "a=b c"]
    spark_submit.main(argv)
    [(file, args)] = calls
    assert file == "/opt/spark/bin/spark-submit" == args[0]
    assert args[-2:] == ["--conf", "a=b c"]


def test_printing_is_quote_safe(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = contract(load_stack_file("prod"))
    outputs["tenants"]["spark"]["sparkConf"]["spark.driver.extraJavaOptions"] = "-Dx='y z' $HOME"
    path = tmp_path / "o.json"
    path.write_text(json.dumps(outputs))
    code, out, _ = run(capsys, "--tenant", "spark", "--outputs", str(path), "--template-dir", str(tmp_path))
    assert code == 0
    assert "spark.driver.extraJavaOptions=-Dx='y z' $HOME" in command_of(out)


def test_reads_the_pulumi_cli_when_no_file_is_given(outputs_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []

    class Done:
        returncode, stdout, stderr = 0, outputs_file.read_text(), ""

    monkeypatch.setattr(spark_submit.shutil, "which", lambda name: "/usr/bin/pulumi")
    def run(args: list[str], **options: Any) -> Done:
        seen.append(args)
        return Done()

    monkeypatch.setattr(spark_submit.subprocess, "run", run)
    outputs = spark_submit.read_outputs("prod", None)
    assert seen == [["/usr/bin/pulumi", "stack", "output", "--json", "-s", "prod"]]
    assert outputs["sparkMaster"] == f"k8s://{API}"


@pytest.mark.parametrize(
    ("change", "argv", "message"),
    [
        (None, ["--tenant", "nobody"], "no tenant 'nobody'; tenants: spark"),
        ({"contractVersion": 2}, ["--tenant", "spark"], "contractVersion 2"),
        (None, ["--stack", "prod", "--tenant", "spark", "--no-file"], "pulumi CLI is not on PATH"),
    ],
)
def test_errors_say_what_to_do(change: dict[str, Any] | None, argv: list[str], message: str, outputs_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    if change:
        outputs_file.write_text(json.dumps({**json.loads(outputs_file.read_text()), **change}))
    monkeypatch.setattr(spark_submit.shutil, "which", lambda name: None)
    if "--no-file" in argv:
        argv = [arg for arg in argv if arg != "--no-file"]
    else:
        argv = [*argv, "--outputs", str(outputs_file)]
    code, out, err = run(capsys, *argv, "--template-dir", str(tmp_path))
    assert code == 2 and out == ""
    assert message in err


def test_wired_as_a_subcommand_of_the_cli(outputs_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from components import __main__ as cli

    code = cli.main(["spark-submit", "--tenant", "spark", "--outputs", str(outputs_file), "--template-dir", str(tmp_path), "--", "local:///x.jar"])
    assert code == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith(f"spark-submit --master k8s://{API} --deploy-mode cluster ")


# ---------------------------------------------------------------------------- uploads


def with_upload_path(outputs_file: Path, path: str = "s3a://spark-uploads/jobs") -> Path:
    outputs = json.loads(outputs_file.read_text())
    outputs["tenants"]["spark"]["sparkConf"]["spark.kubernetes.file.upload.path"] = path
    outputs_file.write_text(json.dumps(outputs))
    return outputs_file


@pytest.mark.parametrize(
    ("job", "named"),
    [
        (["--class", "Main", "target/app.jar"], "target/app.jar"),
        (["--conf", "spark.executor.memory=4g", "file:///home/me/app.py", "--input", "x"], "file:///home/me/app.py"),
        (["--jars", "local:///opt/spark/jars/a.jar,libs/b.jar", "local:///opt/app.jar"], "libs/b.jar"),
        (["--verbose", "--files=conf/app.conf", "s3a://bucket/app.jar"], "conf/app.conf"),
    ],
)
def test_a_local_file_without_an_upload_path_is_refused_before_spark_starts(
    job: list[str], named: str, outputs_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[Any] = []
    monkeypatch.setattr(spark_submit.os, "execvp", lambda *args: calls.append(args))
    code, out, err = run(capsys, "--tenant", "spark", "--outputs", str(outputs_file), "--template-dir", str(tmp_path), "--exec", "--", *job)
    assert code == 2 and out == "" and calls == []
    assert f"{named} is a local file, and the stack has no upload path" in err
    assert "spark.uploadPath" in err and err.count("\n") == 1  # one message, no traceback


@pytest.mark.parametrize(
    "job",
    [
        JOB,
        ["--class", "Main", "s3a://bucket/app.jar"],
        ["--class", "Main", "https://repo.example/app.jar", "arg.txt"],  # application arguments are not files
        ["--kill", "spark:spark-pi-*"],
    ],
)
def test_applications_spark_need_not_upload_pass(job: list[str], outputs_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--tenant", "spark", "--outputs", str(outputs_file), "--template-dir", str(tmp_path), "--", *job)
    assert code == 0 and command_of(out)[-len(job):] == job


def test_a_local_file_goes_through_the_stacks_upload_path(outputs_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with_upload_path(outputs_file)
    code, out, _ = run(capsys, "--tenant", "spark", "--outputs", str(outputs_file), "--template-dir", str(tmp_path), "--", "--class", "Main", "app.jar")
    assert code == 0
    assert "spark.kubernetes.file.upload.path=s3a://spark-uploads/jobs" in command_of(out)


def test_a_users_own_upload_path_is_honoured(outputs_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job = ["--conf", "spark.kubernetes.file.upload.path=hdfs://nn:8020/up", "app.py"]
    code, out, _ = run(capsys, "--tenant", "spark", "--outputs", str(outputs_file), "--template-dir", str(tmp_path), "--", *job)
    assert code == 0 and command_of(out)[-len(job):] == job


def test_the_deploy_mode_comes_from_the_outputs_once(outputs_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--tenant", "spark", "--outputs", str(outputs_file), "--template-dir", str(tmp_path), "--", *JOB)
    argv = command_of(out)
    assert code == 0 and argv[3:5] == ["--deploy-mode", "cluster"]
    assert not any(arg.startswith("spark.submit.deployMode=") for arg in argv)
    assert "spark.kubernetes.authenticate.executor.serviceAccountName=spark-executor" in argv


# ---------------------------------------------------------------------------- tenant credentials

TENANT_KUBECONFIG = "apiVersion: v1\nkind: Config\nusers:\n- name: spark-submitter\n  user:\n    token: s3cr3t-token\n"


def with_kubeconfig(outputs_file: Path, value: str) -> Path:
    outputs_file.write_text(json.dumps({**json.loads(outputs_file.read_text()), "kubeconfig-spark": value}))
    return outputs_file


def test_tenant_kubeconfig_is_written_private_and_passed_in_the_environment(
    outputs_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_kubeconfig(outputs_file, TENANT_KUBECONFIG)
    calls: list[tuple[str, list[str], str | None]] = []
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setattr(spark_submit.os, "execvp", lambda file, args: calls.append((file, args, spark_submit.os.environ.get("KUBECONFIG"))))
    argv = ["--tenant", "spark", "--outputs", str(outputs_file), "--template-dir", str(tmp_path), "--tenant-kubeconfig", "--exec", "--", *JOB]
    spark_submit.main(argv)
    [(_, args, kubeconfig)] = calls
    path = tmp_path / "kubeconfig"
    assert kubeconfig == str(path) and path.read_text() == TENANT_KUBECONFIG
    assert path.stat().st_mode & 0o777 == 0o600
    assert not any("s3cr3t" in arg for arg in args)


def test_the_printed_script_asks_for_the_tenant_kubeconfig_and_never_holds_it(outputs_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with_kubeconfig(outputs_file, TENANT_KUBECONFIG)
    code, out, err = run(capsys, "--tenant", "spark", "--outputs", str(outputs_file), "--template-dir", str(tmp_path), "--tenant-kubeconfig", "--", *JOB)
    assert code == 0 and f"KUBECONFIG={tmp_path / 'kubeconfig'}" in err
    assert "s3cr3t" not in out + err
    done = subprocess.run(["sh", "-c", out], env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, check=False)
    assert done.returncode != 0 and "set KUBECONFIG to a 0600 file holding the stack output kubeconfig-spark" in done.stderr


def test_a_masked_kubeconfig_asks_for_show_secrets(outputs_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with_kubeconfig(outputs_file, "[secret]")
    code, _, err = run(capsys, "--tenant", "spark", "--outputs", str(outputs_file), "--template-dir", str(tmp_path), "--tenant-kubeconfig")
    assert code == 2 and "--show-secrets" in err and not (tmp_path / "kubeconfig").exists()


def test_tenant_kubeconfig_is_read_from_its_own_secret_output(outputs_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []

    def run_cli(args: list[str], **options: Any) -> Any:
        seen.append(args)
        stdout = outputs_file.read_text() if "--json" in args else TENANT_KUBECONFIG
        return type("Done", (), {"returncode": 0, "stdout": stdout, "stderr": ""})()

    monkeypatch.setattr(spark_submit.shutil, "which", lambda name: "/usr/bin/pulumi")
    monkeypatch.setattr(spark_submit.subprocess, "run", run_cli)
    assert spark_submit.main(["--stack", "prod", "--tenant", "spark", "--template-dir", str(tmp_path), "--tenant-kubeconfig"]) == 0
    assert seen[1] == ["/usr/bin/pulumi", "stack", "output", "kubeconfig-spark", "--show-secrets", "-s", "prod"]
    assert (tmp_path / "kubeconfig").read_text() == TENANT_KUBECONFIG
