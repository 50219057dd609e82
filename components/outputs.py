"""The stack-output contract: what other stacks and ``spark-submit`` may rely on.

A pure function of the Platform, so the documented example (README.md) is
generated from it and checked against it in the tests. The Pulumi shell exports each
top-level key as a stack output and adds the secrets itself: ``kubeconfig`` (the
cluster admin's) and ``kubeconfig-<tenant>`` per tenant (its submitter's, confined to
its namespace; ``tenants.<name>.kubeconfigOutput`` names it).

Compatibility rule: keys are only ever added. Renaming or removing a key, or changing
a value's type or meaning, bumps ``contractVersion``; consumers check it.
"""

from __future__ import annotations

import json
from typing import Any

from components import kubeconfigs
from components.config import Platform
from components.manifests import spark, tenants
from components.network import dns_servers, plan

CONTRACT_VERSION = 1
KUBECONFIG_OUTPUT = "kubeconfig"  # secret; exported by the shell, not part of this function
# When that kubeconfig's client certificate expires (RFC 3339, UTC); plain, by the shell.
KUBECONFIG_EXPIRES_OUTPUT = "kubeconfigExpires"
# When the first control-plane certificate kubeadm manages expires, after the latest
# renewal check (RFC 3339, UTC); plain, by the shell.
CERTIFICATES_EXPIRE_OUTPUT = "controlPlaneCertificatesExpire"


def _network(platform: Platform) -> dict[str, str]:
    """The flat layer-2 network: pods route by default via ``gateway`` and reach
    ``serviceCidr`` through their own node's address."""
    cfg = platform.config
    return {
        "subnet": str(cfg.pod_subnet),
        "podPool": str(cfg.pod_pool),
        "gateway": str(cfg.gateway),
        "serviceCidr": str(cfg.service_cidr),
    }


def _nodes(platform: Platform) -> list[dict[str, Any]]:
    network = plan(platform)
    result = []
    for node in platform.nodes:
        net = network.node(node.name)
        tenant = platform.tenant_of.get(node.name)
        result.append(
            {
                "name": node.name,
                "address": str(node.address),
                "roles": list(node.roles),
                "podRange": {"start": str(net.range_start), "end": str(net.range_end), "cidr": str(net.pod_slice)},
                "tenant": tenant.name if tenant else None,
            }
        )
    return result


def _tenants(platform: Platform) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = {}
    for tenant in platform.config.tenants:
        key, value = tenant.label
        result[tenant.name] = {
            "namespace": tenant.name,
            "serviceAccount": tenants.SERVICE_ACCOUNT,
            "nodeSelector": {key: value},
            "priorityClasses": {str(role): name for role, name in spark.PRIORITY_CLASSES.items()},
            "sparkConf": spark.spark_conf(platform, tenant),
            "podTemplates": {role: spark.pod_template_yaml(platform, tenant, role) for role in spark.ROLES},
            "sparkDefaultsConfigMap": spark.CONFIG_MAP,
            "executorServiceAccount": tenants.EXECUTOR_SERVICE_ACCOUNT,
            "submitServiceAccount": tenants.submitter(tenant),
            "kubeconfigOutput": kubeconfigs.output_name(tenant.name),
        }
    return result


def contract(platform: Platform) -> dict[str, Any]:
    """Every non-secret stack output, by output name."""
    return {
        "contractVersion": CONTRACT_VERSION,
        "clusterName": platform.config.cluster_name,
        "kubernetesVersion": str(platform.version),
        "apiEndpoint": platform.api_server_url,
        "sparkMaster": spark.master(platform),
        "dnsServers": dns_servers(platform),
        "network": _network(platform),
        "nodes": _nodes(platform),
        "tenants": _tenants(platform),
    }


def to_json(outputs: dict[str, Any]) -> str:
    """The form ``pulumi stack output --json`` prints (and README.md shows)."""
    return json.dumps(outputs, indent=2) + "\n"
