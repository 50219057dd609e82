"""The Kubernetes layer's Pulumi shell: one typed resource per object of ``components.manifests``.

Thin on purpose: every decision about what an object says lives in the pure core; here
each plain dict becomes the ``pulumi_kubernetes`` class of its (apiVersion, kind), with
its top-level fields passed as they are, so what ``render`` shows is what is applied.

- An explicit provider, built from the cluster's kubeconfig (a secret Output) and a
  ``cluster_identifier`` that names this stack's cluster: Pulumi replaces the provider,
  and with it every object, only when that identifier changes, never because a
  kubeconfig was re-issued. Server-side apply is on (node patches need it). The stack
  disables the default Kubernetes provider, so an object that forgot ``provider=``
  fails instead of landing in whatever cluster ``~/.kube/config`` points at.
- Nodes are only ever patched (``NodePatch``): kubeadm creates them.
- Resource names are ``kind/namespace/name`` (``kind/name`` when cluster-scoped), so a
  name never changes unless the object does.
- Tenant kubeconfigs (``kubeconfig-<tenant>``, secret outputs) are built from the
  cluster CA in the admin kubeconfig and the token the token controller writes into
  each tenant's submitter Secret (``components.kubeconfigs``); pulumi-kubernetes waits
  for that token before it reports the Secret created.
- Dependencies: ``components.manifests.prerequisites`` (namespace first, workloads
  last); each node patch also waits for that node's own entry of ``node_dependencies``
  (its ``node-registered`` step), so adding a node touches no other node's patch.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping, Sequence

import pulumi
import pulumi_kubernetes as k8s

from components import kubeconfigs, manifests
from components.config import Platform, TenantConfig
from components.manifests import tenants
from components.manifests.meta import Object, key
from components.outputs import CERTIFICATES_EXPIRE_OUTPUT, KUBECONFIG_EXPIRES_OUTPUT, KUBECONFIG_OUTPUT, contract

LAYER_TYPE = "spark-on-metal:kubernetes:Layer"
TENANT_TYPE = "spark-on-metal:kubernetes:Tenant"

ResourceClass = Callable[..., pulumi.CustomResource]

# The typed pulumi_kubernetes module of each apiVersion the pure core uses; the class is
# the object's kind there (pulumi_kubernetes names its classes after the kinds).
API_MODULES: dict[str, Any] = {
    "v1": k8s.core.v1,
    "apps/v1": k8s.apps.v1,
    "rbac.authorization.k8s.io/v1": k8s.rbac.v1,
    "scheduling.k8s.io/v1": k8s.scheduling.v1,
    "policy/v1": k8s.policy.v1,
}
# kubeadm creates these; the platform only ever patches them (server-side apply).
PATCHED_KINDS = frozenset({"Node"})


def cluster_identifier(platform: Platform) -> str:
    return f"spark-on-metal/{platform.stack}/{platform.config.cluster_name}"


def resource_name(obj: Object) -> str:
    return "/".join(part for part in (obj["kind"].lower(), *key(obj)[1:]) if part)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def resource_arguments(obj: Object) -> dict[str, Any]:
    """Top-level fields as keyword arguments (``roleRef`` -> ``role_ref``); nested dicts as they are."""
    return {_snake(field): value for field, value in obj.items() if field not in ("apiVersion", "kind")}


def resource_class(obj: Object) -> ResourceClass:
    """``v1`` ``ConfigMap`` -> ``pulumi_kubernetes.core.v1.ConfigMap``; ``Node`` -> ``NodePatch``."""
    kind = obj["kind"] + ("Patch" if obj["kind"] in PATCHED_KINDS else "")
    module = API_MODULES.get(obj["apiVersion"])
    if module is None or not hasattr(module, kind):
        raise ValueError(f"no Pulumi resource class for {obj['apiVersion']} {obj['kind']}: add its module to API_MODULES")
    return getattr(module, kind)


class Tenant(pulumi.ComponentResource):
    """A tenant's objects, grouped so ``pulumi stack`` shows them under one node."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TENANT_TYPE, name, None, opts)
        self.namespace = name


class KubernetesLayer(pulumi.ComponentResource):
    """Every managed Kubernetes object of the platform, through one explicit provider."""

    def __init__(
        self,
        name: str,
        platform: Platform,
        kubeconfig: pulumi.Input[str],
        node_dependencies: Mapping[str, Sequence[pulumi.Resource]] | None = None,
        after: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(LAYER_TYPE, name, None, opts)
        # Every object goes through the provider, so an object waits for ``after`` (every
        # host's prepare-host: a run refused there, say for another Kubernetes release,
        # changes nothing in the cluster either).
        self.provider = k8s.Provider(
            f"{name}-provider",
            kubeconfig=pulumi.Output.secret(kubeconfig),
            cluster_identifier=cluster_identifier(platform),
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(after)),
        )
        tenant_names = {tenant.name for tenant in platform.config.tenants}
        self.tenants = {tenant: Tenant(tenant, pulumi.ResourceOptions(parent=self)) for tenant in sorted(tenant_names)}
        managed = manifests.objects(platform)
        edges = manifests.prerequisites(managed)
        self.resources: dict[tuple[str, str, str], pulumi.CustomResource] = {}
        for obj in managed:
            owner = manifests.owner_tenant(obj, tenant_names)
            depends_on: list[pulumi.Resource] = [self.resources[needed] for needed in edges[key(obj)]]
            if manifests.nodes.is_node_patch(obj):
                depends_on += list((node_dependencies or {}).get(obj["metadata"]["name"], ()))
            self.resources[key(obj)] = resource_class(obj)(
                resource_name(obj),
                **resource_arguments(obj),
                opts=pulumi.ResourceOptions(
                    parent=self.tenants[owner] if owner else self, provider=self.provider, depends_on=depends_on
                ),
            )
        for tenant, component in self.tenants.items():
            component.register_outputs({"namespace": tenant})
        self.register_outputs({"clusterIdentifier": cluster_identifier(platform), "objects": len(self.resources)})

    def submitter_token(self, tenant: TenantConfig) -> pulumi.CustomResource:
        """The tenant's service-account-token Secret (pulumi-kubernetes waits until it has data)."""
        return self.resources[("Secret", tenant.name, tenants.submitter_token_secret(tenant))]


def tenant_kubeconfig(platform: Platform, tenant: TenantConfig, admin_kubeconfig: pulumi.Input[str], layer: KubernetesLayer) -> pulumi.Output[str]:
    """The tenant's kubeconfig from the cluster CA and its submitter token, as a secret."""
    secret = f"{tenant.name}/{tenants.submitter_token_secret(tenant)}"
    data = layer.submitter_token(tenant).data  # type: ignore[attr-defined]

    def build(parts: list[Any]) -> str | None:
        admin, token_data = parts
        if admin is None or token_data is None:
            # Only where no cluster exists (program tests under mocks): kubeadm-init always
            # prints the kubeconfig, and pulumi-kubernetes waits until a token Secret has data.
            return None
        ca = kubeconfigs.cluster_ca(admin)
        return kubeconfigs.tenant_kubeconfig(platform, tenant, ca, kubeconfigs.token_from_secret_data(token_data, secret))

    return pulumi.Output.secret(pulumi.Output.all(admin_kubeconfig, data).apply(build))


def _expiry(admin_kubeconfig: str | None) -> str | None:
    # None only where no cluster exists (program tests under mocks): the certificates step always prints it
    return kubeconfigs.client_certificate_expiry(admin_kubeconfig) if admin_kubeconfig else None


def export_outputs(
    platform: Platform, kubeconfig: pulumi.Input[str], certificates_expire: pulumi.Input[str], layer: KubernetesLayer
) -> None:
    """The stack outputs: the contract (components/outputs.py), the secret admin kubeconfig,
    the credentials' expiry dates and one secret kubeconfig per tenant (``kubeconfig-<tenant>``)."""
    for name, value in contract(platform).items():
        pulumi.export(name, value)
    pulumi.export(KUBECONFIG_OUTPUT, pulumi.Output.secret(kubeconfig))
    # dates are no secrets: a site alerts on them should the monthly renewal check not run
    pulumi.export(KUBECONFIG_EXPIRES_OUTPUT, pulumi.Output.unsecret(pulumi.Output.from_input(kubeconfig).apply(_expiry)))
    pulumi.export(CERTIFICATES_EXPIRE_OUTPUT, certificates_expire)
    for tenant in platform.config.tenants:
        pulumi.export(kubeconfigs.output_name(tenant.name), tenant_kubeconfig(platform, tenant, kubeconfig, layer))
