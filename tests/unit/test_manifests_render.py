"""Golden: what ``render --stack prod`` writes to ``manifests/`` for the reference tenant."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components.__main__ import main


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("render")
    assert main(["render", "--stack", "prod", "--out", str(out)]) == 0
    return out / "manifests"


def load(directory: Path, name: str) -> dict:
    return yaml.safe_load((directory / name).read_text())


def test_reference_tenant_namespace_pins_to_its_nodes(rendered: Path) -> None:
    namespace = load(rendered, "namespace_spark.yaml")
    assert namespace["metadata"]["annotations"]["scheduler.alpha.kubernetes.io/node-selector"] == "spark=spark"
    assert namespace["metadata"]["labels"]["spark-on-metal.io/tenant"] == "spark"


def test_reference_tenant_nodes_carry_the_selected_label(rendered: Path) -> None:
    for node in ("hadooptest-001", "hadooptest-002", "hadooptest-003"):
        patch = load(rendered, f"node_{node}.yaml")
        assert patch["metadata"]["labels"]["spark"] == "spark"
        assert {"key": "spark", "value": "spark", "effect": "NoSchedule"} in patch["spec"]["taints"]
    assert "spark" not in load(rendered, "node_infra-001.yaml")["metadata"]["labels"]


def test_reference_tenant_objects_are_all_rendered(rendered: Path) -> None:
    names = sorted(path.name for path in rendered.glob("*_spark_*.yaml"))
    assert names == [
        "configmap_spark_spark-defaults.yaml",
        "limitrange_spark_container-defaults.yaml",
        "poddisruptionbudget_spark_spark-drivers.yaml",
        "resourcequota_spark_reserved-priority-classes.yaml",
        "resourcequota_spark_tenant-quota.yaml",
        "role_spark_spark-driver.yaml",
        "role_spark_spark-submitter.yaml",
        "rolebinding_spark_spark-submitter.yaml",
        "rolebinding_spark_spark.yaml",
        "secret_spark_spark-submitter-token.yaml",
        "serviceaccount_spark_spark-executor.yaml",
        "serviceaccount_spark_spark-submitter.yaml",
        "serviceaccount_spark_spark.yaml",
    ]
    assert not list(rendered.glob("clusterrolebinding_*spark.yaml"))


def test_render_checks_the_schemas_before_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An object the release's schema refuses stops ``render`` before it writes a file.

    The object list gets one DaemonSet field misspelt; a render that skipped the check (or
    a check that never ran, e.g. without kubernetes-validate) would write it out and exit 0.
    """
    import kubernetes_validate  # noqa: F401  (a development dependency: without it nothing is checked)

    from components import manifests

    real_objects = manifests.objects

    def with_a_misspelt_field(platform: object) -> list[dict]:
        objects = [dict(obj) for obj in real_objects(platform)]  # type: ignore[arg-type]
        [index] = [i for i, obj in enumerate(objects) if obj["kind"] == "DaemonSet"]
        objects[index] = {**objects[index], "spec": {**objects[index]["spec"], "tolerationz": []}}
        return objects

    monkeypatch.setattr(manifests, "objects", with_a_misspelt_field)
    out = tmp_path / "out"
    assert main(["render", "--stack", "prod", "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert "render: managed Kubernetes objects fail the schema" in captured.err and "tolerationz" in captured.err
    assert captured.out == ""
    assert not out.exists() or not any(out.iterdir())
