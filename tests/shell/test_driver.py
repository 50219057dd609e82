"""lab/driver: the real Pulumi CLI (built by lab/toolchain) with the plugins this machine has.

Pure parts first (event log, lab settings, the closed environment); then the real CLI:
a missing plugin fails at once, the dev stack's whole plan with the policy pack, and a
tiny program's full lifecycle against a lab node through the pulumi-command stand-in.
The real-CLI tests skip, naming what is missing, when the toolchain has not been built.
"""

from __future__ import annotations

import json
import os
import stat
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from lab.driver import events
from lab.driver.cli import Cli, DriverError, Toolchain
from lab import default_nodes
from lab.driver.labstack import Setting, lab_settings
from lab.driver.workspace import PROJECT_ROOT, Workspace, copy_project

COMMAND_TYPE = "command:remote:Command"

# An in-process program (lab/driver/inline.py) leaves the SDK's shutdown coroutine to the
# garbage collector once the engine has gone; its complaint is about teardown only.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


# --------------------------------------------------------------------------- pure


def test_outcome_reads_steps_failures_policies_and_summary_from_the_event_log() -> None:
    urn = "urn:pulumi:dev::p::command:remote:Command::w1-prepare-host"
    log = [
        {"sequence": 3, "diagnosticEvent": {"urn": urn, "message": "Process exited with status 1: ...", "severity": "error"}},
        {"sequence": 1, "resourcePreEvent": {"metadata": {"op": "create", "urn": urn, "type": COMMAND_TYPE}}},
        {"sequence": 2, "resOpFailedEvent": {"metadata": {"op": "create", "urn": urn, "type": COMMAND_TYPE}, "status": 1, "steps": 1}},
        {"sequence": 4, "diagnosticEvent": {"urn": urn, "message": "line of stdout", "severity": "info", "ephemeral": True}},
        {"sequence": 5, "policyEvent": {"policyPackName": "spark", "policyName": "p1", "enforcementLevel": "mandatory",
                                         "message": "no", "resourceUrn": urn}},
        {"sequence": 6, "summaryEvent": {"resourceChanges": {"create": 1, "same": 2}, "durationSeconds": 1}},
    ]
    result = events.outcome("up", False, 1.5, log)
    assert [s.name for s in result.ops("create")] == ["w1-prepare-host"]
    assert result.failed == {urn: "Process exited with status 1: ..."}
    assert result.errors == ["Process exited with status 1: ..."]
    assert result.changes == {"create": 1, "same": 2}
    assert [(v.policy, v.level) for v in result.policy_violations] == [("p1", "mandatory")]
    assert all(d.message != "line of stdout" for d in result.diagnostics), "ephemeral status lines are not diagnostics"


def test_lab_settings_pin_each_nodes_key_and_add_extra_machines_as_tenant_workers() -> None:
    nodes = [{"name": "cp1"}, {"name": "w1"}, {"name": "w2"}]
    tenants = [{"name": "analytics", "nodes": ["w1", "w2"]}]
    lab = [("cp1", "10.99.0.11", "ssh-ed25519 A"), ("w1", "10.99.0.12", "ssh-ed25519 B"), ("w3", "10.99.0.14", "ssh-ed25519 C")]
    settings = lab_settings(lab, nodes, tenants)
    assert Setting("spark-on-metal:nodes[1].sshHostKey", "ssh-ed25519 B") in settings
    assert Setting("spark-on-metal:nodes[3].name", "w3") in settings
    assert Setting("spark-on-metal:nodes[3].roles[0]", "worker") in settings
    assert Setting("spark-on-metal:tenants[0].nodes[2]", "w3") in settings
    assert not any(s.key.startswith("spark-on-metal:nodes[2]") for s in settings), "w2 is not in this lab: untouched"


def test_lab_settings_add_a_machine_named_as_a_control_plane_as_one_outside_every_tenant() -> None:
    nodes = [{"name": "cp1"}, {"name": "w1"}]
    tenants = [{"name": "analytics", "nodes": ["w1"]}]
    lab = [("cp1", "10.99.0.11", "ssh-ed25519 A"), ("cp2", "10.99.0.12", "ssh-ed25519 B"), ("w1", "10.99.0.13", "ssh-ed25519 C")]
    settings = lab_settings(lab, nodes, tenants)
    assert Setting("spark-on-metal:nodes[2].name", "cp2") in settings
    assert Setting("spark-on-metal:nodes[2].roles[0]", "control-plane") in settings
    assert not any(s.key.startswith("spark-on-metal:tenants") for s in settings)
    assert [spec.name for spec in default_nodes(4, control_planes=2)] == ["cp1", "cp2", "w1", "w2"]
    with pytest.raises(ValueError, match="control planes"):
        default_nodes(2, control_planes=3)


def _toolchain(root: Path, with_plugin_on_path: bool = False) -> Toolchain:
    """Fake executables laid out as lab/toolchain lays them out (the provider in its own dir)."""
    bins, provider = root / "bin", root / "provider"
    for directory in (bins, provider):
        directory.mkdir(parents=True, exist_ok=True)
    for path in (bins / "pulumi", bins / "pulumi-language-python", bins / "pulumi-language-python-exec",
                 provider / "pulumi-resource-kubernetes"):
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
    if with_plugin_on_path:
        (bins / "pulumi-resource-command").write_text("")
    return Toolchain(bins, bins, provider / "pulumi-resource-kubernetes")


def test_path_with_a_provider_plugin_on_it_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DriverError, match="pulumi-resource-command"):
        _toolchain(tmp_path, with_plugin_on_path=True).path()


def test_the_cli_environment_is_closed_offline_and_holds_no_passphrase(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_ACCESS_TOKEN", "ambient")
    monkeypatch.setenv("SSH_AUTH_SOCK", "/tmp/agent")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DriverError, match="missing"):
        Cli(Toolchain(empty, empty, empty / "k"), tmp_path / "home", tmp_path / "state", tmp_path / "secrets").env()
    env = Cli(_toolchain(tmp_path / "tc"), tmp_path / "home", tmp_path / "state", tmp_path / "secrets").env()
    assert env["PULUMI_SKIP_UPDATE_CHECK"] == env["PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION"] == "true"
    assert env["PULUMI_BACKEND_URL"] == f"file://{tmp_path / 'state'}"
    assert "PULUMI_ACCESS_TOKEN" not in env and "SSH_AUTH_SOCK" not in env and "PULUMI_CONFIG_PASSPHRASE" not in env
    passphrase = Path(env["PULUMI_CONFIG_PASSPHRASE_FILE"])
    assert stat.S_IMODE(passphrase.stat().st_mode) == 0o600
    assert passphrase.read_text() not in json.dumps(env)


def test_project_copy_has_program_stack_policy_and_the_projects_venv(tmp_path: Path) -> None:
    copy = copy_project(PROJECT_ROOT, tmp_path / "p", "dev")
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "__main__.py", "components/program.py", "policy/PulumiPolicy.yaml"):
        assert (copy / name).is_file(), name
    assert (copy / ".venv").resolve() == (PROJECT_ROOT / ".venv").resolve()
    assert not (copy / "Pulumi.prod.yaml").exists() and not (copy / "tests").exists()


# --------------------------------------------------------------------------- the real CLI


def built_toolchain(language_host_required: bool = True) -> Toolchain:
    """The built toolchain; the test skips, saying what is missing, when a required part
    is not built. Without ``language_host_required`` a missing language host or
    kubernetes provider is tolerated (in-process programs, no kubernetes plugin)."""
    from lab.toolchain import Layout, cache_root, missing_reason, plan
    from lab.toolchain.plan import select

    layout = Layout(cache_root())
    optional = ("pulumi-language-python", "pulumi-resource-kubernetes")
    reasons = {spec.name: missing_reason(layout, spec) for spec in select(plan(), ["pulumi", *optional])}
    missing = {name: reason for name, reason in reasons.items() if reason}
    required = set(missing) if language_host_required else set(missing) - set(optional)
    if required:
        pytest.skip(f"toolchain not built ({'; '.join(f'{n}: {missing[n]}' for n in sorted(required))}): "
                    "python -m lab.toolchain build")
    return Toolchain.built(parts=tuple(name for name in optional if name not in missing))


@pytest.fixture(scope="module")
def throwaway_key(tmp_path_factory: pytest.TempPathFactory) -> str:
    directory = tmp_path_factory.mktemp("key")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(directory / "k")], check=True)
    return (directory / "k").read_text()


TINY_PROJECT = """\
name: som-driver-tiny
runtime:
  name: python
  options:
    toolchain: pip
    virtualenv: {venv}
"""

# One remote Command whose every knob is stack config, so `pulumi config set` drives
# create (a changed `create`), update and replace (a changed trigger) and delete.
TINY_PROGRAM = '''\
import pulumi
from pulumi_command import remote

config = pulumi.Config()
if config.get_bool("present") is not False:
    probe = remote.Command(
        "probe",
        connection=remote.ConnectionArgs(
            host=config.require("host"), port=config.require_int("port"), private_key=config.require_secret("key"),
            host_key=config.require("hostKey"), dial_error_limit=2,
        ),
        create=config.require("create"),
        delete=config.require("delete"),
        stdin=config.require("stdin"),
        triggers=[config.require("trigger")],
        logging=remote.Logging.STDOUT_AND_STDERR,
    )
    pulumi.export("stdout", probe.stdout)
'''


def tiny_project(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Pulumi.yaml").write_text(TINY_PROJECT.format(venv=(PROJECT_ROOT / ".venv").resolve()))
    (directory / "__main__.py").write_text(TINY_PROGRAM)
    return directory


def test_a_missing_plugin_fails_at_once_without_a_download(tmp_path: Path) -> None:
    """An empty PULUMI_HOME: the engine must name the missing plugin and stop, not fetch it."""
    toolchain = built_toolchain(language_host_required=False)
    home = tmp_path / "empty-home"
    home.mkdir()
    cli = Cli(toolchain, home, tmp_path / "state", tmp_path / "secrets")
    ws = Workspace(cli, tiny_project(tmp_path / "program"), "t", None if toolchain.language_bin else _tiny_inline)
    ws.init_stack()
    for key, value in {"host": "192.0.2.1", "port": "22", "create": "true", "delete": "true", "stdin": "", "trigger": "1",
                       "hostKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPAj8UAjEjB4MSlpkYMQCeqR1OX2wSmop56EetUW4dk+"}.items():
        ws.set_config(key, value)
    ws.set_secret("key", "k")
    result = ws.preview()
    assert not result.ok
    message = "\n".join(result.errors) or result.output
    assert "no resource plugin" in message.lower() and "command" in message and "1.2.1" in message, message
    assert "download" not in result.output.lower(), result.output
    assert result.seconds < 60
    assert not (home / "plugins" / "resource-command-v1.2.1").exists()


@dataclass
class DevPreview:
    outcome: events.Outcome
    with_policy_pack: bool


@pytest.fixture(scope="module")
def dev_preview(throwaway_key: str, tmp_path_factory: pytest.TempPathFactory) -> DevPreview:
    """The dev stack previewed through the built CLI with a throwaway key; with the policy
    pack when the toolchain has the language host (which runs Python packs), else the
    program runs in-process (lab/driver/inline.py) and the pack cannot run."""
    from components.program import main

    toolchain = built_toolchain(language_host_required=False)
    if toolchain.kubernetes_provider is None:
        pytest.skip("the pulumi-kubernetes provider is not built: python -m lab.toolchain build pulumi-resource-kubernetes")
    language_host = toolchain.language_bin is not None
    workspace = Workspace.create(tmp_path_factory.mktemp("dev"), "dev", toolchain=toolchain,
                                 program=None if language_host else main)
    workspace.set_secret("spark-on-metal:sshPrivateKey", throwaway_key)
    result = workspace.preview(policy_packs=[workspace.project_dir / "policy"] if language_host else [])
    print(f"\ndev stack preview through the built CLI: {result.seconds:.1f} s, {result.changes}")
    return DevPreview(result, language_host)


def expected_kubernetes_types(platform: object) -> Counter[str]:
    """The pulumi-kubernetes type of every object the program manages (components.kube)."""
    from components import manifests
    from components.kube import PATCHED_KINDS

    return Counter(
        f"kubernetes:{'core/v1' if obj['apiVersion'] == 'v1' else obj['apiVersion']}:"
        f"{obj['kind']}{'Patch' if obj['kind'] in PATCHED_KINDS else ''}"
        for obj in manifests.objects(platform)  # type: ignore[arg-type]
    )


def test_dev_stack_preview_shows_the_whole_plan(dev_preview: DevPreview) -> None:
    """Every node step as one remote Command and every managed Kubernetes object: exactly
    the program's pure plan."""
    from components.stack import load_stack_file
    from components.steps import steps_for

    preview = dev_preview.outcome
    assert preview.ok, preview.output[-3000:]
    platform = load_stack_file("dev")
    planned = preview.count_by_type("create")
    expected_steps = {step.resource_name for step in steps_for(platform)}
    assert preview.names("create", COMMAND_TYPE) == expected_steps, "one remote Command per node step"
    assert planned[COMMAND_TYPE] == len(expected_steps)
    kubernetes = Counter({t: n for t, n in planned.items() if t.startswith("kubernetes:")})
    assert kubernetes == expected_kubernetes_types(platform)
    assert kubernetes["kubernetes:core/v1:Namespace"] >= 1
    assert planned["pulumi:providers:kubernetes"] == 1
    assert preview.errors == []


def test_dev_stack_preview_passes_the_policy_pack(dev_preview: DevPreview) -> None:
    if not dev_preview.with_policy_pack:
        pytest.skip("Python policy packs run through the language host, which the toolchain has not built")
    assert dev_preview.outcome.ok and dev_preview.outcome.policy_violations == []
    assert "Policies:" in dev_preview.outcome.output, "the CLI lists the packs it ran"


def test_dev_stack_preview_contacts_no_host(dev_preview: DevPreview) -> None:
    """A preview runs no remote command: the dev stack's hosts (10.99.0.0/17) are not even
    routed from here, and nothing reports a dial."""
    preview = dev_preview.outcome
    assert "Dial " not in preview.output and "dial tcp" not in preview.output
    assert preview.count_by_type("update") == {} and preview.count_by_type("delete") == {}


SSHD_CONFIG = """\
ListenAddress 127.0.0.1
Port {port}
HostKey {dir}/host_ed25519
AuthorizedKeysFile {dir}/authorized_keys
PidFile none
StrictModes no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
"""


@dataclass
class ThrowawayHost:
    """A real sshd on a loopback address, accepting only a throwaway key. With ``netns``
    it is in a network namespace of its own (only loopback) and the CLI runs there too;
    without, on this machine's loopback (for in-process programs, which must reach the
    engine on the CLI's loopback). Commands run as root on this machine's files: the
    tests only touch ``directory``."""

    netns: str | None
    port: int
    directory: Path
    host_key: str
    client_key: str

    def wrap(self, argv: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.netns, *argv] if self.netns else argv

    def read(self, name: str) -> str:
        path = self.directory / name
        return path.read_text() if path.exists() else ""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def throwaway_host(directory: Path, own_netns: bool) -> Iterator[ThrowawayHost]:
    if os.geteuid() != 0:
        pytest.skip("the throwaway sshd runs as root (and a network namespace needs root)")
    directory.mkdir()
    os.chmod(directory, 0o700)
    for name in ("host_ed25519", "client"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(directory / name)], check=True)
    (directory / "authorized_keys").write_text((directory / "client.pub").read_text())
    netns = f"som-drv-{os.getpid()}-{time.time_ns() % 10**6}" if own_netns else None
    port = 22 if netns else _free_port()
    (directory / "sshd_config").write_text(SSHD_CONFIG.format(dir=directory, port=port))
    host = ThrowawayHost(netns, port, directory, " ".join((directory / "host_ed25519.pub").read_text().split()[:2]),
                         (directory / "client").read_text())
    sshd = None
    try:
        if netns:
            subprocess.run(["ip", "netns", "add", netns], check=True)
            subprocess.run(["ip", "-n", netns, "link", "set", "lo", "up"], check=True)
        # sshd needs /run/sshd: a private /run for it alone, nothing created on the machine
        start = f"mount -t tmpfs -o mode=0755 none /run && mkdir -m 0755 /run/sshd && exec /usr/sbin/sshd -D -e -f {directory}/sshd_config"
        sshd = subprocess.Popen(host.wrap(["unshare", "--mount", "--propagation", "private", "sh", "-c", start]),
                                stdout=subprocess.DEVNULL, stderr=(directory / "sshd.log").open("w"))
        probe = host.wrap(["bash", "-c", f"exec 3<>/dev/tcp/127.0.0.1/{port}"])
        for _ in range(200):
            if subprocess.run(probe, capture_output=True, check=False).returncode == 0:
                break
            time.sleep(0.05)
        yield host
    finally:
        if sshd is not None:
            sshd.terminate()
            sshd.wait(timeout=10)
        if netns:
            subprocess.run(["ip", "netns", "del", netns], check=False)


@dataclass
class TinyStack:
    workspace: Workspace
    host: ThrowawayHost


def _tiny_inline() -> None:
    exec(compile(TINY_PROGRAM, "tiny_program", "exec"), {"__name__": "__main__"})


@pytest.fixture
def tiny(tmp_path: Path) -> Iterator[TinyStack]:
    """The tiny program's stack against a throwaway host: through the language host in
    the host's own network namespace when the toolchain has it, else run in-process
    (lab/driver/inline.py) against a host on this machine's loopback."""
    toolchain = built_toolchain(language_host_required=False)
    with throwaway_host(tmp_path / "host", own_netns=toolchain.language_bin is not None) as host:
        workspace = Workspace.create(
            tmp_path / "ws", "tiny", project_dir=tiny_project(tmp_path / "program"), toolchain=toolchain,
            wrap=host.wrap, program=None if toolchain.language_bin else _tiny_inline,
        )
        log, deleted = host.directory / "log", host.directory / "deleted"
        for key, value in {"host": "127.0.0.1", "port": str(host.port), "hostKey": host.host_key, "stdin": "stdin-1\n",
                           "create": f"echo created-1 >> {log}; echo out-1; echo err-1 >&2",
                           "delete": f"cat >> {deleted}", "trigger": "a"}.items():
            workspace.set_config(key, value)
        workspace.set_secret("key", host.client_key)
        yield TinyStack(workspace, host)


def test_tiny_program_creates_updates_replaces_and_deletes_over_ssh(tiny: TinyStack) -> None:
    ws, host = tiny.workspace, tiny.host
    created = ws.up()
    print(f"\ntiny program up (create) through the built CLI: {created.seconds:.1f} s")
    assert created.ok, created.output[-3000:]
    assert created.names("create", COMMAND_TYPE) == {"probe"}
    assert ws.outputs() == {"stdout": "out-1"}
    assert host.read("log") == "created-1\n"
    assert host.client_key not in created.output
    key_line = host.client_key.splitlines()[1]
    state_files = [p for p in ws.cli.backend_dir.rglob("*") if p.is_file()]
    assert state_files and not any(key_line in p.read_text(errors="replace") for p in state_files), \
        "the key is a secret in the state (encrypted), never plain"

    unchanged = ws.preview(expect_no_changes=True)
    assert unchanged.ok, unchanged.output[-3000:]

    ws.set_config("create", f"echo created-2 >> {host.directory / 'log'}; echo out-2")
    updated = ws.up()
    assert updated.ok and updated.names("update", COMMAND_TYPE) == {"probe"}, updated.output[-3000:]
    assert ws.outputs() == {"stdout": "out-2"}
    assert host.read("log") == "created-1\ncreated-2\n"
    assert host.read("deleted") == "", "an update deletes nothing"

    ws.set_config("trigger", "b")
    replaced = ws.up()
    assert replaced.ok, replaced.output[-3000:]
    ops = [s.op for s in replaced.steps if s.type == COMMAND_TYPE]
    assert ops.index("create-replacement") < ops.index("delete-replaced"), "create before delete (the default)"
    assert host.read("log") == "created-1\ncreated-2\ncreated-2\n"
    assert host.read("deleted") == "stdin-1\n", "the replaced one's delete ran with its stdin"

    ws.set_config("present", "false")
    deleted = ws.up()
    assert deleted.ok and deleted.names("delete", COMMAND_TYPE) == {"probe"}, deleted.output[-3000:]
    assert host.read("deleted") == "stdin-1\nstdin-1\n"
    assert ws.preview(expect_no_changes=True).ok


def test_a_failed_remote_command_fails_up_with_its_output_and_keeps_old_state(tiny: TinyStack) -> None:
    ws = tiny.workspace
    assert ws.up().ok
    ws.set_config("create", "echo visible-out; echo visible-err >&2; exit 7")
    failed = ws.up()
    assert not failed.ok
    [message] = failed.failed.values()
    assert 'Process exited with status 7: running "echo visible-out; echo visible-err >&2; exit 7"' in message
    assert "visible-out" in message and "visible-err" in message
    assert ws.outputs() == {"stdout": "out-1"}, "the failed update left the previous outputs"
    assert not ws.preview(expect_no_changes=True).ok, "the change is still pending"


def test_a_wrong_pinned_host_key_is_refused_before_any_command(tiny: TinyStack) -> None:
    ws, host = tiny.workspace, tiny.host
    ws.set_config("hostKey", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPAj8UAjEjB4MSlpkYMQCeqR1OX2wSmop56EetUW4dk+")
    failed = ws.up()
    assert not failed.ok
    [message] = failed.failed.values()
    assert message.startswith("after 2 failed attempts: ssh: handshake failed: ssh: host key mismatch"), message
    assert host.read("log") == "", "no command reached the host"


def test_no_stray_plugin_on_the_machines_path() -> None:
    """The machine's own PATH must not carry a provider plugin either (it would win)."""
    stray = [str(p) for d in os.environ.get("PATH", "").split(os.pathsep) if d and Path(d).is_dir()
             for p in Path(d).glob("pulumi-resource-*")]
    assert stray == []


def test_the_driver_command_line_parses() -> None:
    from lab.driver.__main__ import parse

    args = parse(["preview", "--stack", "dev", "--policy-pack", "policy", "--ssh-key", "k"])
    assert (args.command, args.stack, args.policy_pack, args.ssh_key) == ("preview", "dev", [Path("policy")], Path("k"))
