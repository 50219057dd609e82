"""Tenant kubeconfigs: what a tenant submits with, instead of the cluster-admin kubeconfig.

Pure: the Pulumi shell (``components.kube``) hands in the cluster CA (read from the
admin kubeconfig kubeadm printed) and the token the token controller wrote into the
tenant's ``<tenant>-submitter-token`` Secret, and exports the result as the secret
stack output ``kubeconfig-<tenant>``. The identity is the submitter ServiceAccount,
whose Role (``components.manifests.tenants``) is bound in the tenant namespace only;
the context's namespace is the tenant's, so ``kubectl`` and ``spark-submit`` need no
``-n``.

The token is a long-lived ServiceAccount token: it stays valid until the Secret or the
ServiceAccount is deleted. Rotating it is deleting the Secret's resource
(``pulumi up --replace`` on it); the next ``pulumi up`` exports the new kubeconfig.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import yaml

from components import certificates
from components.config import Platform, TenantConfig
from components.manifests import tenants


class KubeconfigError(ValueError):
    """A kubeconfig or token Secret without the part a tenant kubeconfig is built from."""


def output_name(tenant_name: str) -> str:
    """The secret stack output holding a tenant's kubeconfig."""
    return f"kubeconfig-{tenant_name}"


def _first(kubeconfig: str, section: str, kind: str, field: str) -> str:
    """``field`` of the first entry of a kubeconfig's ``section`` (a single-cluster,
    single-user kubeconfig, as kubeadm prints it)."""
    try:
        return str(yaml.safe_load(kubeconfig)[section][0][kind][field])
    except (yaml.YAMLError, KeyError, IndexError, TypeError):
        # The message never quotes the kubeconfig: it holds the admin's client key.
        raise KubeconfigError(f"the cluster kubeconfig names no {kind} with {field}") from None


def cluster_ca(admin_kubeconfig: str) -> str:
    """The base64 ``certificate-authority-data`` of the (single) cluster in a kubeconfig."""
    return _first(admin_kubeconfig, "clusters", "cluster", "certificate-authority-data")


def client_certificate_expiry(admin_kubeconfig: str) -> str:
    """When the (single) user's client certificate expires, RFC 3339 UTC: kubeadm signs
    the admin's for one year (the stack output ``kubeconfigExpires``)."""
    data = _first(admin_kubeconfig, "users", "user", "client-certificate-data")
    try:
        pem = base64.b64decode(data, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        raise KubeconfigError("the cluster kubeconfig's client-certificate-data is not base64 of a PEM certificate") from None
    return certificates.not_after(certificates.pem_body(pem)).strftime("%Y-%m-%dT%H:%M:%SZ")


def token_from_secret_data(data: dict[str, Any] | None, secret: str) -> str:
    """The token of a service-account-token Secret's ``data`` (base64, as the API returns it)."""
    encoded = (data or {}).get("token")
    if not encoded:
        raise KubeconfigError(f"Secret {secret} has no token yet: the token controller fills it once the ServiceAccount exists")
    return base64.b64decode(encoded).decode()


def tenant_kubeconfig(platform: Platform, tenant: TenantConfig, ca_data: str, token: str) -> str:
    """A kubeconfig for the tenant's submitter, one cluster, one user, one context."""
    cluster = platform.config.cluster_name
    user = f"{tenants.submitter(tenant)}@{cluster}"
    context = f"{tenant.name}@{cluster}"
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster, "cluster": {"server": platform.api_server_url, "certificate-authority-data": ca_data}}],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [{"name": context, "context": {"cluster": cluster, "user": user, "namespace": tenant.name}}],
        "current-context": context,
        "preferences": {},
    }
    return yaml.safe_dump(config, sort_keys=False, default_flow_style=False)
