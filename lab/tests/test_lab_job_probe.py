"""How the lab judges a Spark job: by its driver pod, read until it has ended, through an
API server that may be restarting (spark-submit returns 0 when its watch breaks)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, cast

import pytest

from lab.probes import spark
from lab.probes.kubectl import Kubectl
from lab.proc import LabError

DRIVER = "sparkpi-0123abcd-driver"


def pod(name: str, phase: str, exit_code: int | None = None, owner: str = "") -> dict[str, Any]:
    state = {"terminated": {"exitCode": exit_code}} if exit_code is not None else {"running": {}}
    return {"metadata": {"name": name, "uid": f"uid-{name}", "labels": {"spark-role": "driver"},
                         "ownerReferences": [{"uid": owner}] if owner else []},
            "status": {"phase": phase, "containerStatuses": [{"name": "spark-kubernetes-driver", "state": state}]}}


class Answers:
    """kubectl's answers to `get pods`, one per call; a LabError answer is raised, as the
    probe's kubectl raises for a refused connection."""

    def __init__(self, answers: Sequence[list[dict[str, Any]] | LabError]) -> None:
        self.answers: Iterator[list[dict[str, Any]] | LabError] = iter(answers)
        self.calls = 0

    def json(self, args: Sequence[str]) -> dict[str, Any]:
        self.calls += 1
        answer = next(self.answers)
        if isinstance(answer, LabError):
            raise answer
        return {"items": answer}


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spark.time, "sleep", lambda seconds: None)


def test_reads_on_through_a_refused_connection_until_the_driver_has_ended() -> None:
    executor = pod("exec-1", "Succeeded", 0, owner=f"uid-{DRIVER}")
    answers = Answers([LabError("The connection to the server 10.99.0.10:6443 was refused"),
                       [pod(DRIVER, "Running"), executor],
                       [pod(DRIVER, "Succeeded", 0), executor]])
    pods = spark.ended_job_pods(cast(Kubectl, answers), "analytics", DRIVER, timeout=60)
    assert answers.calls == 3
    assert set(pods) == {DRIVER, "exec-1"}
    assert spark.driver_exit_code(pods[DRIVER]) == 0


def test_a_failed_driver_is_told_by_its_exit_code() -> None:
    pods = spark.ended_job_pods(cast(Kubectl, Answers([[pod(DRIVER, "Failed", 1)]])), "analytics", DRIVER)
    assert spark.driver_exit_code(pods[DRIVER]) == 1


def test_a_driver_that_is_gone_has_ended() -> None:
    """A deleted driver (or a submission that never made one) ends the wait at once."""
    answers = Answers([[pod("other-driver", "Running")]])
    assert spark.ended_job_pods(cast(Kubectl, answers), "analytics", DRIVER) == {}
    assert answers.calls == 1


def test_a_driver_still_running_at_the_deadline_is_returned_as_last_seen() -> None:
    answers = Answers([[pod(DRIVER, "Running")]] * 3)
    pods = spark.ended_job_pods(cast(Kubectl, answers), "analytics", DRIVER, timeout=0)
    assert pods[DRIVER]["status"]["phase"] == "Running"
    assert spark.driver_exit_code(pods[DRIVER]) is None
