"""Spark, ready to submit: per tenant, spark-defaults and the driver/executor pod templates.

The ConfigMap ``spark-defaults`` is laid out as a ``SPARK_CONF_DIR``: mount it at
``/opt/spark/conf`` in a submitting pod (a notebook, a scheduler's worker) and
``spark-submit`` there needs nothing else. Outside the cluster, ``python -m components
spark-submit`` builds the same settings from the stack outputs.

Pod templates carry what Spark has no setting for:

- ``priorityClassName``: drivers above executors (see ``priorities``).
- ``dnsConfig.options``: ``single-request-reopen`` and a short timeout, the reference's
  remedy for the 5-second A/AAAA conntrack race (glibc honours the option; musl images
  ignore it and rely on the timeout alone). The options are the hosts' resolv.conf
  options (``components.hostfiles.resolv.options``), so hosts and pods behave alike.
- the toleration for the tenant's own taint (PodTolerationRestriction adds it too;
  stating it keeps the templates usable where the namespace defaults are absent).

Settings that define where and as whom a job runs (master, deploy mode, namespace, the
driver's and the executors' service accounts, node selector, template container names)
are the platform's and override any ``spark.conf`` or tenant ``sparkConf`` entry; the
image, the excluded feature steps and the API timeouts (a minute, so a job rides out an
API server's restart) are defaults a tenant may override.

Spark 4.2's NetworkPolicy step is switched off (``spark.kubernetes.driver.pod.
excludedFeatureSteps``), not granted. From 4.2 every submission creates a NetworkPolicy
limiting executor ingress to the job's own pods, with the submitter's credentials, and
deletes the driver again when that is forbidden. The pod network here is MACVLAN
without a policy engine: nothing enforces a NetworkPolicy, so the object would isolate
nothing while looking as if it did, and granting ``networkpolicies`` to tenants would
only let them write more such objects. Tenants are kept apart by their own nodes, and
addresses in their own slices (DESIGN.md), not by policies. Spark 3.5 does not know
the key and ignores it. A site that adds an enforcing network plugin sets the key to
its own list (or empty) in ``spark.conf`` and grants ``networking.k8s.io``
``networkpolicies`` (create, get, patch, delete) in the submitter Role.

The ConfigMap is a complete ``SPARK_CONF_DIR`` for cluster mode
(``spark.submit.deployMode cluster``): mounted in any pod of the tenant namespace,
``spark-submit`` with no options submits a driver pod. Client mode from a pod (a
notebook whose JVM is the driver) needs more than a conf directory: ``--deploy-mode
client``; the pod running as the ServiceAccount ``spark`` (the driver creates the
executors); ``spark.kubernetes.driver.pod.name`` set to the pod's own name (downward
API), so executors are owned by it and removed with it; ``spark.driver.host`` an
address executors reach (the pod IP from the downward API, or a headless Service
selecting the pod) and fixed ``spark.driver.port`` and ``spark.driver.blockManager.port``;
and the pod scheduled on the tenant's nodes, which the namespace already ensures.

``spark.kubernetes.file.upload.path`` comes from the stack's ``spark.uploadPath`` only:
without it, applications must be ``local://`` (in the image) or remote URIs, and
``python -m components spark-submit`` refuses a local file before Spark starts.
"""

from __future__ import annotations

from typing import Literal

import yaml

from components.config import Platform, TenantConfig
from components.hostfiles.resolv import options as resolv_options
from components.manifests import priorities
from components.manifests.meta import TENANT_LABEL, Object, metadata
from components.taints import tenant_taint, toleration
from components.manifests.tenants import EXECUTOR_SERVICE_ACCOUNT, SERVICE_ACCOUNT
from components.vocabulary import SPARK_ROLE_LABEL

PodRole = Literal["driver", "executor"]
ROLES: tuple[PodRole, ...] = ("driver", "executor")

CONFIG_MAP = "spark-defaults"
CONF_DIR = "/opt/spark/conf"  # SPARK_CONF_DIR in the apache/spark images
DEFAULTS_FILE = "spark-defaults.conf"
TEMPLATE_FILES: dict[PodRole, str] = {"driver": "driver-pod-template.yaml", "executor": "executor-pod-template.yaml"}
# Spark's default container names; naming them keeps Spark from guessing the first container.
CONTAINER_NAMES: dict[PodRole, str] = {"driver": "spark-kubernetes-driver", "executor": "spark-kubernetes-executor"}
PRIORITY_CLASSES: dict[PodRole, str] = {"driver": priorities.DRIVER, "executor": priorities.EXECUTOR}
ROLE_LABEL = SPARK_ROLE_LABEL

IMAGE_KEY = "spark.kubernetes.container.image"
NAMESPACE_KEY = "spark.kubernetes.namespace"
SERVICE_ACCOUNT_KEY = "spark.kubernetes.authenticate.driver.serviceAccountName"
EXECUTOR_SERVICE_ACCOUNT_KEY = "spark.kubernetes.authenticate.executor.serviceAccountName"
DEPLOY_MODE_KEY = "spark.submit.deployMode"
DEPLOY_MODE = "cluster"
UPLOAD_PATH_KEY = "spark.kubernetes.file.upload.path"
EXCLUDED_DRIVER_STEPS_KEY = "spark.kubernetes.driver.pod.excludedFeatureSteps"
NETWORK_POLICY_STEP = "org.apache.spark.deploy.k8s.features.NetworkPolicyFeatureStep"
# Spark's Kubernetes client gives a connection and a request 10 s, the submitting client's
# and the driver's alike; an API server restarting under `kubeadm upgrade` or a control
# plane's certificate renewal answers again within about a minute (the lab's CI saw a
# submission fail after 10 s while the only API server restarted): a job rides it out.
API_TIMEOUT_MS = "60000"
API_TIMEOUTS = {f"spark.kubernetes.{client}.{timeout}": API_TIMEOUT_MS
                for client in ("submission", "driver") for timeout in ("connectionTimeout", "requestTimeout")}
# The reference's spark-submit line states these first, in this order.
HEADLINE_KEYS = (NAMESPACE_KEY, SERVICE_ACCOUNT_KEY, IMAGE_KEY)


def master(platform: Platform) -> str:
    return f"k8s://{platform.api_server_url}"


def template_file_key(role: PodRole) -> str:
    return f"spark.kubernetes.{role}.podTemplateFile"


def dns_options(platform: Platform) -> list[dict[str, str]]:
    """``single-request-reopen timeout:2`` -> PodDNSConfigOption list."""
    parsed = []
    for option in resolv_options(platform).split():
        name, _, value = option.partition(":")
        parsed.append({"name": name, "value": value} if value else {"name": name})
    return parsed


def pod_template(platform: Platform, tenant: TenantConfig, role: PodRole) -> Object:
    spec: dict[str, object] = {
        "priorityClassName": PRIORITY_CLASSES[role],
        "dnsConfig": {"options": dns_options(platform)},
    }
    taint = tenant_taint(tenant)
    if taint is not None:
        spec["tolerations"] = [toleration(taint)]
    if role == "executor":
        spec["automountServiceAccountToken"] = False  # executors never call the API server
    spec["containers"] = [{"name": CONTAINER_NAMES[role]}]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"labels": {TENANT_LABEL: tenant.name, ROLE_LABEL: role}},
        "spec": spec,
    }


def pod_template_yaml(platform: Platform, tenant: TenantConfig, role: PodRole) -> str:
    return yaml.safe_dump(pod_template(platform, tenant, role), sort_keys=False, default_flow_style=False)


def platform_settings(platform: Platform, tenant: TenantConfig) -> dict[str, str]:
    """The settings that decide where a tenant's jobs run (template paths aside)."""
    key, value = tenant.label
    return {
        "spark.master": master(platform),
        DEPLOY_MODE_KEY: DEPLOY_MODE,
        NAMESPACE_KEY: tenant.name,
        SERVICE_ACCOUNT_KEY: SERVICE_ACCOUNT,
        EXECUTOR_SERVICE_ACCOUNT_KEY: EXECUTOR_SERVICE_ACCOUNT,
        f"spark.kubernetes.node.selector.{key}": value,
        **{f"spark.kubernetes.{role}.podTemplateContainerName": CONTAINER_NAMES[role] for role in ROLES},
    }


def platform_setting_keys(tenant: TenantConfig) -> frozenset[str]:
    """Keys ``spark.conf`` and a tenant's ``sparkConf`` cannot set (the platform's win).

    Independent of the rest of the stack, so config validation can check them early.
    """
    key, _ = tenant.label
    fixed = {
        "spark.master",
        DEPLOY_MODE_KEY,
        NAMESPACE_KEY,
        SERVICE_ACCOUNT_KEY,
        EXECUTOR_SERVICE_ACCOUNT_KEY,
        f"spark.kubernetes.node.selector.{key}",
    }
    per_role = {f"spark.kubernetes.{role}.{name}" for role in ROLES for name in ("podTemplateContainerName", "podTemplateFile")}
    return frozenset(fixed | per_role)


def spark_conf(platform: Platform, tenant: TenantConfig) -> dict[str, str]:
    """Every setting except the template paths (which depend on where the files are)."""
    spark = platform.config.spark
    merged = {
        IMAGE_KEY: spark.image,
        EXCLUDED_DRIVER_STEPS_KEY: NETWORK_POLICY_STEP,
        **API_TIMEOUTS,
        **spark.conf,
        **tenant.spark_conf,
        **({UPLOAD_PATH_KEY: spark.upload_path} if spark.upload_path else {}),
        **platform_settings(platform, tenant),
    }
    return dict(sorted(merged.items()))


def template_conf(directory: str) -> dict[str, str]:
    """The pod-template settings for templates stored in ``directory``."""
    return {template_file_key(role): f"{directory.rstrip('/')}/{TEMPLATE_FILES[role]}" for role in ROLES}


def _escape(text: str, separators: bool) -> str:
    """java.util.Properties escaping (spark-defaults.conf is read with Properties.load)."""
    escaped = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    if separators:
        for char in " =:#!":
            escaped = escaped.replace(char, "\\" + char)
    elif escaped[:1] == " ":
        escaped = "\\" + escaped
    return escaped


def defaults_file(conf: dict[str, str]) -> str:
    lines = ["# spark-on-metal: generated from the stack configuration; do not edit in the cluster."]
    lines += [f"{_escape(key, separators=True)} {_escape(value, separators=False)}" for key, value in sorted(conf.items())]
    return "\n".join(lines) + "\n"


def config_map(platform: Platform, tenant: TenantConfig) -> Object:
    conf = {**spark_conf(platform, tenant), **template_conf(CONF_DIR)}
    data = {DEFAULTS_FILE: defaults_file(conf)}
    data.update({TEMPLATE_FILES[role]: pod_template_yaml(platform, tenant, role) for role in ROLES})
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata(CONFIG_MAP, tenant.name), "data": data}
