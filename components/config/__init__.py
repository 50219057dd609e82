"""The platform model: one typed description of the whole rack, read from stack config.

Everything the program puts on a host or into Kubernetes is a pure function of a
:class:`Platform`, so validation happens here once, before any resource exists. Field
types and their checks live in fields.py, the section models (node, tenant, DNS, Spark,
packages) in sections.py, the whole stack and the derived :class:`Platform` in
platform.py; checks that relate several settings live in ``components.validation`` so
that they can run even when unrelated fields are broken (one run reports every problem).

Keys are camelCase in YAML (Pulumi's convention) and snake_case in Python.
"""

from __future__ import annotations

from components.config.fields import Model, Port, Role, TaintEffect
from components.config.platform import Platform, PlatformConfig
from components.config.sections import (
    DOCKER_DEBIAN, HIGHEST_USER_PRIORITY, LOWEST_PRIORITY, AptSource, ContainerDefaults, ContainerdConfig, ControlPlaneVip,
    DnsConfig, KubeProxyConfig, NodeConfig, Priorities, Quota, RegistryMirror, SecretSetting, SparkConfig, Taint, TenantConfig,
    pkgs_k8s_io,
)
from components.vocabulary import DEFAULT_TENANT_LABEL_KEY

__all__ = [
    "DEFAULT_TENANT_LABEL_KEY", "DOCKER_DEBIAN", "HIGHEST_USER_PRIORITY", "LOWEST_PRIORITY", "AptSource", "ContainerDefaults",
    "ContainerdConfig", "ControlPlaneVip", "DnsConfig", "KubeProxyConfig", "Model", "NodeConfig", "Platform", "PlatformConfig", "Port",
    "Priorities", "Quota", "RegistryMirror", "Role", "SecretSetting", "SparkConfig", "Taint", "TaintEffect", "TenantConfig",
    "pkgs_k8s_io",
]
