"""The CI/CD workflows: valid for GitHub, doing what the README's Delivery section promises, safe for forks.

Structure is checked on the parsed YAML; the shell the workflows run lives in
.github/workflows/scripts and is run here against stand-in `pulumi`, `gh` and `python`
commands, so its behaviour (fork skip, secret handling, comment upsert, render diff) is
tested, not just its text.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
SCRIPTS = WORKFLOWS / "scripts"
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))
STACKS = ["dev", "prod"]


def load(name: str) -> dict[str, Any]:
    """A workflow as data; YAML 1.1 reads the key `on` as True, put it back."""
    workflow = yaml.safe_load((WORKFLOWS / name).read_text())
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    return workflow


def steps_of(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps", [])


def step_using(job: dict[str, Any], action: str, **with_: str) -> dict[str, Any]:
    """The step of ``job`` that uses ``action`` (and has those inputs)."""
    for step in steps_of(job):
        if step.get("uses", "").startswith(action) and all(step.get("with", {}).get(k) == v for k, v in with_.items()):
            return step
    raise AssertionError(f"no step uses {action} with {with_}")


def step_running(job: dict[str, Any], text: str) -> dict[str, Any]:
    for step in steps_of(job):
        if text in step.get("run", ""):
            return step
    raise AssertionError(f"no step runs {text!r}")


def run_blocks() -> Iterator[tuple[str, str]]:
    """(where, script) of every `run:` in every workflow."""
    for path in WORKFLOW_FILES:
        for job_id, job in load(path.name)["jobs"].items():
            for index, step in enumerate(steps_of(job)):
                if "run" in step:
                    yield f"{path.name}:{job_id}:{step.get('name', index)}", step["run"]


# --- GitHub's schema, pinning, hygiene ------------------------------------------------------


def test_workflows_exist() -> None:
    assert {p.name for p in WORKFLOW_FILES} >= {"pull-request.yml", "deploy.yml", "pulumi-stack.yml"}


def test_every_workflow_matches_githubs_schema() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOW_FILES)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_actions_are_pinned_at_least_to_a_major_version() -> None:
    uses = [
        step.get("uses") or job.get("uses")
        for path in WORKFLOW_FILES
        for job in load(path.name)["jobs"].values()
        for step in [*steps_of(job), {}]
    ]
    external = [u for u in uses if u and not u.startswith("./")]
    assert external and all(re.search(r"@(v\d+(\.\d+)*|[0-9a-f]{40})$", u) for u in external), external


def test_run_blocks_take_no_expressions() -> None:
    """Values reach shell through env: an expression in a script is a script-injection hole."""
    assert [where for where, script in run_blocks() if "${{" in script] == []


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed (scripts/setup.sh)")
def test_shell_passes_shellcheck(tmp_path: Path) -> None:
    files = sorted(SCRIPTS.glob("*.sh"))
    for index, (where, script) in enumerate(run_blocks()):
        block = tmp_path / f"run-{index}.sh"
        block.write_text(f"# {where}\n{script}")
        files.append(block)
    result = subprocess.run(["shellcheck", "-s", "bash", *map(str, files)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_python_is_311_with_a_pip_cache() -> None:
    setups = [
        step
        for path in WORKFLOW_FILES
        for job in load(path.name)["jobs"].values()
        for step in steps_of(job)
        if step.get("uses", "").startswith("actions/setup-python@")
    ]
    assert len(setups) >= 3
    assert all(s["with"]["python-version"] == "3.11" and s["with"]["cache"] == "pip" for s in setups)


def test_state_never_goes_to_a_local_file_backend() -> None:
    texts = [p.read_text() for p in [*WORKFLOW_FILES, SCRIPTS / "configure-stack.sh"]]
    assert not any(re.search(r"login\s+--local|file://", text) for text in texts)


# --- pull requests ----------------------------------------------------------------------------


def test_pull_request_runs_the_readme_test_command_as_root() -> None:
    test = load("pull-request.yml")["jobs"]["test"]
    assert re.fullmatch(r"sudo env .* bash \.ci/run", step_running(test, ".ci/run")["run"].strip())
    assert steps_of(test)[0]["uses"].startswith("actions/checkout@")


def test_pull_request_renders_each_stack_on_head_and_base() -> None:
    job = load("pull-request.yml")["jobs"]["render-diff"]
    assert job["strategy"]["matrix"]["stack"] == STACKS
    base = step_using(job, "actions/checkout@", path="base")
    assert base["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"
    step_using(job, "actions/checkout@", path="head")
    assert "render-diff.sh" in step_running(job, "render-diff.sh")["run"]
    assert "render_diff_comment.py" in step_running(job, "render_diff_comment.py")["run"]
    assert step_using(job, "actions/upload-artifact@")["with"]["name"] == "render-diff-${{ matrix.stack }}"
    comment = step_running(job, "upsert-comment.sh")
    assert comment["if"] == "github.event.pull_request.head.repo.full_name == github.repository"


def test_fork_render_diffs_are_relayed_without_running_fork_code() -> None:
    relay = load("render-diff-comment.yml")
    assert relay["on"]["workflow_run"]["workflows"] == [load("pull-request.yml")["name"]]
    job = relay["jobs"]["comment"]
    assert "head_repository.full_name != github.repository" in job["if"]
    assert "ref" not in step_using(job, "actions/checkout@").get("with", {})  # the default branch, not the fork
    assert "relay-render-diff.sh" in step_running(job, "relay-render-diff.sh")["run"]


def test_pull_request_previews_each_stack_with_the_policy_pack_and_comments() -> None:
    preview = load("pull-request.yml")["jobs"]["preview"]
    assert preview["uses"] == "./.github/workflows/pulumi-stack.yml"
    assert [entry["stack"] for entry in preview["strategy"]["matrix"]["include"]] == STACKS
    assert preview["with"]["command"] == "preview" and preview["permissions"]["pull-requests"] == "write"
    pulumi = step_using(load("pulumi-stack.yml")["jobs"]["pulumi"], "pulumi/actions@v6", policyPacks="policy")
    assert pulumi["with"]["command"] == "${{ inputs.command }}"
    assert pulumi["with"]["comment-on-pr"] == "${{ inputs.command == 'preview' }}"
    assert pulumi["with"]["stack-name"] == "${{ vars.PULUMI_ORG }}/spark-on-metal/${{ inputs.stack }}"
    assert pulumi["with"]["cloud-url"] == "${{ vars.PULUMI_BACKEND_URL }}"


def test_fork_paths_use_no_secrets() -> None:
    """test and render-diff never see secrets; the Pulumi job checks access before any use."""
    jobs = load("pull-request.yml")["jobs"]
    for job_id in ("test", "render-diff"):
        assert "secrets." not in yaml.safe_dump(jobs[job_id]), job_id
    steps = steps_of(load("pulumi-stack.yml")["jobs"]["pulumi"])
    check = next(i for i, s in enumerate(steps) if s.get("id") == "access")
    assert "github.event.pull_request.head.repo.full_name != github.repository" in steps[check]["env"]["IS_FORK"]
    for step in steps[check + 1 :]:
        assert step["if"] == "steps.access.outputs.ready == 'true'", step
    assert not any("secrets[" in str(v) and "!=" not in str(v) for s in steps[: check + 1] for v in s.get("env", {}).values())


# --- deployment ------------------------------------------------------------------------------


def test_deploy_runs_on_main_and_by_hand_with_minimal_permissions() -> None:
    deploy = load("deploy.yml")
    assert deploy["on"]["push"]["branches"] == ["main"] and "workflow_dispatch" in deploy["on"]
    assert deploy["permissions"] == {"contents": "read"}


def test_deploy_ups_dev_then_prod_behind_the_prod_environment() -> None:
    jobs = load("deploy.yml")["jobs"]
    dev, prod = jobs["up-dev"], jobs["up-prod"]
    for job, stack in ((dev, "dev"), (prod, "prod")):
        assert job["uses"] == "./.github/workflows/pulumi-stack.yml" and job["secrets"] == "inherit"
        assert job["with"]["command"] == "up" and job["with"]["stack"] == stack
        assert yaml.safe_load(job["with"]["runner"]) == ["self-hosted", "spark-on-metal", stack]
        assert job["concurrency"]["cancel-in-progress"] is False and stack in job["concurrency"]["group"]
    assert prod["needs"] == "up-dev" and prod["with"]["environment"] == "prod"
    assert dev["concurrency"]["group"] != prod["concurrency"]["group"]
    reusable = load("pulumi-stack.yml")["jobs"]["pulumi"]
    assert reusable["environment"] == "${{ inputs.environment }}"
    assert reusable["runs-on"] == "${{ fromJSON(inputs.runner) }}"


def test_previews_never_queue_behind_or_cancel_deployments() -> None:
    """GitHub keeps one waiting run per concurrency group: a preview there could cancel an up."""
    deploy_groups = {job["concurrency"]["group"] for job in load("deploy.yml")["jobs"].values()}
    pull_request = load("pull-request.yml")
    assert pull_request["concurrency"]["group"] not in deploy_groups
    assert "concurrency" not in load("pulumi-stack.yml")["jobs"]["pulumi"]


# --- the scripts, run --------------------------------------------------------------------------


def stand_in(bin_dir: Path, name: str, body: str) -> None:
    """An executable ``name`` on a test PATH that logs its arguments and stdin."""
    path = bin_dir / name
    path.write_text("#!/usr/bin/env bash\n" + textwrap.dedent(body))
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def run_script(script: str, *args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {"PATH": f"{cwd / 'bin'}:{os.environ['PATH']}", "HOME": str(cwd)}
    return subprocess.run(
        ["bash", str(SCRIPTS / script), *args], env=base | env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def access_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    (tmp_path / "bin").mkdir(exist_ok=True)
    env = {
        "COMMAND": "preview",
        "STACK": "dev",
        "IS_FORK": "false",
        "HAS_ACCESS_TOKEN": "true",
        "HAS_SSH_KEY": "true",
        "SSH_KEY_SECRET": "SSH_PRIVATE_KEY_DEV",
        "PULUMI_ORG": "acme",
        "PULUMI_BACKEND_URL": "",
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
    }
    return env | overrides


@pytest.mark.parametrize(
    ("overrides", "rc", "ready", "says"),
    [
        ({}, 0, "true", None),
        ({"PULUMI_BACKEND_URL": "s3://state-bucket", "HAS_ACCESS_TOKEN": "false"}, 0, "true", None),
        ({"IS_FORK": "true", "HAS_ACCESS_TOKEN": "false", "HAS_SSH_KEY": "false"}, 0, "false", "comes from a fork"),
        ({"HAS_ACCESS_TOKEN": "false"}, 0, "false", "PULUMI_ACCESS_TOKEN is not available"),
        ({"COMMAND": "up", "HAS_SSH_KEY": "false"}, 1, None, "SSH_PRIVATE_KEY_DEV"),
        ({"PULUMI_BACKEND_URL": "file://~/state"}, 1, None, "local file backend"),
        ({"PULUMI_BACKEND_URL": "/var/pulumi"}, 1, None, "local file backend"),
        ({"PULUMI_ORG": ""}, 1, None, "PULUMI_ORG is not set"),
    ],
)
def test_access_check(tmp_path: Path, overrides: dict[str, str], rc: int, ready: str | None, says: str | None) -> None:
    result = run_script("check-access.sh", env=access_env(tmp_path, **overrides), cwd=tmp_path)
    assert result.returncode == rc, result.stdout + result.stderr
    output = (tmp_path / "output").read_text() if (tmp_path / "output").exists() else ""
    assert (f"ready={ready}" in output) if ready else "ready=true" not in output
    if says:
        assert says in (tmp_path / "summary").read_text() and says in result.stdout


def test_ssh_key_reaches_pulumi_on_stdin_only(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    stand_in(tmp_path / "bin", "pulumi", 'echo "$*" >>"$HOME/argv"; [ "$1" != config ] || cat >"$HOME/stdin"\n')
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----"
    env = {"STACK_NAME": "acme/spark-on-metal/dev", "SSH_PRIVATE_KEY": key, "PULUMI_BACKEND_URL": ""}
    result = run_script("configure-stack.sh", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "argv").read_text().splitlines() == [
        "login",
        "stack select --create acme/spark-on-metal/dev",
        "config set --secret sshPrivateKey --stack acme/spark-on-metal/dev",
    ]
    assert (tmp_path / "stdin").read_text() == key + "\n"
    assert "PRIVATE KEY" not in result.stdout + result.stderr


GH_STAND_IN = """\
echo "$*" >>"$HOME/gh.log"
case "$*" in
  *"/comments --jq"*) [ -f "$HOME/existing" ] && cat "$HOME/existing" ;;
  *"pulls/"*) cat "$HOME/head" ;;
  *"body=@"*) all="$*"; cp "${all##*body=@}" "$HOME/posted" ;;
esac
exit 0
"""


@pytest.mark.parametrize(("existing", "verb"), [(None, "--method POST repos/o/r/issues/7/comments"), ("42", "--method PATCH repos/o/r/issues/comments/42")])
def test_comment_is_created_once_then_updated(tmp_path: Path, existing: str | None, verb: str) -> None:
    (tmp_path / "bin").mkdir()
    stand_in(tmp_path / "bin", "gh", GH_STAND_IN)
    if existing:
        (tmp_path / "existing").write_text(existing + "\n")
    (tmp_path / "comment.md").write_text("### diff\n")
    env = {"GH_TOKEN": "t", "GITHUB_REPOSITORY": "o/r"}
    result = run_script("upsert-comment.sh", "7", "dev", str(tmp_path / "comment.md"), env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert verb in (tmp_path / "gh.log").read_text()
    assert (tmp_path / "posted").read_text() == "<!-- spark-on-metal:render-diff:dev -->\n### diff\n"


@pytest.mark.parametrize(("pr", "stack"), [("7; rm -rf /", "dev"), ("7", "dev\"); evil"), ("", "dev")])
def test_comment_refuses_untrusted_names(tmp_path: Path, pr: str, stack: str) -> None:
    (tmp_path / "bin").mkdir()
    stand_in(tmp_path / "bin", "gh", GH_STAND_IN)
    result = run_script("upsert-comment.sh", pr, stack, "/dev/null", env={"GITHUB_REPOSITORY": "o/r"}, cwd=tmp_path)
    assert result.returncode == 1 and not (tmp_path / "gh.log").exists()


@pytest.mark.parametrize(("pr_head", "posted"), [("abc123", True), ("def456", False)])
def test_relay_posts_only_for_the_commit_that_made_the_artifacts(tmp_path: Path, pr_head: str, posted: bool) -> None:
    (tmp_path / "bin").mkdir()
    stand_in(tmp_path / "bin", "gh", GH_STAND_IN)
    (tmp_path / "head").write_text(pr_head + "\n")
    artifact = tmp_path / "artifacts" / "render-diff-prod"
    artifact.mkdir(parents=True)
    for name, text in {"pr-number": "7\n", "stack": "prod\n", "comment.md": "### prod\n"}.items():
        (artifact / name).write_text(text)
    env = {"GH_TOKEN": "t", "GITHUB_REPOSITORY": "o/r"}
    result = run_script("relay-render-diff.sh", str(tmp_path / "artifacts"), "abc123", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "posted").exists() is posted


PYTHON_STAND_IN = f"""\
# `python -m venv DIR` makes DIR/bin/python, whose `-m pip` does nothing: no network, no wait.
if [ "$1 $2" = "-m venv" ]; then
  mkdir -p "$3/bin"
  printf '#!/usr/bin/env bash\\n[ "$1 $2" = "-m pip" ] && exit 0\\nexec {sys.executable} "$@"\\n' >"$3/bin/python"
  chmod +x "$3/bin/python"
else
  exec {sys.executable} "$@"
fi
"""

RENDER = """\
import argparse, pathlib
parser = argparse.ArgumentParser()
parser.add_argument("command"); parser.add_argument("--stack"); parser.add_argument("--out", type=pathlib.Path)
args = parser.parse_args()
(args.out / "nodes" / "cp1").mkdir(parents=True)
(args.out / "nodes" / "cp1" / "kubelet.conf").write_text("version: {version}\\nstack: " + args.stack + "\\n")
(args.out / "network.md").write_text("# network\\n")
"""


def checkout(path: Path, version: str | None) -> Path:
    """A stand-in checkout whose `python -m components render` writes two files."""
    (path / "components").mkdir(parents=True)
    (path / "requirements.txt").write_text("pyyaml\n")
    if version is not None:
        (path / "components" / "__main__.py").write_text(RENDER.format(version=version))
    return path


@pytest.mark.parametrize(("base_version", "status", "changed"), [("1.30", "ok", 1), ("1.31", "ok", 0), (None, "failed", 2)])
def test_render_diff_compares_base_and_head(tmp_path: Path, base_version: str | None, status: str, changed: int) -> None:
    (tmp_path / "bin").mkdir()
    stand_in(tmp_path / "bin", "python", PYTHON_STAND_IN)
    base, head = checkout(tmp_path / "base", base_version), checkout(tmp_path / "head", "1.31")
    result = run_script("render-diff.sh", "dev", str(base), str(head), str(tmp_path / "out"), env={}, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "out" / "base-status").read_text().strip() == status
    diff = (tmp_path / "out" / "render.diff").read_text()
    assert diff.count("\ndiff -ruN ") + diff.startswith("diff -ruN ") == changed
    if changed:
        assert "+version: 1.31" in diff


def test_render_diff_fails_when_the_head_does_not_render(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    stand_in(tmp_path / "bin", "python", PYTHON_STAND_IN)
    base, head = checkout(tmp_path / "base", "1.30"), checkout(tmp_path / "head", None)
    result = run_script("render-diff.sh", "dev", str(base), str(head), str(tmp_path / "out"), env={}, cwd=tmp_path)
    assert result.returncode != 0


# --- the comment ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def comment() -> ModuleType:
    spec = importlib.util.spec_from_file_location("render_diff_comment", SCRIPTS / "render_diff_comment.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def file_diff(path: str, lines: int, text: str = "x") -> str:
    body = "".join(f"+{text} {i}\n" for i in range(lines))
    return f"diff -ruN base/{path} head/{path}\n--- base/{path}\n+++ head/{path}\n@@ -0,0 +1,{lines} @@\n{body}"


def test_comment_for_no_change(comment: ModuleType) -> None:
    text = comment.render_comment("dev", "", base_ok=True)
    assert "No change" in text and "```" not in text


def test_comment_lists_files_and_shows_the_diff(comment: ModuleType) -> None:
    diff = file_diff("nodes/cp1/kubeadm.yaml", 3) + file_diff("manifests/tenants.yaml", 2)
    text = comment.render_comment("prod", diff, base_ok=False, details_url="https://x/run/1")
    assert "stack `prod`" in text and "could not be rendered" in text
    assert "| `nodes/cp1/kubeadm.yaml` | +3 | -0 |" in text and "| `manifests/tenants.yaml` | +2 | -0 |" in text
    assert "```diff\n" + diff + "```" in text and "Shown in full" not in text


def test_comment_fence_outlasts_backticks_in_the_diff(comment: ModuleType) -> None:
    text = comment.render_comment("dev", file_diff("README.md", 1, "````code"), base_ok=True)
    assert "`````diff\n" in text and text.rstrip().endswith("</details>")


def test_huge_diffs_fit_in_a_comment(comment: ModuleType) -> None:
    diff = "".join(file_diff(f"nodes/n{i}/script.sh", 400, "y" * 60) for i in range(20))
    text = comment.render_comment("dev", diff, base_ok=True, details_url="https://x/run/1")
    assert len(text) < comment.COMMENT_LIMIT - 1_000
    assert "| `nodes/n19/script.sh` | +400 | -0 |" in text  # every file is listed
    assert re.search(r"Shown in full: \d+ of 20 files; the comment size limit cut the rest", text)


def test_a_single_huge_file_shows_its_first_lines(comment: ModuleType) -> None:
    text = comment.render_comment("dev", file_diff("big.yaml", 5_000, "z" * 40), base_ok=True)
    assert len(text) < comment.COMMENT_LIMIT and "+z" in text
    assert "Shown in full: 0 of 1 files (and the first lines of `big.yaml`)" in text


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3_000), st.integers(1, 200)), min_size=1, max_size=60))
def test_any_diff_fits_and_lists_every_file(comment: ModuleType, sizes: list[tuple[int, int]]) -> None:
    diff = "".join(file_diff(f"f{i}.txt", lines, "w" * width) for i, (lines, width) in enumerate(sizes))
    text = comment.render_comment("dev", diff, base_ok=True, details_url="https://x/run/1")
    assert len(text) < comment.COMMENT_LIMIT
    assert all(f"| `f{i}.txt` | +{lines} | -0 |" in text for i, (lines, _) in enumerate(sizes))
