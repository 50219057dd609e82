"""The order of an upgrade (components/steps/upgrade.py): what a platform team relies on
when it raises ``kubernetesVersion`` under running tenants. A kubelet newer than its API
server, two etcd members away at once, or every worker drained together would each be
an outage; a new node joining before the cluster's upgrade would run ahead of its API
server."""

from __future__ import annotations

import pytest

from components.problems import ConfigError
from components.steps import edges, steps_for
from components.steps.upgrade import waves
from components.vocabulary import UPGRADE_DRAIN, UPGRADE_KUBEADM, UPGRADE_KUBELET, UPGRADE_UNCORDON

UPGRADE_STEPS = (UPGRADE_KUBEADM, UPGRADE_DRAIN, UPGRADE_KUBELET, UPGRADE_UNCORDON)
from tests.factories import load, node, valid_config, with_settings

RACK = valid_config(
    nodes=[
        node("w1", "10.0.0.62"),
        node("cp", "10.0.0.61", "control-plane", "dns"),
        node("cp2", "10.0.0.64", "control-plane"),
        node("w2", "10.0.0.63"),
        node("cp3", "10.0.0.65", "control-plane"),
        node("w3", "10.0.0.66"),
        node("w4", "10.0.0.67"),
        node("w5", "10.0.0.68"),
    ]
)


def rack(batch: int | None = None) -> dict:
    return with_settings(RACK, {"upgrade": {"workerBatchSize": batch}}) if batch else RACK


def test_the_first_control_plane_then_each_other_one_then_workers_in_batches() -> None:
    assert waves(load(rack(2))) == {"cp": 0, "cp2": 1, "cp3": 2, "w1": 3, "w2": 3, "w3": 4, "w4": 4, "w5": 5}
    assert waves(load(rack())) == {"cp": 0, "cp2": 1, "cp3": 2, "w1": 3, "w2": 4, "w3": 5, "w4": 6, "w5": 7}


def test_a_wave_starts_once_the_one_before_it_is_back_in_service() -> None:
    graph = edges(steps_for(load(rack(2))))

    def before(node: str) -> set[str]:
        return {source for source, step in graph[(node, UPGRADE_KUBEADM)] if step == UPGRADE_UNCORDON}

    assert before("cp") == set()
    assert before("cp2") == {"cp"} and before("cp3") == {"cp2"}
    assert before("w1") == before("w2") == {"cp3"}
    assert before("w3") == before("w4") == {"w1", "w2"}
    assert before("w5") == {"w3", "w4"}
    # kubeadm's order on each node: kubeadm upgrade, drain, kubelet, uncordon
    for name in ("cp", "w3"):
        assert graph[(name, UPGRADE_DRAIN)] == [(name, UPGRADE_KUBEADM)]
        assert graph[(name, UPGRADE_KUBELET)] == [(name, UPGRADE_DRAIN)]
        assert graph[(name, UPGRADE_UNCORDON)] == [(name, UPGRADE_KUBELET)]


def test_kubeadm_upgrade_apply_runs_once_on_the_first_control_plane_and_node_elsewhere() -> None:
    steps = {step.node: step for step in steps_for(load(rack())) if step.name == UPGRADE_KUBEADM}
    assert {name: step.variables["UPGRADE_MODE"] for name, step in steps.items()} == {
        "cp": "apply", **{name: "node" for name in ("cp2", "cp3", "w1", "w2", "w3", "w4", "w5")}}
    on_node = [step for step in steps_for(load(rack())) if step.name in (UPGRADE_KUBEADM, UPGRADE_KUBELET)]
    assert len(on_node) == 16 and all(step.runs_on == step.node for step in on_node)
    # drains need the admin credentials: on the first control plane, for each node
    assert {step.runs_on for step in steps_for(load(rack())) if step.name in (UPGRADE_DRAIN, UPGRADE_UNCORDON)} == {"cp"}


def test_new_nodes_join_only_once_the_first_control_plane_runs_the_release() -> None:
    graph = edges(steps_for(load(rack())))
    for joining in ("cp2", "w1", "w5"):
        assert ("cp", UPGRADE_UNCORDON) in graph[(joining, "join-credentials")]


def test_the_release_is_in_every_upgrade_script_so_raising_it_runs_them_again() -> None:
    before = {(s.node, s.name): s.script() for s in steps_for(load(rack()))}
    after = {(s.node, s.name): s.script() for s in steps_for(load(with_settings(rack(), {"kubernetesVersion": "1.36.3"})))}
    upgrade_steps = {key for key in before if key[1] in UPGRADE_STEPS}
    assert upgrade_steps == {key for key in before if before[key] != after[key] and key[1] in UPGRADE_STEPS}
    assert all("v1.36.3" in after[key] for key in upgrade_steps)


def test_the_batch_size_is_checked_with_the_fix() -> None:
    with pytest.raises(ConfigError) as caught:
        load(with_settings(RACK, {"upgrade": {"workerBatchSize": 0}}))
    (problem,) = caught.value.problems
    assert problem.key == "upgrade.workerBatchSize" and "1" in problem.render()


def test_kubeadm_preflight_skips_only_the_dns_add_on_checks_and_the_cgroup_setting() -> None:
    """The platform runs its own CoreDNS (kubeadm's add-on is disabled), whose absence
    kubeadm upgrade apply's CoreDNS checks refuse; cgroup v1 is skipped where init skips it."""
    plain = {s.node: s.variables["IGNORE_PREFLIGHT"] for s in steps_for(load(rack())) if s.name == UPGRADE_KUBEADM}
    assert plain["cp"] == "CoreDNSUnsupportedPlugins,CoreDNSMigration" and plain["cp2"] == plain["w1"] == ""
    allowed = {s.node: s.variables["IGNORE_PREFLIGHT"] for s in steps_for(load(with_settings(rack(), {"cgroupV1": "allow"}))) if s.name == UPGRADE_KUBEADM}
    assert allowed["cp"] == "CoreDNSUnsupportedPlugins,CoreDNSMigration,SystemVerification" and allowed["w1"] == "SystemVerification"
