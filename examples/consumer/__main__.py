"""An example consumer of the spark-on-metal stack outputs (README.md, "Stack outputs").

Another team's Pulumi program that schedules Spark jobs (a CI runner, an Airflow
deployment) needs the cluster's Spark settings, not its configuration: it reads them
through a ``StackReference`` and exports, per tenant, the ``spark-submit`` prefix its
jobs append their own arguments to. Only non-secret outputs are read.

Standalone on purpose (it imports nothing from the platform's repository): the
contract is the interface. Run with
``pulumi config set platformStack <org>/spark-on-metal/prod && pulumi up``.
"""

from __future__ import annotations

import shlex
from typing import Any

import pulumi

SUPPORTED_CONTRACT = 1
# The pod-template paths depend on where the submitter keeps the templates; this
# consumer mounts the tenant's spark-defaults ConfigMap at Spark's conf dir.
CONF_DIR = "/opt/spark/conf"


def submit_prefix(master: str, tenant: dict[str, Any]) -> str:
    """``spark-submit --master ... --conf k=v ...`` for one tenant, shell-quoted."""
    conf = dict(tenant["sparkConf"])
    conf.pop("spark.master", None)
    for role in ("driver", "executor"):
        conf[f"spark.kubernetes.{role}.podTemplateFile"] = f"{CONF_DIR}/{role}-pod-template.yaml"
    words = ["spark-submit", "--master", master, "--deploy-mode", "cluster"]
    words += [word for name in sorted(conf) for word in ("--conf", f"{name}={conf[name]}")]
    return shlex.join(words)


def prefixes(outputs: dict[str, Any]) -> dict[str, str]:
    """Refuse an unknown contract rather than guess at renamed keys."""
    version = outputs.get("contractVersion")
    if version != SUPPORTED_CONTRACT:
        raise ValueError(f"spark-on-metal outputs have contractVersion {version!r}; this consumer reads {SUPPORTED_CONTRACT}")
    return {name: submit_prefix(outputs["sparkMaster"], tenant) for name, tenant in sorted(outputs["tenants"].items())}


def main() -> pulumi.Output:
    platform = pulumi.StackReference("platform", stack_name=pulumi.Config().require("platformStack"))
    spark_submit = pulumi.Output.all(
        contractVersion=platform.require_output("contractVersion"),
        sparkMaster=platform.require_output("sparkMaster"),
        tenants=platform.require_output("tenants"),
    ).apply(prefixes)
    pulumi.export("sparkSubmit", spark_submit)
    pulumi.export("dnsServers", platform.require_output("dnsServers"))
    return spark_submit


if __name__ == "__main__":  # how Pulumi's Python host runs a program
    main()
