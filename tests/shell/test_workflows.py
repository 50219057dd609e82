"""The CI/CD workflows: valid for GitHub, doing what the README's Delivery section promises, safe for forks.

Structure is checked on the parsed YAML, and zizmor (a security linter for GitHub Actions,
pinned in requirements-dev.txt) audits the files offline: any finding fails the test run.
The shell the workflows run lives in .github/workflows/scripts and is run here against
stand-in `pulumi`, `gh` and `python` commands, so its behaviour (fork skip, secret handling,
comment upsert, the fork relay's checks of untrusted artifacts, render diff) is tested, not
just its text.
"""

from __future__ import annotations

import importlib.util
import json
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

ROOT = Path(__file__).resolve().parents[2]
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


def uses_lines() -> list[tuple[str, str]]:
    """(file name, text after `uses:`) of every `uses:` line, comments included."""
    return [
        (path.name, match.group(1).strip())
        for path in WORKFLOW_FILES
        for match in re.finditer(r"^\s*(?:- )?uses:\s*(.+)$", path.read_text(), re.MULTILINE)
    ]


def test_actions_are_pinned_by_commit_with_their_tag() -> None:
    """A tag can be moved to other code; a commit cannot. The comment says which release it is."""
    external = [(name, ref) for name, ref in uses_lines() if not ref.startswith("$/")]
    assert external
    unpinned = [(n, r) for n, r in external if not re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+", r)]
    assert unpinned == [], "pin as owner/repo@<full commit> # vX.Y.Z"


def test_each_release_is_pinned_to_one_commit_everywhere() -> None:
    """A partial bump would leave one `# vX.Y.Z` naming two commits, or one action at two releases."""
    commits: dict[str, set[str]] = {}
    for _, ref in uses_lines():
        if not ref.startswith("$/"):
            action_commit, tag = ref.split(" # ")
            action, commit = action_commit.split("@")
            commits.setdefault(f"{action} {tag}", set()).add(commit)
            commits.setdefault(action, set()).add(tag)
    assert {key: found for key, found in commits.items() if len(found) != 1} == {}


def test_in_repository_workflows_are_called_by_self_repository_reference() -> None:
    """`$/` is this repository at the running commit; `./` is whatever the workspace holds."""
    local = [ref for _, ref in uses_lines() if "pulumi-stack.yml" in ref]
    assert local and all(ref == "$/.github/workflows/pulumi-stack.yml" for ref in local), local


def test_every_checkout_keeps_no_credentials() -> None:
    checkouts = [
        step
        for path in WORKFLOW_FILES
        for job in load(path.name)["jobs"].values()
        for step in steps_of(job)
        if step.get("uses", "").startswith("actions/checkout@")
    ]
    assert len(checkouts) >= 5 and all(s["with"]["persist-credentials"] is False for s in checkouts)


ZIZMOR = Path(sys.executable).with_name("zizmor")


def zizmor(workflows: Path, *options: str) -> list[tuple[str, str]]:
    """(audit, file name) of each finding of zizmor on ``workflows``.

    Offline (no GitHub, as CI's test job and this machine are) and with no configuration
    file, so no finding can be muted outside the workflow text itself.
    """
    if not ZIZMOR.exists():
        pytest.fail(f"{ZIZMOR} is missing: pip install -r requirements-dev.txt")
    result = subprocess.run(
        [str(ZIZMOR), "--offline", "--no-config", "--no-exit-codes", "--format", "json", "-q", *options, str(workflows)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root")},
    )
    assert result.returncode == 0, result.stderr
    return sorted(
        (finding["ident"], Path(location["symbolic"]["key"]["Local"]["verbatim_path"]).name)
        for finding in json.loads(result.stdout)
        for location in finding["locations"]
        if location["symbolic"]["kind"] == "Primary"
    )


# The one finding the workflows carry, muted in place with its reason: render-diff-comment.yml
# needs workflow_run (see its header), which zizmor flags whatever the workflow does with it.
ACCEPTED = [("dangerous-triggers", "render-diff-comment.yml")]


def test_zizmor_finds_nothing() -> None:
    assert zizmor(WORKFLOWS) == []


def test_the_only_muted_finding_is_the_fork_comment_relay_trigger() -> None:
    assert zizmor(WORKFLOWS, "--no-ignores") == ACCEPTED


def test_zizmor_pedantic_finds_only_the_permissions_callers_set() -> None:
    """pulumi-stack.yml declares no token permissions: preview needs pull-requests write (its
    comment), up must not get it, and a called workflow can only narrow its caller's set, so
    each calling job sets them. Everything else the pedantic persona looks at is clean."""
    assert set(zizmor(WORKFLOWS, "--persona=pedantic")) == {("excessive-permissions", "pulumi-stack.yml")}


PIN = "actions/checkout@11d5960a326750d5838078e36cf38b85af677262 # v4.4.0"
KEY_MAPPING = """\
    secrets:
      PULUMI_ACCESS_TOKEN: ${{ secrets.PULUMI_ACCESS_TOKEN }}
      SSH_PRIVATE_KEY: ${{ secrets.SSH_PRIVATE_KEY_DEV }}"""
RELAY_RUN = 'relay-render-diff.sh "$RUNNER_TEMP/render-diff" "$HEAD_SHA"'

# (file, text, replacement, what zizmor must then report): the mistakes this change removed.
REGRESSIONS = [
    ("pull-request.yml", PIN, "actions/checkout@v4", "unpinned-uses"),
    ("deploy.yml", KEY_MAPPING, "    secrets: inherit", "secrets-inherit"),
    ("pulumi-stack.yml", "${{ secrets.SSH_PRIVATE_KEY }}", "${{ secrets[inputs.ssh-key-secret] }}",
     "overprovisioned-secrets"),
    ("render-diff-comment.yml", RELAY_RUN, RELAY_RUN.replace("$HEAD_SHA", "${{ github.event.workflow_run.head_branch }}"),
     "template-injection"),
    ("pull-request.yml", "path: head\n          persist-credentials: false\n", "path: head\n", "artipacked"),
    ("render-diff-comment.yml", " # zizmor: ignore[dangerous-triggers]", "", "dangerous-triggers"),
    ("deploy.yml", "uses: $/.github/", "uses: ./.github/", "self-repository"),
]


@pytest.mark.parametrize(("name", "text", "replacement", "audit"), REGRESSIONS, ids=[r[3] for r in REGRESSIONS])
def test_zizmor_catches_each_regression(tmp_path: Path, name: str, text: str, replacement: str, audit: str) -> None:
    """The gate above fails on each mistake it is there for, not only on an empty directory."""
    copy = tmp_path / ".github" / "workflows"
    shutil.copytree(WORKFLOWS, copy)
    original = (copy / name).read_text()
    assert text in original
    (copy / name).write_text(original.replace(text, replacement, 1))
    assert (audit, name) in zizmor(copy)


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
    # The artifacts land outside the checkout, and the one script run is this branch's relay.
    assert step_using(job, "actions/download-artifact@")["with"]["path"] == "${{ runner.temp }}/render-diff"
    assert [s["run"] for s in steps_of(job) if "run" in s] == [
        'bash .github/workflows/scripts/relay-render-diff.sh "$RUNNER_TEMP/render-diff" "$HEAD_SHA"'
    ]
    assert relay["permissions"] == {} and set(job["permissions"]) == {"actions", "contents", "pull-requests"}


def test_pull_request_previews_each_stack_with_the_policy_pack_and_comments() -> None:
    jobs = load("pull-request.yml")["jobs"]
    for stack in STACKS:
        preview = jobs[f"preview-{stack}"]
        assert preview["name"] == f"preview ({stack})"  # the check name branch protection refers to
        assert preview["uses"] == "$/.github/workflows/pulumi-stack.yml"
        key_secret = f"SSH_PRIVATE_KEY_{stack.upper()}"
        assert preview["with"] == {"command": "preview", "stack": stack, "ssh-key-secret": key_secret}
        assert preview["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert not [job_id for job_id in jobs if job_id.startswith("preview") and job_id.split("-", 1)[-1] not in STACKS]
    pulumi = step_using(load("pulumi-stack.yml")["jobs"]["pulumi"], "pulumi/actions@", policyPacks="policy")
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
    # Before the check a secret is only compared with '', never handed to a step.
    before_check = [str(value) for step in steps[: check + 1] for value in step.get("env", {}).values()]
    assert not [value for value in before_check if "secrets." in value and "!= ''" not in value]


# --- secrets ----------------------------------------------------------------------------------


def stack_calls() -> list[tuple[str, dict[str, Any]]]:
    """(where, job) of every job that calls pulumi-stack.yml."""
    return [
        (f"{path.name}:{job_id}", job)
        for path in WORKFLOW_FILES
        for job_id, job in load(path.name)["jobs"].items()
        if job.get("uses", "").endswith("/pulumi-stack.yml")
    ]


def test_the_pulumi_workflow_declares_the_only_secrets_it_reads() -> None:
    text = (WORKFLOWS / "pulumi-stack.yml").read_text()
    declared = load("pulumi-stack.yml")["on"]["workflow_call"]["secrets"]
    assert set(declared) == {"PULUMI_ACCESS_TOKEN", "SSH_PRIVATE_KEY"}
    assert not any(spec.get("required") for spec in declared.values())  # forks get none: the job skips itself
    assert set(re.findall(r"secrets\.(\w+)", text)) == set(declared)


def test_each_caller_passes_exactly_its_own_stacks_secrets() -> None:
    """No `secrets: inherit` and no computed secret names: each job hands over two named secrets."""
    calls = stack_calls()
    assert len(calls) == 4
    for where, job in calls:
        key_secret = f"SSH_PRIVATE_KEY_{job['with']['stack'].upper()}"
        assert job["with"]["ssh-key-secret"] == key_secret, where  # the name its messages give
        assert job["secrets"] == {
            "PULUMI_ACCESS_TOKEN": "${{ secrets.PULUMI_ACCESS_TOKEN }}",
            "SSH_PRIVATE_KEY": "${{ secrets." + key_secret + " }}",
        }, where


def test_no_workflow_reaches_the_whole_secrets_context() -> None:
    texts = {path.name: path.read_text() for path in WORKFLOW_FILES}
    whole = re.compile(r"secrets\s*\[|toJSON\(\s*secrets|secrets:\s*inherit")
    assert {name for name, text in texts.items() if whole.search(text)} == set()


# --- deployment ------------------------------------------------------------------------------


def test_deploy_runs_on_main_and_by_hand_with_minimal_permissions() -> None:
    deploy = load("deploy.yml")
    assert deploy["on"]["push"]["branches"] == ["main"] and "workflow_dispatch" in deploy["on"]
    assert deploy["permissions"] == {"contents": "read"}


def test_deploy_ups_dev_then_prod_behind_the_prod_environment() -> None:
    jobs = load("deploy.yml")["jobs"]
    dev, prod = jobs["up-dev"], jobs["up-prod"]
    for job, stack in ((dev, "dev"), (prod, "prod")):
        assert job["uses"] == "$/.github/workflows/pulumi-stack.yml"
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


RENDERED = "a" * 40  # the commit the fork's pull-request run rendered


def fork_artifact(root: Path, stack: str = "prod", files: dict[str, str | None] | None = None) -> Path:
    """A render-diff artifact as a fork's run uploads it; ``files`` override or add (None: leave out)."""
    artifact = root / f"render-diff-{stack}"
    artifact.mkdir(parents=True)
    contents = {
        "pr-number": "7\n",
        "stack": f"{stack}\n",
        "base-status": "ok\n",
        "render.diff": file_diff("nodes/cp1/kubelet.conf", 2),
        "comment.md": "EVIL comment text\n",
    } | (files or {})
    for name, text in contents.items():
        if text is not None:
            (artifact / name).write_text(text)
    return artifact


def relay(tmp_path: Path, pr_head: str = RENDERED) -> subprocess.CompletedProcess[str]:
    (tmp_path / "bin").mkdir(exist_ok=True)
    stand_in(tmp_path / "bin", "gh", GH_STAND_IN)
    (tmp_path / "head").write_text(pr_head + "\n")
    env = {"GH_TOKEN": "t", "GITHUB_REPOSITORY": "o/r", "RUN_URL": "https://github.com/o/r/actions/runs/9"}
    return run_script("relay-render-diff.sh", str(tmp_path / "artifacts"), RENDERED, env=env, cwd=tmp_path)


@pytest.mark.parametrize(("pr_head", "posted"), [(RENDERED, True), ("b" * 40, False)])
def test_relay_posts_only_for_the_commit_that_made_the_artifacts(tmp_path: Path, pr_head: str, posted: bool) -> None:
    fork_artifact(tmp_path / "artifacts")
    result = relay(tmp_path, pr_head)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "posted").exists() is posted


def test_relay_writes_the_comment_itself_from_the_diff(tmp_path: Path) -> None:
    """The fork's comment.md is ignored: the words around the diff are this branch's."""
    fork_artifact(tmp_path / "artifacts", files={"base-status": "failed\n"})
    assert relay(tmp_path).returncode == 0
    posted = (tmp_path / "posted").read_text()
    assert posted.startswith("<!-- spark-on-metal:render-diff:prod -->\n### Rendered files and manifests: stack `prod`")
    assert "| `nodes/cp1/kubelet.conf` | +2 | -0 |" in posted and "could not be rendered" in posted
    assert "actions/runs/9" in posted and "EVIL" not in posted


# (what is wrong, artifact stack name, files replaced, file made a symlink out of the artifact)
HOSTILE_ARTIFACTS = [
    ("pr-number is a symlink", "prod", {"pr-number": None}, "pr-number"),
    ("render.diff is a symlink", "prod", {"render.diff": None}, "render.diff"),
    ("stack differs from the artifact name", "dev", {"stack": "prod\n"}, None),
    ("stack carries a workflow command", "prod", {"stack": "prod::warning::EVIL\n"}, None),
    ("pr-number carries a command", "prod", {"pr-number": "7; EVIL\n"}, None),
    ("pr-number zero", "prod", {"pr-number": "0\n"}, None),
    ("pr-number file over the size bound", "prod", {"pr-number": "7\n" + "EVIL" * 100}, None),
    ("unknown base status", "prod", {"base-status": "EVIL\n"}, None),
    ("no render.diff", "prod", {"render.diff": None}, None),
    ("artifact name carries a workflow command", "x::warning::EVIL", {}, None),
]


@pytest.mark.parametrize(
    ("stack", "files", "link"), [case[1:] for case in HOSTILE_ARTIFACTS], ids=[case[0] for case in HOSTILE_ARTIFACTS]
)
def test_relay_refuses_hostile_artifacts_without_echoing_them(
    tmp_path: Path, stack: str, files: dict[str, str | None], link: str | None
) -> None:
    artifact = fork_artifact(tmp_path / "artifacts", stack, files)
    if link:
        (tmp_path / "outside").write_text("7\n")
        (artifact / link).symlink_to(tmp_path / "outside")
    result = relay(tmp_path)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "gh.log").exists()  # refused before asking GitHub anything
    assert "EVIL" not in result.stdout + result.stderr and "skipping" in result.stdout


def test_relay_refuses_a_symlinked_artifact_directory(tmp_path: Path) -> None:
    real = fork_artifact(tmp_path / "elsewhere")
    (tmp_path / "artifacts").mkdir()
    (tmp_path / "artifacts" / "render-diff-prod").symlink_to(real, target_is_directory=True)
    result = relay(tmp_path)
    assert result.returncode == 0 and not (tmp_path / "gh.log").exists()


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
