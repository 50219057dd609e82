"""The pulumi-command stand-in (lab/standins/pulumi_command) against the real provider's rules.

Each expectation cites where the real provider (pulumi-command v1.2.1, on
pulumi-go-provider v1.3.0 and the Pulumi SDK) decides it; the engine-level behaviour
(the real CLI loading the stand-in) is in tests/shell/test_driver.py.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator, Mapping
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from lab.standins.pulumi_command import operations, ssh
from lab.standins.pulumi_command.diff import Kind, diff, format_path
from lab.standins.pulumi_command.inputs import check
from lab.standins.pulumi_command.launcher import launcher_text
from lab.standins.pulumi_command.properties import UNKNOWN, Secret, from_struct, to_struct
from lab.standins.pulumi_command.server import CommandProvider, EngineLog, engine_address, resource_type

URN = "urn:pulumi:dev::p::spark-on-metal:cluster:Node$command:remote:Command::w1-prepare-host"
ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPAj8UAjEjB4MSlpkYMQCeqR1OX2wSmop56EetUW4dk+"


def connection(**extra: Any) -> dict[str, Any]:
    return {"host": "10.99.0.12", "privateKey": Secret("KEY"), "hostKey": ED25519, **extra}


def checked(**inputs: Any) -> dict[str, Any]:
    result, failures = check({"connection": connection(), **inputs})
    assert failures == []
    return result


# --------------------------------------------------------------------------- Check


def test_check_applies_connection_defaults_and_marks_it_secret() -> None:
    # remote/connection.go Annotate: SetDefault user "root", port 22, dialErrorLimit 10,
    # perDialTimeout 15; remote/command.go: Connection `provider:"secret"`;
    # privateKey `provider:"secret"` (infer/apply_secrets.go marks both).
    result = checked(create="bash -s -- apply")
    assert result["create"] == "bash -s -- apply"
    assert isinstance(result["connection"], Secret)
    conn = result["connection"].value
    assert {k: conn[k] for k in ("user", "port", "dialErrorLimit", "perDialTimeout")} == {
        "user": "root", "port": 22, "dialErrorLimit": 10, "perDialTimeout": 15,
    }
    assert conn["privateKey"] == Secret("KEY")


def test_check_keeps_given_connection_settings() -> None:
    result, _ = check({"connection": connection(port=2222.0, user="ops", dialErrorLimit=20.0)})
    conn = result["connection"].value
    assert (conn["port"], conn["user"], conn["dialErrorLimit"], conn["perDialTimeout"]) == (2222, "ops", 20, 15)


def test_check_reports_missing_and_unknown_fields_as_the_mapper_does() -> None:
    # sdk/go/common/util/mapper/errors.go messages; host is required (no `optional` tag).
    _, failures = check({"create": "x", "stdinn": "typo"})
    reasons = {f.property: f.reason for f in failures}
    assert reasons["connection"] == "Missing required field 'connection' on 'remote.CommandInputs'"
    assert reasons["stdinn"] == "Unrecognized field 'stdinn' on 'remote.CommandInputs'"
    _, failures = check({"connection": {"port": 22.0}})
    assert [f.reason for f in failures] == ["Missing required field 'host' on 'remote.Connection'"]
    _, failures = check({"connection": connection(dialErrorLimit=1.5)})
    assert "must be a 'int'" in failures[0].reason


def test_check_passes_unknowns_through_in_a_preview() -> None:
    result, failures = check({"connection": connection(), "stdin": UNKNOWN})
    assert failures == [] and result["stdin"] is UNKNOWN


# --------------------------------------------------------------------------- Diff


def test_unchanged_inputs_are_no_change() -> None:
    old = checked(create="a", stdin="s")
    result = diff(old, dict(old), {**old, "stdout": "x"})
    assert (result.has_changes, result.detailed, result.replaces) == (False, {}, [])


def test_a_changed_command_or_stdin_is_an_update() -> None:
    old = checked(create="a", stdin="s")
    result = diff(old, {**old, "create": "b", "stdin": "t"}, old)
    assert result.has_changes
    assert result.detailed == {"create": Kind.UPDATE, "stdin": Kind.UPDATE}
    assert result.replaces == [] and result.diffs == ["create", "stdin"]


def test_a_changed_connection_is_an_update_not_a_replace() -> None:
    # common/inputs.go: only Triggers is `provider:"replaceOnChanges"`; connection is a
    # secret (not an object to the SDK's diff), so the whole key changes (issue 447).
    old = checked(create="a")
    new = checked(create="a")
    new["connection"] = Secret({**new["connection"].value, "host": "10.99.0.13"})
    result = diff(old, new, old)
    assert result.detailed == {"connection": Kind.UPDATE}
    assert result.replaces == []


def test_triggers_added_or_removed_replace() -> None:
    # infer/resource.go diff: forceReplace(k) for k == "triggers" (schema ReplaceOnChanges).
    old = checked(create="a")
    added = diff(old, {**old, "triggers": ["v1"]}, old)
    assert added.detailed == {"triggers": Kind.ADD_REPLACE} and added.replaces == ["triggers"]
    removed = diff({**old, "triggers": ["v1"]}, old, old)
    assert removed.detailed == {"triggers": Kind.DELETE_REPLACE} and removed.replaces == ["triggers"]


def test_a_changed_trigger_element_is_an_update_here_and_the_engine_replaces() -> None:
    # The detailed key is "triggers[0]", which is not a schema property, so infer does not
    # force a replace; the SDK registers replaceOnChanges ["triggers[*]"]
    # (pulumi_command/remote/command.py), and the ENGINE turns it into a replace.
    old = {**checked(create="a"), "triggers": ["v1", "same"]}
    result = diff(old, {**old, "triggers": ["v2", "same"]}, old)
    assert result.detailed == {"triggers[0]": Kind.UPDATE}
    assert result.replaces == [] and result.diffs == ["triggers"]
    grown = diff(old, {**old, "triggers": ["v1", "same", "new"]}, old)
    assert grown.detailed == {"triggers[2]": Kind.ADD}


def test_a_secret_and_a_plain_equal_value_differ() -> None:
    # properties_diff.go DeepEquals: a secret equals only a secret with an equal element.
    old = checked(create="a", stdin="s")
    assert diff(old, {**old, "stdin": Secret("s")}, old).detailed == {"stdin": Kind.UPDATE}
    assert not diff({**old, "stdin": Secret("s")}, {**old, "stdin": Secret("s")}, old).has_changes


def test_ignore_changes_and_internal_keys() -> None:
    # infer/resource.go diff: ignoreChanges copied from the state; "version" and "__" keys dropped.
    old = checked(create="a")
    result = diff(old, {**old, "create": "b", "version": "1.2.1", "__defaults": []}, old, ["create"])
    assert not result.has_changes


def test_property_paths_are_formatted_as_the_sdk_does() -> None:
    assert format_path(("triggers", 0)) == "triggers[0]"
    assert format_path(("environment", "A_B")) == "environment.A_B"
    assert format_path(("environment", "with space")) == 'environment["with space"]'


# --------------------------------------------------------------------------- operations


class FakeRunner:
    """Records what would run over SSH and answers like a host."""

    def __init__(self, stdout: str = "out", stderr: str = "", fail: str | None = None):
        self.calls: list[dict[str, Any]] = []
        self.stdout, self.stderr, self.fail = stdout, stderr, fail

    def __call__(self, conn: ssh.Connection, command: str, stdin: str | None, environment: Mapping[str, str],
                 log_stdout: Any, log_stderr: Any, status: Any) -> ssh.Execution:
        self.calls.append({"connection": conn, "command": command, "stdin": stdin, "environment": dict(environment),
                           "log_stdout": log_stdout is not None, "log_stderr": log_stderr is not None})
        if self.fail is not None:
            raise ssh.CommandError(self.fail)
        return ssh.Execution(0, self.stdout, self.stderr, self.stdout + self.stderr)


def no_log(line: str) -> None:
    pass


def test_create_in_a_preview_runs_nothing_and_leaves_outputs_unknown() -> None:
    # commandController.go Create returns before running on DryRun; infer markComputed
    # makes outputs that are not inputs unknown on a create preview.
    runner = FakeRunner()
    resource_id, outputs = operations.create("w1-prepare-host", checked(create="a"), True, no_log, runner)
    assert runner.calls == []
    assert outputs["stdout"] is UNKNOWN and outputs["stderr"] is UNKNOWN
    assert resource_id.startswith("w1-prepare-host") and len(resource_id) == len("w1-prepare-host") + 8


def test_create_runs_create_with_stdin_and_environment_and_keeps_input_secrets() -> None:
    runner = FakeRunner(stdout="done")
    inputs = checked(create="bash -s -- apply", stdin=Secret("script"), environment={"A": "1"}, logging="stderr")
    _, outputs = operations.create("c", inputs, False, no_log, runner)
    [call] = runner.calls
    assert (call["command"], call["stdin"], call["environment"]) == ("bash -s -- apply", "script", {"A": "1"})
    assert call["connection"].private_key == "KEY" and call["connection"].port == 22
    assert (call["log_stdout"], call["log_stderr"]) == (False, True)  # remote/logging.go
    assert outputs["stdout"] == "done" and outputs["stdin"] == Secret("script")
    assert isinstance(outputs["connection"], Secret)


def test_create_without_a_create_command_runs_nothing() -> None:
    runner = FakeRunner()
    _, outputs = operations.create("c", checked(delete="x"), False, no_log, runner)
    assert runner.calls == [] and (outputs["stdout"], outputs["stderr"]) == ("", "")


def test_update_runs_update_else_create_with_the_previous_output_in_env() -> None:
    # commandController.go Update; commandOutputs.go: PULUMI_COMMAND_STDOUT from the old state.
    olds = {**checked(create="a"), "stdout": "previous", "stderr": ""}
    runner = FakeRunner(stdout="new")
    outputs = operations.update(olds, checked(create="b", update="u"), False, no_log, runner)
    assert runner.calls[0]["command"] == "u"
    assert runner.calls[0]["environment"] == {"PULUMI_COMMAND_STDOUT": "previous"}
    assert outputs["stdout"] == "new"
    operations.update(olds, checked(create="b", addPreviousOutputInEnv=False), False, no_log, runner)
    assert runner.calls[1]["command"] == "b" and runner.calls[1]["environment"] == {}


def test_update_without_commands_keeps_the_old_output() -> None:
    olds = {**checked(create="a"), "stdout": "kept", "stderr": "e"}
    outputs = operations.update(olds, checked(delete="d"), False, no_log, FakeRunner())
    assert (outputs["stdout"], outputs["stderr"]) == ("kept", "e")


def test_update_preview_marks_output_unknown_when_an_input_changed() -> None:
    olds = {**checked(create="a"), "stdout": "kept", "stderr": ""}
    changed = operations.update(olds, checked(create="b"), True, no_log, FakeRunner())
    assert changed["stdout"] is UNKNOWN


def test_delete_runs_the_stored_delete_with_the_stored_stdin() -> None:
    runner = FakeRunner()
    state = {**checked(create="a", delete="bash -s -- remove", stdin="script"), "stdout": "o", "stderr": ""}
    operations.delete(state, no_log, runner)
    [call] = runner.calls
    assert (call["command"], call["stdin"]) == ("bash -s -- remove", "script")
    operations.delete(checked(create="a"), no_log, runner)
    assert len(runner.calls) == 1, "no delete command: nothing runs"


def test_a_failed_command_fails_the_operation() -> None:
    with pytest.raises(ssh.CommandError, match="status 3"):
        operations.create("c", checked(create="a"), False, no_log, FakeRunner(fail="Process exited with status 3"))


def test_unsupported_connection_kinds_are_refused_by_name() -> None:
    with pytest.raises(ssh.CommandError, match="password"):
        operations.create("c", checked(create="a") | {"connection": Secret({**connection(), "password": "p"})},
                          False, no_log, ssh.run)


# --------------------------------------------------------------------------- ssh (pure)


def test_error_texts_are_the_real_providers() -> None:
    # commandOutputs.go: fmt.Errorf("%w: running %q:\n%s", err, cmd, stdouterr)
    assert ssh.exit_error(3, 'bash -s -- "apply"', "out\nerr\n") == (
        'Process exited with status 3: running "bash -s -- \\"apply\\"":\nout\nerr\n'
    )
    assert ssh.go_quote("a\tb\x01é") == '"a\\tb\\x01é"'


def test_dial_error_limit_counts_retries_after_the_first_try() -> None:
    # connection.go reachedDialingErrorLimit: dials > limit; -1 is unlimited.
    assert [n for n in range(1, 13) if ssh.dial_limit_reached(n, 10)] == [11, 12]
    assert ssh.dial_limit_reached(1, 0)
    assert not any(ssh.dial_limit_reached(n, -1) for n in range(1, 100))


def test_host_keys_parse_like_parse_authorized_key() -> None:
    assert ssh.host_key_type(ED25519) == "ssh-ed25519"
    with pytest.raises(ssh.CommandError, match="failed to parse host key"):
        ssh.host_key_type("ssh-ed25519 not-base64!")
    with pytest.raises(ssh.CommandError, match="failed to parse host key"):
        ssh.host_key_type("ssh-rsa " + ED25519.split()[1])  # blob says ed25519


def test_dial_errors_read_like_go_with_openssh_words_kept() -> None:
    refused = ssh.dial_error("ssh: connect to host 10.0.0.1 port 22: Connection refused\n", "10.0.0.1:22", None)
    assert refused.startswith("dial tcp 10.0.0.1:22: connect: connection refused (OpenSSH: ")
    mismatch = ssh.dial_error("Host key verification failed.\n", "h:22", "ssh-ed25519")
    assert mismatch.startswith("ssh: handshake failed: ssh: host key mismatch")
    rsa = ssh.dial_error(
        "Unable to negotiate with 10.0.0.1 port 22: no matching host key type found. Their offer: rsa-sha2-512,rsa-sha2-256\n",
        "10.0.0.1:22", "ssh-rsa",
    )
    assert rsa.startswith(
        "ssh: handshake failed: ssh: no common algorithm for host key; we offered: [ssh-rsa], "
        "peer offered: [rsa-sha2-512 rsa-sha2-256]"
    )


# --------------------------------------------------------------------------- ssh (real client)


@pytest.fixture
def client_key(tmp_path: Path) -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "k")], check=True)
    return (tmp_path / "k").read_text()


def test_only_the_dial_is_retried_and_the_message_counts_retries(client_key: str) -> None:
    """A port nobody listens on: 1 try + dialErrorLimit retries, then the real message."""
    statuses: list[str] = []
    conn = ssh.Connection(host="127.0.0.1", port=1, private_key=client_key, host_key=ED25519, dial_error_limit=2)
    started = time.perf_counter()
    with pytest.raises(ssh.CommandError) as failure:
        ssh.run(conn, "true", None, {}, None, None, statuses.append)
    assert str(failure.value).startswith("after 2 failed attempts: dial tcp 127.0.0.1:1: connect: connection refused")
    assert statuses == ["Dial 1/2 failed: retrying", "Dial 2/2 failed: retrying"]
    assert time.perf_counter() - started < 10


def test_an_unparsable_private_key_fails_before_any_dial() -> None:
    statuses: list[str] = []
    conn = ssh.Connection(host="127.0.0.1", port=1, private_key="not a key", host_key=ED25519, dial_error_limit=5)
    with pytest.raises(ssh.CommandError, match="^ssh: no key found$"):
        ssh.run(conn, "true", None, {}, None, None, statuses.append)
    assert statuses == []


def test_no_key_material_is_left_behind(client_key: str, tmp_path: Path) -> None:
    before = set(Path("/tmp").glob("som-cmd-*"))
    conn = ssh.Connection(host="127.0.0.1", port=1, private_key=client_key, host_key=ED25519, dial_error_limit=0)
    with pytest.raises(ssh.CommandError):
        ssh.run(conn, "true", None, {}, None, None, lambda line: None)
    assert set(Path("/tmp").glob("som-cmd-*")) == before


# --------------------------------------------------------------------------- gRPC service


@pytest.fixture
def provider() -> Iterator[tuple[provider_pb2_grpc.ResourceProviderStub, FakeRunner]]:
    runner = FakeRunner(stdout="hello")
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(CommandProvider(EngineLog(None), runner), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield provider_pb2_grpc.ResourceProviderStub(grpc.insecure_channel(f"127.0.0.1:{port}")), runner
    finally:
        server.stop(grace=None)


def test_the_service_round_trips_secrets_and_answers_as_the_real_one(provider: Any) -> None:
    stub, runner = provider
    assert stub.GetPluginInfo(empty_pb2.Empty()).version == "1.2.1"
    configured = stub.Configure(provider_pb2.ConfigureRequest(acceptSecrets=True))
    assert configured.acceptSecrets and configured.supportsPreview
    with pytest.raises(grpc.RpcError) as missing:
        stub.CheckConfig(provider_pb2.CheckRequest(urn="urn:pulumi:dev::p::pulumi:providers:command::default"))
    assert missing.value.code() == grpc.StatusCode.UNIMPLEMENTED  # infer without a Config
    news = to_struct({"create": "c", "stdin": Secret("s"), "connection": connection()})
    inputs = stub.Check(provider_pb2.CheckRequest(urn=URN, news=news)).inputs
    created = stub.Create(provider_pb2.CreateRequest(urn=URN, properties=inputs))
    outputs = from_struct(created.properties)
    assert outputs["stdout"] == "hello" and outputs["stdin"] == Secret("s")
    assert runner.calls[0]["stdin"] == "s"
    same = stub.Diff(provider_pb2.DiffRequest(urn=URN, olds=created.properties, news=inputs, old_inputs=inputs))
    assert same.changes == provider_pb2.DiffResponse.DIFF_NONE
    news2 = stub.Check(provider_pb2.CheckRequest(urn=URN, news=to_struct({**from_struct(inputs), "triggers": [1]}))).inputs
    replaced = stub.Diff(provider_pb2.DiffRequest(urn=URN, olds=created.properties, news=news2, old_inputs=inputs))
    assert list(replaced.replaces) == ["triggers"] and replaced.changes == provider_pb2.DiffResponse.DIFF_SOME


def test_the_service_refuses_other_resource_types(provider: Any) -> None:
    stub, _ = provider
    with pytest.raises(grpc.RpcError) as refused:
        stub.Check(provider_pb2.CheckRequest(urn="urn:pulumi:dev::p::command:local:Command::x", news=to_struct({})))
    assert refused.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert "command:local:Command" in refused.value.details()


def test_a_failed_command_reaches_the_engine_as_the_error_text(provider: Any) -> None:
    stub, runner = provider
    runner.fail = ssh.exit_error(2, "bash -s -- apply", "boom\n")
    inputs = stub.Check(provider_pb2.CheckRequest(urn=URN, news=to_struct({"create": "bash -s -- apply", "connection": connection()}))).inputs
    with pytest.raises(grpc.RpcError) as failed:
        stub.Create(provider_pb2.CreateRequest(urn=URN, properties=inputs))
    assert failed.value.details() == 'Process exited with status 2: running "bash -s -- apply":\nboom\n'


def test_plugin_launch_details() -> None:
    assert engine_address(["-v=9", "--logtostderr", "127.0.0.1:4242"]) == "127.0.0.1:4242"
    assert resource_type(URN) == "command:remote:Command"
    text = launcher_text("/venv/bin/python", Path("/proj"))
    assert text.startswith("#!/bin/sh\n") and "-m lab.standins.pulumi_command" in text and "STAND-IN" in text
