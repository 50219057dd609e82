"""The cluster's resource graph under mocks: what runs where, in which order, with what secrecy.

These are the engine-facing contracts of the Pulumi shell: a change in them shows up on
real racks as spurious re-runs, serialised joins, or secrets in state.
"""

from __future__ import annotations

import base64
import json
from datetime import date
from functools import lru_cache

import pytest
from pulumi.runtime import rpc

from components import validation
from components.steps import SECRET_STEPS
from components.vocabulary import step_resource_name
from components.steps.certificates import renewal_period
from tests.program_mocks import Registration, RunResult, echo_inputs, engine_config, run_program, unwrap
from tests.unit.test_certificates import ONE_YEAR
from tests.unit.test_certificates import kubeconfig as kubeconfig_with
from tests.scale import SSH_KEY, scaled_config

COMMAND = "command:remote:Command"
SECRETS = {"sshPrivateKey": SSH_KEY}


@lru_cache(maxsize=None)
def run_stack(stack: str) -> RunResult:
    config, secret_keys = engine_config(stack, SECRETS)
    result = run_program(config, secret_keys, stack=stack)
    assert result.error is None, result.error
    return result


@lru_cache(maxsize=None)
def run_scaled(workers: int) -> RunResult:
    config, secret_keys = scaled_config(workers)
    result = run_program(config, secret_keys, stack="scale")
    assert result.error is None, result.error
    return result


def commands(result: RunResult) -> dict[str, Registration]:
    return {r.name: r for r in result.by_type(COMMAND)}


def depth(result: RunResult, urn: str, memo: dict[str, int] | None = None) -> int:
    """Longest chain of dependencies ending at ``urn`` (a root has depth 1)."""
    memo = {} if memo is None else memo
    if urn not in memo:
        deps = [d for d in result.registrations[urn].dependencies if d in result.registrations]
        memo[urn] = 1 + max((depth(result, d, memo) for d in deps), default=0)
    return memo[urn]


def critical_path(result: RunResult, step: str) -> int:
    memo: dict[str, int] = {}
    return max(depth(result, r.urn, memo) for r in result.by_type(COMMAND) if r.name.endswith(f"-{step}"))


def test_each_step_runs_on_the_right_host_with_a_pinned_key() -> None:
    result = run_stack("dev")
    cmds = commands(result)
    hosts = {name: unwrap(reg.inputs["connection"])["host"] for name, reg in cmds.items()}
    assert hosts == {
        "cp1-prepare-host": "10.99.0.11", "cp1-host-network": "10.99.0.11", "cp1-kubeadm": "10.99.0.11",
        "cp1-api-vip": "10.99.0.11",
        "w1-prepare-host": "10.99.0.12", "w1-host-network": "10.99.0.12", "w1-kubeadm": "10.99.0.12",
        "w2-prepare-host": "10.99.0.13", "w2-host-network": "10.99.0.13", "w2-kubeadm": "10.99.0.13",
        # minted and awaited on the control plane, on behalf of each joining node
        "w1-join-credentials": "10.99.0.11", "w2-join-credentials": "10.99.0.11",
        "w1-node-registered": "10.99.0.11", "w2-node-registered": "10.99.0.11", "cp1-node-registered": "10.99.0.11",
        # the monthly renewal check, on the control plane itself
        "cp1-certificates": "10.99.0.11",
        # an upgrade: drained and put back by the control plane, upgraded on the node
        **{f"{node}-upgrade-{part}": "10.99.0.11" for node in ("cp1", "w1", "w2") for part in ("drain", "uncordon")},
        **{f"{node}-{part}-upgrade": address for node, address in (("cp1", "10.99.0.11"), ("w1", "10.99.0.12"), ("w2", "10.99.0.13"))
           for part in ("kubeadm", "kubelet")},
    }
    for name, reg in cmds.items():
        conn = unwrap(reg.inputs["connection"])
        assert conn["hostKey"].startswith("ssh-ed25519 "), name
        assert conn["user"] == "root" and conn["port"] == 22
        assert conn["dialErrorLimit"] > 0 and conn["perDialTimeout"] > 0, "no dial timeout: pulumi-command issue 199"
        assert "connection" in reg.secret_inputs, "the connection carries the private key"
        assert reg.inputs["create"] == "bash -s -- apply" and reg.inputs["delete"] == "bash -s -- remove"
        assert reg.inputs["addPreviousOutputInEnv"] is False, "pulumi-command issue 430"
        assert unwrap(reg.inputs["stdin"]).startswith("#!/usr/bin/env bash\n")


def test_commands_are_children_of_the_node_they_concern() -> None:
    result = run_stack("dev")
    for name, reg in commands(result).items():
        node = name.split("-")[0]
        parent = result.registrations[reg.parent]
        assert parent.type == "spark-on-metal:cluster:Node" and parent.name == node


def test_pipeline_order() -> None:
    cmds = commands(run_stack("dev"))
    names = {reg.urn: name for name, reg in cmds.items()}

    def deps(name: str) -> set[str]:
        return {names[d] for d in cmds[name].dependencies if d in names}

    assert deps("cp1-prepare-host") == set()
    assert deps("cp1-host-network") == {"cp1-prepare-host"}
    assert deps("cp1-api-vip") == {"cp1-host-network"}
    assert deps("cp1-kubeadm") == {"cp1-host-network", "cp1-api-vip"}
    # a joining node waits for the first control plane's upgrade (a no-op on a new cluster)
    assert deps("w1-join-credentials") == {"cp1-kubeadm", "cp1-upgrade-uncordon"}
    assert deps("w1-kubeadm") == {"w1-host-network", "w1-join-credentials"}
    assert deps("w1-node-registered") == {"w1-kubeadm"}
    # an upgrade: the first control plane, then the workers one batch (default one) at a time
    assert deps("cp1-kubeadm-upgrade") == {"cp1-node-registered"}
    assert deps("cp1-upgrade-drain") == {"cp1-kubeadm-upgrade"}
    assert deps("cp1-kubelet-upgrade") == {"cp1-upgrade-drain"}
    assert deps("cp1-upgrade-uncordon") == {"cp1-kubelet-upgrade"}
    assert deps("w1-kubeadm-upgrade") == {"w1-node-registered", "cp1-upgrade-uncordon"}
    assert deps("w2-kubeadm-upgrade") == {"w2-node-registered", "w1-upgrade-uncordon"}
    # workers prepare in parallel with the control plane
    assert deps("w1-prepare-host") == set()


def test_join_critical_path_does_not_grow_with_workers() -> None:
    small, large = run_scaled(3), run_scaled(300)
    # cp1: prepare, network, kubeadm, registered, certificates, and each node's four upgrade steps
    assert len(large.by_type(COMMAND)) == 5 + 5 * 300 + 4 * 301
    # joins wait for the first control plane's upgrade steps (four), however many workers
    assert critical_path(small, "kubeadm") == critical_path(large, "kubeadm") == 10
    assert critical_path(small, "node-registered") == critical_path(large, "node-registered") == 11


def test_upgrade_waves_of_hundreds_of_workers_do_not_outgrow_the_sdks_cycle_check() -> None:
    """Batches of one chain four commands per worker; the SDK walks such chains with one
    Python frame per resource, which broke Python's default limit (RecursionError) for
    300 workers before the shell allowed for it."""
    import sys

    before = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)  # Python's default, whatever an earlier run raised it to
    try:
        result = run_scaled(300)
    finally:
        sys.setrecursionlimit(max(before, sys.getrecursionlimit()))
    assert critical_path(result, "upgrade-uncordon") >= 4 * 300


def test_secret_steps_log_nothing_and_mark_output_secret() -> None:
    secret = {step_resource_name("", step) for step in SECRET_STEPS}  # "-kubeadm" for init and join
    for name, reg in commands(run_stack("dev")).items():
        if any(name.endswith(suffix) for suffix in secret):
            assert reg.inputs["logging"] == "none", name
            assert {"stdout", "stderr"} <= set(reg.additional_secret_outputs), name
        else:
            assert reg.inputs["logging"] != "none", name


def test_join_credentials_reach_the_join_only_as_a_secret() -> None:
    cmds = commands(run_stack("dev"))
    join = cmds["w1-kubeadm"]
    assert "stdin" in join.secret_inputs
    assert "@@SOM_SECRET:join-credentials@@" not in unwrap(join.inputs["stdin"]), "placeholder left unfilled"


def _values(value) -> list[str]:
    value = unwrap(value)
    if isinstance(value, dict):
        return [s for v in value.values() for s in _values(v)]
    if isinstance(value, list):
        return [s for v in value for s in _values(v)]
    return [str(value)]


def test_no_secret_in_any_plain_input_or_output() -> None:
    result = run_stack("dev")
    secret = SSH_KEY.strip()
    for reg in result.registrations.values():
        for key, value in reg.inputs.items():
            if key not in reg.secret_inputs:
                assert not any(secret in s for s in _values(value)), (reg.name, key)
    for name, value in result.exports.items():
        if name not in result.secret_exports:
            assert secret not in json.dumps(value, default=str), name
    assert "kubeconfig" in result.secret_exports


W1_HOST_KEY = next(n["sshHostKey"] for n in json.loads(engine_config("dev", SECRETS)[0]["spark-on-metal:nodes"]) if n["name"] == "w1")


def _inputs(result: RunResult) -> dict[str, object]:
    return {reg.name: unwrap(reg.inputs) for reg in result.registrations.values()}


def test_two_runs_give_identical_inputs() -> None:
    config, secret_keys = engine_config("dev", SECRETS)
    first = run_program(config, secret_keys, stack="dev")
    second = run_program(config, secret_keys, stack="dev")
    assert _inputs(first) == _inputs(second)


@pytest.mark.parametrize(
    ("change", "touched"),
    [
        ({"labels": {"rack": "r7"}}, set()),  # labels are a Kubernetes-layer matter
        # prepare-host first checks that no network manager owns the uplink (uplink-owner.sh)
        ({"uplink": "eno1"}, {"w2-prepare-host", "w2-host-network"}),
        ({"taints": [{"key": "gpu", "effect": "NoSchedule"}]}, {"w2-kubeadm"}),
        # a reinstalled host (new key): every command on it runs again, a fresh token is
        # minted for it (a first token's fate never blocks the rejoin), and deleted once
        # the node has registered again
        ({"sshHostKey": W1_HOST_KEY}, {"w2-prepare-host", "w2-host-network", "w2-join-credentials", "w2-kubeadm", "w2-node-registered",
                                             "w2-kubeadm-upgrade", "w2-kubelet-upgrade"}),
    ],
)
def test_changing_one_node_changes_only_its_resources(change: dict, touched: set[str]) -> None:
    base_config, secret_keys = engine_config("dev", SECRETS)
    nodes = json.loads(base_config["spark-on-metal:nodes"])
    nodes[2].update(change)
    changed_config = {**base_config, "spark-on-metal:nodes": json.dumps(nodes)}
    before = _inputs(run_program(base_config, secret_keys, stack="dev"))
    after = _inputs(run_program(changed_config, secret_keys, stack="dev"))
    differing = {name for name in before if before[name] != after.get(name)} - {"dev", "spark-on-metal"}
    assert {name for name in differing if "-" in name} == touched


def test_adding_a_node_changes_no_existing_resource() -> None:
    small, larger = _inputs(run_scaled(3)), _inputs(run_scaled(4))
    changed = {name for name in small if small[name] != larger[name]}
    assert changed <= {"spark-on-metal"}, changed
    assert set(larger) - set(small) == {"w4", "node/w4", *(f"w4-{s}" for s in ("prepare-host", "host-network", "join-credentials", "kubeadm", "node-registered",
                                                                         "kubeadm-upgrade", "upgrade-drain", "kubelet-upgrade", "upgrade-uncordon"))}


def test_pipeline_names_every_step_it_builds() -> None:
    """STEP_NAMES and SECRET_STEPS (read by the policy pack) name exactly the steps built."""
    from components.steps import STEP_NAMES, steps_for
    from components.stack import load_stack_file

    built = {step.name for step in steps_for(load_stack_file("dev"))}
    assert built == set(STEP_NAMES)
    assert SECRET_STEPS <= built


def _rerun(changes: dict[str, object], monkeypatch: pytest.MonkeyPatch, days: tuple[date, date] = (date(2026, 12, 3),) * 2) -> set[str]:
    """The commands whose inputs differ between a run on ``days[0]`` and a run with
    ``changes`` (config overrides) on ``days[1]``: what ``up`` would run again."""
    runs = []
    for day, overrides in zip(days, ({}, changes)):
        monkeypatch.setattr(validation, "today", lambda day=day: day)
        config, secret_keys = engine_config("dev", SECRETS, overrides=overrides)
        runs.append(_inputs(run_program(config, secret_keys, stack="dev")))
    before, after = runs
    return {name for name in before if before[name] != after.get(name) and "-" in name}


def test_a_new_month_runs_only_the_certificates_check_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """Time enters as the month: preview shows the monthly check, and nothing else."""
    assert _rerun({}, monkeypatch, (date(2026, 12, 1), date(2026, 12, 31))) == set()
    assert _rerun({}, monkeypatch, (date(2026, 12, 31), date(2027, 1, 1))) == {"cp1-certificates"}
    config, secret_keys = engine_config("dev", SECRETS)
    check = commands(run_program(config, secret_keys, stack="dev"))["cp1-certificates"]
    assert unwrap(check.inputs["triggers"]) == [renewal_period(date(2027, 1, 1)), "v1.35.4"] == ["2027-01", "v1.35.4"]


def test_changing_the_renewal_window_runs_the_check_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _rerun({"certificates": {"renewBeforeDays": 400}}, monkeypatch) == {"cp1-certificates"}


def test_the_kubeconfig_and_expiry_outputs_are_the_certificates_checks() -> None:
    """The admin kubeconfig is the one the latest check left (renewed or not), secret; the
    expiry dates are plain, for a site's alerts."""
    admin = kubeconfig_with(ONE_YEAR)
    printed = f"expires=2027-09-01T00:00:00Z\nkubeconfig={base64.b64encode(admin.encode()).decode()}\n"

    def check_prints(registration: Registration) -> tuple[str, dict[str, object]]:
        name, outputs = echo_inputs(registration)
        if registration.name == "cp1-certificates":
            outputs["stdout"] = rpc.wrap_rpc_secret(printed)
        return name, outputs

    config, secret_keys = engine_config("dev", SECRETS)
    result = run_program(config, secret_keys, new_resource=check_prints, stack="dev")
    assert result.error is None, result.error
    assert result.exports["kubeconfig"] == admin and "kubeconfig" in result.secret_exports
    assert result.exports["controlPlaneCertificatesExpire"] == "2027-09-01T00:00:00Z"
    assert result.exports["kubeconfigExpires"] == "2027-12-04T04:43:31Z"
    assert not {"controlPlaneCertificatesExpire", "kubeconfigExpires"} & result.secret_exports
    provider = next(r for r in result.registrations.values() if r.type == "pulumi:providers:kubernetes")
    assert unwrap(provider.inputs["kubeconfig"]) == admin


def test_kubeadm_init_and_join_are_one_resource_that_keeps_its_former_names() -> None:
    """A joined control plane that becomes the first (the one before it left the stack)
    keeps its resource: deleting its join would run kubeadm reset on it. Stacks brought up
    before the rename keep theirs through the aliases."""
    cmds = commands(run_stack("dev"))
    assert {"cp1-kubeadm", "w1-kubeadm"} <= set(cmds) and not {n for n in cmds if n.endswith(("-kubeadm-init", "-kubeadm-join"))}
    three = json.loads(engine_config("dev", SECRETS)[0]["spark-on-metal:nodes"])
    without_first = [*three[1:]]
    without_first[0] = {**without_first[0], "roles": ["control-plane", "dns"]}
    config, secret_keys = engine_config("dev", SECRETS)
    promoted = run_program({**config, "spark-on-metal:nodes": json.dumps(without_first),
                            "spark-on-metal:tenants": json.dumps([{"name": "analytics", "nodes": ["w2"]}])}, secret_keys, stack="dev")
    assert promoted.error is None, promoted.error
    assert "w1-kubeadm" in commands(promoted) and "w1-node-registered" in commands(promoted)


def test_the_kubernetes_layer_waits_for_every_hosts_first_step() -> None:
    """prepare-host refuses another Kubernetes release under a running cluster (its release
    check); the objects, some of which follow the release, must not change either."""
    result = run_stack("dev")
    names = {reg.urn: reg.name for reg in result.registrations.values()}
    provider = next(r for r in result.registrations.values() if r.type == "pulumi:providers:kubernetes")
    assert {names[d] for d in provider.dependencies} >= {"cp1-prepare-host", "w1-prepare-host", "w2-prepare-host"}
