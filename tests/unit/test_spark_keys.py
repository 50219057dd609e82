"""Spark settings in the stack are checked against the keys Spark 4 registers."""

from __future__ import annotations

import pytest

from components import spark_keys
from components.manifests import spark
from components.problems import ConfigError
from components.stack import load_stack_file
from tests.factories import load, valid_config


def test_the_key_list_is_generated_data_sorted_and_unique() -> None:
    lines = [line for line in spark_keys.KEYS_FILE.read_text().splitlines() if not line.startswith("#")]
    assert lines == sorted(set(lines))
    assert len(lines) > 1500  # core, SQL, Kubernetes, Connect...: a scan that missed a jar shows here
    assert spark_keys.KEYS_FILE.read_text().startswith("# Configuration keys Spark 4.3.0 registers")


@pytest.mark.parametrize(
    "key",
    [
        spark.DEPLOY_MODE_KEY,
        spark.UPLOAD_PATH_KEY,
        spark.EXCLUDED_DRIVER_STEPS_KEY,
        spark.EXECUTOR_SERVICE_ACCOUNT_KEY,
        "spark.executor.memory",
        "spark.sql.shuffle.partitions",
        "spark.kubernetes.allocation.batch.size",
        "spark.master",
    ],
)
def test_keys_spark_4_registers_are_known(key: str) -> None:
    assert key in spark_keys.known_keys()


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_setting_the_platform_writes_is_one_spark_reads(stack: str) -> None:
    platform = load_stack_file(stack)
    for tenant in platform.config.tenants:
        conf = {**spark.spark_conf(platform, tenant), **spark.template_conf(spark.CONF_DIR)}
        assert [key for key in conf if not spark_keys.is_known(key)] == []


@pytest.mark.parametrize(
    "key",
    [
        "spark.hadoop.fs.s3a.endpoint",
        "spark.executorEnv.JAVA_HOME",
        "spark.kubernetes.driver.label.team",
        "spark.kubernetes.executor.volumes.persistentVolumeClaim.data.mount.path",
        "spark.kubernetes.authenticate.submission.caCertFile",
        "spark.sql.catalog.lake.warehouse",
        "spark.cassandra.connection.host",  # a third-party library's namespace
        "spark.app.name",
    ],
)
def test_open_families_and_foreign_namespaces_pass(key: str) -> None:
    assert spark_keys.problem(key) is None


def test_valid_spark_settings_load() -> None:
    conf = {"spark.executor.memory": "8g", "spark.hadoop.fs.s3a.path.style.access": "true", "spark.kubernetes.executor.label.team": "a"}
    platform = load(valid_config(spark={"conf": conf}, tenants=[{"name": "spark", "nodes": ["w1", "w2"], "sparkConf": {"spark.executor.cores": "4"}}]))
    assert platform.config.spark.conf == conf


def test_every_misspelt_key_is_reported_in_one_run() -> None:
    conf = {"spark.executor.memroy": "8g", "spark.dynamicAllocation.enable": "true"}
    with pytest.raises(ConfigError) as caught:
        load(valid_config(spark={"conf": conf}))
    report = caught.value.report()
    assert "did you mean 'spark.executor.memory'?" in report
    assert "did you mean 'spark.dynamicAllocation.enabled'?" in report


def test_credentials_in_an_upload_path_never_reach_the_report() -> None:
    with pytest.raises(ConfigError) as caught:
        load(valid_config(spark={"uploadPath": "s3a://AKIAEXAMPLE:hunter2@bucket/jobs"}))
    assert "hunter2" not in caught.value.report() and "AKIAEXAMPLE" not in caught.value.report()
