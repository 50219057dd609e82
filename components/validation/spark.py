"""Checks of the Spark settings: none that the platform decides, no key Spark does not
know, and the upload path only through its own checked setting."""

from __future__ import annotations

from typing import Iterator

from components import spark_keys
from components.config import SparkConfig, TenantConfig
from components.manifests.spark import UPLOAD_PATH_KEY, platform_setting_keys
from components.problems import ConfigProblem
from components.validation.common import Items, tenant_key


def spark_conf_leaves_platform_settings(spark: SparkConfig, tenants: Items[TenantConfig]) -> Iterator[ConfigProblem]:
    for index, tenant in tenants:
        reserved = platform_setting_keys(tenant)
        for where, conf in ((tenant_key(index, "sparkConf"), tenant.spark_conf), ("spark.conf", spark.conf)):
            for key in sorted(set(conf) & reserved):
                yield ConfigProblem(
                    where,
                    f"{key} is set by the platform: it decides where tenant {tenant.name}'s jobs run",
                    "remove it (the platform's value always wins)",
                )


def _spark_confs(spark: SparkConfig | None, tenants: Items[TenantConfig] | None) -> Iterator[tuple[str, dict[str, str]]]:
    """(config key, settings) of every place the stack gives Spark settings (that parsed)."""
    if spark is not None:
        yield "spark.conf", spark.conf
    for index, tenant in tenants or ():
        yield tenant_key(index, "sparkConf"), tenant.spark_conf


def spark_conf_keys_known(spark: SparkConfig | None = None, tenants: Items[TenantConfig] | None = None) -> Iterator[ConfigProblem]:
    # Spark ignores a key it does not know without a word: a typo would do nothing, silently.
    for where, conf in _spark_confs(spark, tenants):
        for key in sorted(conf):
            found = spark_keys.problem(key)
            if found is not None:
                yield ConfigProblem(where, *found)


def upload_path_has_its_setting(spark: SparkConfig | None = None, tenants: Items[TenantConfig] | None = None) -> Iterator[ConfigProblem]:
    for where, conf in _spark_confs(spark, tenants):
        if UPLOAD_PATH_KEY in conf:
            yield ConfigProblem(
                where,
                f"{UPLOAD_PATH_KEY} has its own, checked setting",
                "remove it here and set spark.uploadPath (an s3a:// or hdfs:// URI) instead",
            )


CHECKS = (spark_conf_leaves_platform_settings, spark_conf_keys_known, upload_path_has_its_setting)
