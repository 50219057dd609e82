"""Bad input as a hostile or careless user writes it: refused, in words, with nothing echoed
that could be a secret (issue 14, items 3 to 5).

Why each class matters: the stack file is read by ``render`` (what a reviewer sees) and by
the Pulumi CLI (what ``up`` builds), and the two must agree or a review approves
something else than what runs; a value the API server or a host refuses later fails half
way through an ``up``; and error text goes to stderr and the engine's log, where a
private key pasted under the wrong setting must never appear.
"""

from __future__ import annotations

import base64
import struct
from pathlib import Path
from typing import Any, Mapping

import pytest

from components.config import SecretSetting
from components.problems import ConfigError, ConfigProblem, shown
from components.stack import load_stack_file, settings
from components.stack_yaml import MAX_VALUES
from components.validation import load_platform
from tests.factories import HOST_KEY, PLAIN_PRIVATE_KEY, TODAY, load, valid_config, with_settings, write_project

BASE_STACK = """\
config:
  spark-on-metal:kubernetesVersion: 1.35.4
  spark-on-metal:podSubnet: 10.0.0.0/17
  spark-on-metal:podPool: 10.0.64.0/20
  spark-on-metal:gateway: 10.0.127.254
  spark-on-metal:serviceCidr: 10.0.80.0/24
  spark-on-metal:sshPrivateKey:
    secure: v1:c2Vj:Zm9yLXRlc3Rz
  spark-on-metal:nodes:
    - name: cp
      address: 10.0.0.61
      roles: [control-plane, dns]
      sshHostKey: {key}
    - name: w1
      address: 10.0.0.62
      sshHostKey: {key}
""".replace("{key}", HOST_KEY)

TOKEN = "abcdef.0123456789abcdef"  # a kubeadm bootstrap token's shape
CERTIFICATE_KEY = "f" * 64


def stack_problems(tmp_path: Path, text: str) -> tuple[ConfigProblem, ...]:
    write_project(tmp_path, "hostile", text)
    with pytest.raises(ConfigError) as caught:
        load_stack_file("hostile", tmp_path)
    return caught.value.problems


def problems_of(changes: Mapping[str, Any]) -> tuple[ConfigProblem, ...]:
    with pytest.raises(ConfigError) as caught:
        load_platform(with_settings(valid_config(), changes), "test", TODAY)
    return caught.value.problems


def at(problems: tuple[ConfigProblem, ...], key: str) -> list[ConfigProblem]:
    found = [p for p in problems if p.key == key]
    assert found, f"nothing reported at {key}: {problems}"
    return found


def report(problems: tuple[ConfigProblem, ...]) -> str:
    return ConfigError(problems).report()


# ---------------------------------------------------------------------------- the YAML the CLI reads


@pytest.mark.parametrize(
    "line, key, words",
    [
        pytest.param("  spark-on-metal:allowEndOfLife: 1.30\n", "allowEndOfLife", "quote it ('1.30')", id="version-as-a-float"),
        pytest.param("  spark-on-metal:sshPort: 022\n", "sshPort", "the number 18", id="octal-port"),
        pytest.param("  spark-on-metal:apiPort: 6_443\n", "apiPort", "write 6443", id="underscored-number"),
        pytest.param("  spark-on-metal:apiPort: 1e3\n", "apiPort", "the number 1000", id="exponent-number"),
        pytest.param("  spark-on-metal:clusterName: 2026-01-02\n", "clusterName", "reads as a date", id="date"),
        pytest.param("  spark-on-metal:podSlicePrefix: .inf\n", "podSlicePrefix", "Pulumi cannot store", id="infinity"),
        pytest.param("  spark-on-metal:clusterName: !!python/name:os.system\n", "clusterName", "tag", id="python-tag"),
    ],
)
def test_a_value_the_cli_would_read_otherwise_than_written_is_refused_with_its_line(
    line: str, key: str, words: str, tmp_path: Path
) -> None:
    found = at(stack_problems(tmp_path, BASE_STACK + line), key)
    assert any(words in p.message or words in p.fix for p in found), found
    assert any("(line 17)" in p.message for p in found), found


def test_a_key_given_twice_is_refused_as_the_cli_refuses_it(tmp_path: Path) -> None:
    text = BASE_STACK + "  spark-on-metal:apiPort: 6443\n  spark-on-metal:apiPort: 7443\n"
    (problem,) = at(stack_problems(tmp_path, text), "apiPort")
    assert "given twice" in problem.message and "first at line 17" in problem.message


def test_a_key_given_bare_and_with_its_namespace_is_refused(tmp_path: Path) -> None:
    (problem,) = at(stack_problems(tmp_path, BASE_STACK + "  gateway: 10.0.127.1\n"), "spark-on-metal:gateway")
    assert "given twice" in problem.message and "'gateway'" in problem.message


def test_a_key_given_twice_inside_a_node_is_refused(tmp_path: Path) -> None:
    text = BASE_STACK + "      address: 10.0.0.99\n"
    (problem,) = at(stack_problems(tmp_path, text), "nodes[1].address")
    assert "given twice" in problem.message


def test_yaml_1_1_words_stay_text_as_the_cli_reads_them(tmp_path: Path) -> None:
    """`yes` is true to YAML 1.1 (PyYAML) and text to the CLI (YAML 1.2)."""
    found = at(stack_problems(tmp_path, BASE_STACK + "  spark-on-metal:cgroupV1: yes\n"), "cgroupV1")
    assert any("'yes'" in p.message for p in found), found


def test_sexagesimal_numbers_stay_text(tmp_path: Path) -> None:
    """YAML 1.1 reads 1:30 as 90; the CLI passes the text."""
    found = at(stack_problems(tmp_path, BASE_STACK + "  spark-on-metal:clusterName: 1:30\n"), "clusterName")
    assert any("'1:30'" in p.message for p in found), found


def test_numbers_and_bare_keys_read_as_the_engine_hands_them(tmp_path: Path) -> None:
    """The CLI passes top-level scalars as text and puts a bare key in the project's
    namespace: `clusterName: 123` is the name "123", as `pulumi up` would see it."""
    write_project(tmp_path, "cli", BASE_STACK + "  clusterName: 123\n  spark-on-metal:apiEndpoint: ~\n")
    config = load_stack_file("cli", tmp_path).config
    assert config.cluster_name == "123"
    assert config.api_endpoint is None
    assert config.api_port == 6443


def test_the_engine_reader_takes_the_cli_s_strings() -> None:
    values = {
        "spark-on-metal:kubernetesVersion": "1.35.4",
        "spark-on-metal:podSubnet": "10.0.0.0/17",
        "spark-on-metal:podPool": "10.0.64.0/20",
        "spark-on-metal:gateway": "10.0.127.254",
        "spark-on-metal:serviceCidr": "10.0.80.0/24",
        "spark-on-metal:sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----",
        "spark-on-metal:apiPort": "7443",
        "spark-on-metal:clusterName": "123",
        "spark-on-metal:nodes": f'[{{"name":"cp","address":"10.0.0.61","roles":["control-plane","dns"],"sshHostKey":"{HOST_KEY}"}}]',
    }
    raw, problems = settings(values, {"spark-on-metal:sshPrivateKey"})
    assert problems == []
    assert raw["sshPrivateKey"] == SecretSetting(stored_as_secret=True)
    config = load_platform(raw, "test", TODAY).config
    assert (config.api_port, config.cluster_name, config.nodes[0].name) == (7443, "123", "cp")


def test_aliases_expand_only_to_a_bound(tmp_path: Path) -> None:
    """A billion-laughs file is one problem, not megabytes of error text."""
    lines = ["x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    text = BASE_STACK + "  spark-on-metal:tenants:\n" + "".join(f"    {line}\n" for line in lines)
    problems = stack_problems(tmp_path, text)
    assert any(f"more than {MAX_VALUES} values" in p.message for p in problems), problems
    assert len(report(problems)) < 4000


def test_a_self_referencing_alias_ends(tmp_path: Path) -> None:
    problems = stack_problems(tmp_path, BASE_STACK + "  spark-on-metal:tenants: &loop [*loop]\n")
    assert any("aliases" in p.message for p in problems), problems


def test_merge_keys_are_refused(tmp_path: Path) -> None:
    text = BASE_STACK + "  spark-on-metal:dns:\n    <<: {attempts: 3}\n"
    assert any("merge keys" in p.message for p in stack_problems(tmp_path, text))


def test_a_yaml_syntax_error_never_quotes_the_file(tmp_path: Path) -> None:
    """PyYAML's message shows the lines around the fault: a pasted key would go with it."""
    body = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB"
    text = BASE_STACK + f"  spark-on-metal:clusterName: -----BEGIN OPENSSH PRIVATE KEY-----\n{body}\n  : ]\n"
    problems = stack_problems(tmp_path, text)
    assert any("is not valid YAML" in p.message and "line" in p.message for p in problems), problems
    assert body not in report(problems) and "BEGIN" not in report(problems)


# ---------------------------------------------------------------------------- values echoed


@pytest.mark.parametrize(
    "setting, value, hidden",
    [
        pytest.param("clusterName", PLAIN_PRIVATE_KEY, "b3BlbnNzaC1rZXktdjEAAAAA", id="private-key"),
        pytest.param("clusterName", TOKEN, TOKEN, id="bootstrap-token"),
        pytest.param("cgroupV1", CERTIFICATE_KEY, CERTIFICATE_KEY, id="certificate-key"),
        pytest.param("macvlanInterface", "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9w", "QUJDREVGR0hJSktM", id="base64"),
    ],
)
def test_a_value_that_looks_like_a_secret_is_never_echoed(setting: str, value: str, hidden: str) -> None:
    problems = problems_of({setting: value})
    text = report(problems)
    assert hidden not in text
    assert "looks like a key or token" in text


def test_a_long_value_is_quoted_in_part_and_on_one_line() -> None:
    value = "x-" * 150 + "\nsecond line"
    (problem,) = at(problems_of({"clusterName": value}), "clusterName")
    assert "second line" not in problem.message
    assert len(problem.message) < 200 and "..." in problem.message


def test_a_mapping_where_text_belongs_is_described_not_dumped() -> None:
    (problem,) = at(problems_of({"clusterName": {f"k{i}": "v" * 50 for i in range(40)}}), "clusterName")
    assert "a mapping of 40 key(s)" in problem.message
    assert "vvvvv" not in problem.message


def test_shown_keeps_plain_values_readable() -> None:
    assert shown("registry.k8s.io") == "'registry.k8s.io'"
    assert shown(None) == "nothing (null)"
    assert shown(True) == "true (true/false)"


# ---------------------------------------------------------------------------- accepted until now


@pytest.mark.parametrize(
    "changes, key, words",
    [
        pytest.param({"nodes[1].taints": [{"key": "gpu", "value": "a"}, {"key": "gpu", "value": "a"}]}, "nodes[1].taints", "taints[1] repeats taints[0]", id="duplicate-taint"),
        pytest.param({"nodes[1].taints": [{"key": "gpu", "value": "a"}, {"key": "gpu", "value": "b"}]}, "nodes[1].taints", "with another value", id="contradictory-taint"),
        pytest.param({"nodes[0].taints": [{"key": "node-role.kubernetes.io/control-plane"}]}, "nodes[0].taints[0]", "the control-plane taint", id="control-plane-taint-again"),
        pytest.param({"nodes[1].taints": [{"key": "spark", "value": "other"}]}, "nodes[1].taints[0]", "tenant spark's taint", id="tenant-taint-contradicted"),
        pytest.param({"dns": {"upstreams": ["127.0.0.53"]}}, "dns.upstreams", "loopback", id="upstream-stub-resolver"),
        pytest.param({"dns": {"upstreams": ["0.0.0.0"]}}, "dns.upstreams", "unspecified", id="upstream-unspecified"),
        pytest.param({"dns": {"upstreams": ["224.0.0.251"]}}, "dns.upstreams", "multicast", id="upstream-multicast"),
        pytest.param({"dns": {"upstreams": ["255.255.255.255"]}}, "dns.upstreams", "broadcast", id="upstream-broadcast"),
        pytest.param({"dns": {"upstreams": ["10.0.0.2", "10.0.0.2"]}}, "dns.upstreams", "listed twice", id="upstream-twice"),
        pytest.param({"dns": {"upstreams": ["10.0.0.61"]}}, "dns.upstreams[0]", "would loop", id="upstream-is-the-dns-node"),
        pytest.param({"sshUser": ""}, "sshUser", "is not a user name", id="ssh-user-empty"),
        pytest.param({"sshUser": "root\n"}, "sshUser", "is not a user name", id="ssh-user-newline"),
        pytest.param({"sshUser": "ad min"}, "sshUser", "is not a user name", id="ssh-user-space"),
        pytest.param({"nodes[1].sshUser": " deploy"}, "nodes[1].sshUser", "is not a user name", id="node-ssh-user-space"),
        pytest.param({"apiPort": True}, "apiPort", "true (true/false) is not a number", id="port-true"),
        pytest.param({"nodes[1].sshPort": True}, "nodes[1].sshPort", "is not a number", id="node-port-true"),
        pytest.param({"dns": {"attempts": True}}, "dns.attempts", "is not a number", id="attempts-true"),
        pytest.param({"tenants[0].quota": {"pods": False}}, "tenants[0].quota.pods", "is not a number", id="quota-false"),
        pytest.param({"nodes[1].address": 167772222}, "nodes[1].address", "the number 167772222 is not an IPv4 address", id="address-as-number"),
        pytest.param({"podSubnet": 5}, "podSubnet", "is not an IPv4 network", id="network-as-number"),
        pytest.param({"apiEndpoint": "10.0.0.256"}, "apiEndpoint", "is not an IPv4 address", id="endpoint-octet-256"),
        pytest.param({"apiEndpoint": "10.0.300"}, "apiEndpoint", "is not an IPv4 address", id="endpoint-three-numbers"),
        pytest.param({"apiServerCertSANs": ["api.example.com", "10.0.999.1"]}, "apiServerCertSANs[1]", "is not an IPv4 address", id="san-octet"),
        pytest.param({"spark": {"priorities": {"sparkExecutor": -(2**31) - 1}}}, "spark.priorities.sparkExecutor", "greater than or equal to -2147483648", id="priority-below-int32"),
        pytest.param({"tenants[0].containerDefaults": {"cpuRequest": "2", "cpuLimit": "1500m"}}, "tenants[0].containerDefaults", "cpu request 2 is above", id="cpu-request-above-limit"),
        pytest.param({"tenants[0].containerDefaults": {"memoryRequest": "8Gi"}}, "tenants[0].containerDefaults", "memory request 8Gi is above the default memory limit 4Gi", id="memory-request-above-default-limit"),
    ],
)
def test_a_mistake_the_cluster_or_a_host_would_refuse_later_is_refused_now(changes: Mapping[str, Any], key: str, words: str) -> None:
    found = at(problems_of(changes), key)
    assert any(words in p.message for p in found), found
    assert all(p.fix and "documented type" not in p.fix for p in found), found


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"nodes[1].taints": [{"key": "gpu", "effect": "NoSchedule"}, {"key": "gpu", "effect": "NoExecute"}]}, id="same-key-other-effects"),
        pytest.param({"dns": {"upstreams": ["10.0.0.62", "169.254.169.253"]}}, id="upstream-a-worker-and-link-local"),
        pytest.param({"sshUser": "svc.deploy_1", "nodes[1].sshUser": "admin"}, id="ssh-users"),
        pytest.param({"apiEndpoint": "10.0.0.61", "apiServerCertSANs": ["k8s.example.com", "10.0.0.10"]}, id="endpoint-and-sans"),
        pytest.param({"spark": {"priorities": {"sparkExecutor": -(2**31)}}}, id="priority-int32-min"),
        pytest.param({"tenants[0].containerDefaults": {"cpuRequest": "1500m", "cpuLimit": "2", "memoryRequest": "4Gi"}}, id="requests-at-or-below-limits"),
        pytest.param({"tenants[0].containerDefaults": {"cpuRequest": "64"}}, id="cpu-request-without-limit"),
    ],
)
def test_the_neighbouring_valid_values_still_load(changes: Mapping[str, Any]) -> None:
    load(with_settings(valid_config(), changes))


def _key_line(kind: str, *parts: bytes) -> str:
    blob = b"".join(struct.pack(">I", len(part)) + part for part in (kind.encode(), *parts))
    return f"{kind} {base64.b64encode(blob).decode()}"


def _parts(line: str) -> list[bytes]:
    raw, parts, offset = base64.b64decode(line.split()[1]), [], 0
    while offset < len(raw):
        (length,) = struct.unpack(">I", raw[offset : offset + 4])
        parts.append(raw[offset + 4 : offset + 4 + length])
        offset += 4 + length
    return parts


ECDSA_256 = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBNMNmgFDAG/bbm8wxr35CL7YFww9W1PtZ73+Id1fOTG+6YuRYypBm2JzlJdC9O25xNp2E5h2M+4Vaqf//L2qC/U="
RSA_2048 = (
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDRzn3Oe1fROKvedr7SlTFQAwScYUHfg+A+78zh5gcMG5Jk0NvC9uKvblhRQPxQp0RGvSB691Sf07cuE73Pp1MhAlRk0ju9k7Ohy44aHkqWJ0olaYjv8+g5s5tdA+EFqXfH6tXKrBX0hMWJ/dykw1GSMDAoObOOAvGZEg37OPKdKzeIaa+rkmupM2OWGKuFGgPS85rBIJ1tuYJkbJVhKxR+/Ura9bZZoVnYJuVmxNuScm9o5Hl7flixedQVZFibXfTpGQ5FTm08/e77XUS6DMZfq5BemPpV5qNzLO35xWglT9smGEeyEruVqv3OcGPsbQ+A70r6S/jRfBx4OsT9VfXj"
)
ED25519_Y2 = (2).to_bytes(32, "little")  # y = 2 has no x on edwards25519


@pytest.mark.parametrize(
    "line, words",
    [
        pytest.param(_key_line("ssh-ed25519", ED25519_Y2), "not a point of the curve", id="ed25519-off-curve"),
        pytest.param(_key_line("ecdsa-sha2-nistp256", b"nistp256", _parts(ECDSA_256)[2][:-1] + bytes([_parts(ECDSA_256)[2][-1] ^ 1])), "not a point of the curve", id="ecdsa-off-curve"),
        pytest.param(_key_line("ecdsa-sha2-nistp256", b"nistp256", b"\x02" + _parts(ECDSA_256)[2][1:33]), "not a point of the curve", id="ecdsa-compressed"),
        pytest.param(_key_line("ssh-rsa", b"\x01\x00\x00", _parts(RSA_2048)[2]), "exponent", id="rsa-even-exponent"),
        pytest.param(_key_line("ssh-rsa", b"\x01\x00\x01", b"\x00" + b"\xff" * 64), "512 bits", id="rsa-512-bits"),
        pytest.param(_key_line("ssh-rsa", b"\x01\x00\x01", b"\xc1" + b"\x00" * 255), "negative", id="rsa-negative-modulus"),
    ],
)
def test_a_host_key_of_the_right_shape_but_no_real_key_is_refused(line: str, words: str) -> None:
    found = at(problems_of({"nodes[1].sshHostKey": line}), "nodes[1].sshHostKey")
    assert any(words in p.message for p in found), found


@pytest.mark.parametrize("line", [HOST_KEY, ECDSA_256, RSA_2048], ids=["ed25519", "ecdsa-p256", "rsa-2048"])
def test_real_host_keys_of_each_type_load(line: str) -> None:
    load(with_settings(valid_config(), {"nodes[1].sshHostKey": line}))


# ---------------------------------------------------------------------------- messages


def test_a_typo_in_the_namespace_hides_no_other_problem(tmp_path: Path) -> None:
    text = BASE_STACK + "  spark-on-metl:apiPort: 7443\n  spark-on-metal:podSlicePrefix: 40\n"
    problems = stack_problems(tmp_path, text)
    (typo,) = at(problems, "spark-on-metl:apiPort")
    assert "did you mean 'spark-on-metal'" in typo.fix
    at(problems, "podSlicePrefix")


def test_a_foreign_key_is_printed_as_written_without_the_project_prefix(tmp_path: Path) -> None:
    problems = stack_problems(tmp_path, BASE_STACK + "  sparkonmetal:nodes: []\n")
    text = report(problems)
    assert "\nsparkonmetal:nodes: unknown namespace 'sparkonmetal'" in text
    assert "spark-on-metal:sparkonmetal" not in text


def test_a_key_with_two_namespaces_names_the_fix(tmp_path: Path) -> None:
    (problem,) = at(stack_problems(tmp_path, BASE_STACK + "  spark-on-metal:sparkonmetal:nodes: []\n"), "spark-on-metal:sparkonmetal:nodes")
    assert "more than one ':'" in problem.message and "spark-on-metal:nodes" in problem.fix


def test_no_message_names_a_python_type_and_no_fix_is_generic() -> None:
    """'got NoneType' and 'give a value of the documented type' read as bugs to a user."""
    problems = problems_of({
        "nodes": None, "tenants": "spark", "apiPort": "x", "podSlicePrefix": 3.5, "cgroupV1": 1,
        "dns": {"upstreams": "10.0.0.2", "attempts": "x", "timeoutSeconds": []}, "spark": [], "clusterName": 5,
    })
    text = report(problems)
    for word in ("NoneType", "'dict'", "'str'", "'list'", "<class", "documented type"):
        assert word not in text, (word, text)
    assert "expected a list, got nothing (null)" in text


def test_the_engine_path_prints_each_problem_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """pulumi up logs every problem, then stops with a count, not the whole list again."""
    import pulumi

    from components import program

    logged: list[str] = []
    monkeypatch.setattr(program, "engine_config", lambda: ({"spark-on-metal:apiPort": "x"}, set()))
    monkeypatch.setattr(pulumi.log, "error", lambda message, *args, **kwargs: logged.append(message))
    with pytest.raises(pulumi.RunError) as caught:
        program.load()
    assert any(entry.startswith("spark-on-metal:apiPort:") for entry in logged)
    assert "apiPort" not in str(caught.value) and "problems (listed above)" in str(caught.value)


def test_the_cross_checks_read_exactly_so() -> None:
    """Literal texts for the checks that compare a setting with the rest of the stack."""
    taint = at(problems_of({"nodes[0].taints": [{"key": "node-role.kubernetes.io/control-plane"}]}), "nodes[0].taints[0]")
    assert [(p.message, p.fix) for p in taint] == [(
        "node-role.kubernetes.io/control-plane with effect NoSchedule is the control-plane taint, which the platform sets on this node",
        "remove it (the platform's taint is always there)",
    )]
    upstream = at(problems_of({"dns": {"upstreams": ["10.0.0.61"]}}), "dns.upstreams[0]")
    assert [(p.message, p.fix) for p in upstream] == [(
        "10.0.0.61 is DNS node cp, where CoreDNS itself listens: every query it cannot answer would loop",
        "give resolvers outside the cluster, or leave upstreams empty (the hosts' own real upstreams)",
    )]


def test_a_worker_may_carry_a_taint_named_like_the_control_planes() -> None:
    """The platform sets the control-plane taint on control planes only; on a worker the same key is the user's own."""
    load(with_settings(valid_config(), {"tenants[0].taintNodes": False, "nodes[1].taints": [{"key": "node-role.kubernetes.io/control-plane"}]}))


def test_the_upload_path_in_a_tenants_spark_settings_is_refused_too() -> None:
    """Only spark.uploadPath (checked: s3a or hdfs, no credentials) may set it, for the stack or a tenant."""
    (problem,) = at(problems_of({"tenants[0].sparkConf": {"spark.kubernetes.file.upload.path": "s3a://b/x"}}), "tenants[0].sparkConf")
    assert (problem.message, problem.fix) == (
        "spark.kubernetes.file.upload.path has its own, checked setting",
        "remove it here and set spark.uploadPath (an s3a:// or hdfs:// URI) instead",
    )
