"""The monthly certificates check: where it runs, in which order, what it is told, and
how the shell reads what it printed. A cluster whose check silently stops running, or
whose kubeconfig output lags a renewal, stops answering a year after its bring-up."""

from __future__ import annotations

import base64
from datetime import date

import pytest

from components.problems import ConfigError
from components.steps import edges, steps_for
from components.steps.certificates import Report, earliest, parse_report, renewal_period
from components.vocabulary import CERTIFICATES
from tests.factories import load, node, valid_config, with_settings

THREE_CONTROL_PLANES = valid_config(
    nodes=[
        node("cp", "10.0.0.61", "control-plane", "dns"),
        node("cp2", "10.0.0.64", "control-plane"),
        node("w1", "10.0.0.62"),
        node("cp3", "10.0.0.65", "control-plane"),
        node("w2", "10.0.0.63"),
    ]
)


def checks(config: dict) -> dict[str, object]:
    return {step.node: step for step in steps_for(load(config)) if step.name == CERTIFICATES}


def test_the_period_is_the_month_of_the_run() -> None:
    assert renewal_period(date(2026, 12, 31)) == "2026-12"
    assert renewal_period(date(2027, 1, 1)) == "2027-01"


def test_every_control_plane_checks_and_only_the_first_prints_the_kubeconfig() -> None:
    found = checks(THREE_CONTROL_PLANES)
    assert set(found) == {"cp", "cp2", "cp3"}
    assert {name: step.variables["PRINT_KUBECONFIG"] for name, step in found.items()} == {"cp": "yes", "cp2": "no", "cp3": "no"}
    assert {name: step.runs_on for name, step in found.items()} == {"cp": "cp", "cp2": "cp2", "cp3": "cp3"}
    assert found["cp2"].variables["LOCAL_API_URL"] == "https://10.0.0.64:6443"
    assert all(step.triggers == ("2026-12", "v1.35.4") for step in found.values())


def test_control_planes_check_one_at_a_time_after_their_own_bring_up() -> None:
    """A renewal restarts the control plane's containers: one at a time keeps an HA API up."""
    graph = edges(steps_for(load(THREE_CONTROL_PLANES)))
    # after its own upgrade steps too: kubeadm upgrade renews the certificates
    assert graph[("cp", CERTIFICATES)] == [("cp", "kubeadm-init"), ("cp", "upgrade-uncordon")]
    assert graph[("cp2", CERTIFICATES)] == [("cp2", "kubeadm-join"), ("cp2", "upgrade-uncordon"), ("cp", CERTIFICATES)]
    assert graph[("cp3", CERTIFICATES)] == [("cp3", "kubeadm-join"), ("cp3", "upgrade-uncordon"), ("cp2", CERTIFICATES)]


def test_the_renewal_window_is_configurable_and_at_least_a_check_period() -> None:
    assert checks(valid_config())["cp"].variables["RENEW_BEFORE_DAYS"] == 90
    assert checks(with_settings(valid_config(), {"certificates": {"renewBeforeDays": 400}}))["cp"].variables["RENEW_BEFORE_DAYS"] == 400
    with pytest.raises(ConfigError) as caught:
        load(with_settings(valid_config(), {"certificates": {"renewBeforeDays": 31}}))
    (problem,) = caught.value.problems
    assert problem.key == "certificates.renewBeforeDays" and "32" in problem.render()


def test_the_report_gives_the_expiry_and_the_kubeconfig() -> None:
    admin = "apiVersion: v1\nkind: Config\n"
    printed = f"expires=2027-12-04T04:43:31Z\nkubeconfig={base64.b64encode(admin.encode()).decode()}\n"
    assert parse_report(printed) == Report(expires="2027-12-04T04:43:31Z", kubeconfig=admin)
    assert parse_report("expires=2027-12-04T04:43:31Z\n") == Report(expires="2027-12-04T04:43:31Z", kubeconfig=None)
    assert earliest([Report("2027-12-04T04:43:31Z", None), Report("2027-06-01T00:00:00Z", None)]) == "2027-06-01T00:00:00Z"


@pytest.mark.parametrize("printed", ["", "kubeconfig=YWJj\n", "expires=2027-12-04T04:43:31Z\nkubeconfig=client-key-data: c2VjcmV0\n"])
def test_a_malformed_report_is_refused_without_quoting_it(printed: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_report(printed)
    assert "c2VjcmV0" not in str(caught.value) and "YWJj" not in str(caught.value)


def test_control_planes_join_one_after_another_and_workers_in_parallel() -> None:
    graph = edges(steps_for(load(THREE_CONTROL_PLANES)))
    # the first control plane's own registration comes first: it is quick, and kept simple
    assert graph[("cp2", "join-credentials")] == [("cp", "kubeadm-init"), ("cp", "node-registered"), ("cp", "upgrade-uncordon")]
    assert graph[("cp3", "join-credentials")] == [("cp", "kubeadm-init"), ("cp2", "node-registered"), ("cp", "upgrade-uncordon")]
    assert graph[("w1", "join-credentials")] == graph[("w2", "join-credentials")] == [("cp", "kubeadm-init"), ("cp", "upgrade-uncordon")]
    position = {key: index for index, key in enumerate(graph)}
    assert all(position[source] < position[target] for target, sources in graph.items() for source in sources)
