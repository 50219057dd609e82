"""PriorityClasses for mixed deployment: platform services, tenant services, Spark.

Values come from ``spark.priorities``; the order they encode (platform > service >
driver > executor) is what the scheduler uses both to order its queue and to choose
victims when a pod does not fit.

Preemption policy, and why:

- platform, service, driver: ``PreemptLowerPriority``. A pending driver is a whole job
  waiting; evicting a lower-priority pod (typically an executor of a later job) costs
  that job a few tasks, which Spark re-runs.
- executor: ``Never``. Executors are elastic (dynamic allocation asks for more while
  tasks queue), so a pending executor waits for capacity instead of killing another
  job's executor, which would only trade one job's lost tasks for another's and churn
  both. ``Never`` still keeps executors ahead of unprioritised pods in the queue.

Tenants are pinned to their own nodes, so preemption never crosses tenants: a tenant's
driver can only evict that tenant's lower-priority pods.

None of the classes is ``globalDefault``: pods outside the platform keep priority 0.
The platform class and Kubernetes' own ``system-*`` classes are forbidden to tenants by
a per-namespace ResourceQuota (see ``components.manifests.tenants``).
"""

from __future__ import annotations

from components.config import Platform
from components.manifests.meta import Object, metadata

PLATFORM = "spark-on-metal-platform"
SERVICE = "spark-on-metal-service"
DRIVER = "spark-on-metal-driver"
EXECUTOR = "spark-on-metal-executor"
SYSTEM_CLUSTER_CRITICAL = "system-cluster-critical"
SYSTEM_NODE_CRITICAL = "system-node-critical"
# Classes a tenant pod may never use.
RESERVED = (PLATFORM, SYSTEM_CLUSTER_CRITICAL, SYSTEM_NODE_CRITICAL)

_DESCRIPTIONS = {
    PLATFORM: "spark-on-metal platform services; forbidden to tenants",
    SERVICE: "long-running tenant services",
    DRIVER: "Spark drivers: a preempted driver loses its whole job",
    EXECUTOR: "Spark executors: wait for capacity rather than preempt (elastic)",
}


def _class(name: str, value: int, preempts: bool) -> Object:
    return {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": metadata(name),
        "value": value,
        "globalDefault": False,
        "preemptionPolicy": "PreemptLowerPriority" if preempts else "Never",
        "description": _DESCRIPTIONS[name],
    }


def priority_classes(platform: Platform) -> list[Object]:
    values = platform.config.spark.priorities
    return [
        _class(PLATFORM, values.platform, preempts=True),
        _class(SERVICE, values.service, preempts=True),
        _class(DRIVER, values.spark_driver, preempts=True),
        _class(EXECUTOR, values.spark_executor, preempts=False),
    ]
