"""The sections of the stack configuration: a node, a tenant, DNS, Spark, packages,
containerd, mirrors; each a strict model whose own fields are checked here (checks that
relate several sections live in components.validation)."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from components import ssh_keys, syntax
from components.config.fields import (
    AbsolutePath, Address, AptComponent, AptSuite, AptUrl, DebPackage, DebVersion, ImageReference, InterfaceName, Labels,
    Model, NamespaceName, NodeName, Port, Quantity, RegistryHost, RegistryUrl, Role, SshUser, TaintEffect, Whole, label_pair,
)
from components.problems import invalid, shown
from components.versions import KubernetesVersion
from components.vocabulary import DEFAULT_TENANT_LABEL_KEY
# ---------------------------------------------------------------------------- sections


@dataclass(frozen=True)
class SecretSetting:
    """Whether a secret config value exists and was stored encrypted.

    The model never holds the secret itself: the Pulumi shell reads it with
    ``Config.require_secret`` so it stays an encrypted Output end to end.
    """

    stored_as_secret: bool


class Taint(Model):
    key: str = Field(description="Taint key ([prefix/]name).")
    value: str = Field(default="", description="Taint value (may be empty).")
    effect: TaintEffect = Field(default="NoSchedule", description="What the taint does to pods without a toleration.")

    @field_validator("key")
    @classmethod
    def _key(cls, key: str) -> str:
        label_pair(key, "")
        return key

    @field_validator("value")
    @classmethod
    def _value(cls, value: str) -> str:
        label_pair("taint", value)
        return value


class NodeConfig(Model):
    """One machine of the rack, as its operator knows it."""

    name: NodeName = Field(description="Kubernetes node name (RFC 1123 label); also names the node's resources.")
    address: Address = Field(description="The host's own IPv4 address on the flat layer-2 network.")
    ssh_host_key: str = Field(
        description="The host's public SSH host key ('ssh-ed25519 AAAA...', from ssh-keyscan); pinned so a swapped machine is refused."
    )
    ssh_user: SshUser | None = Field(default=None, description="Overrides sshUser for this node.")
    ssh_port: Port | None = Field(default=None, description="Overrides sshPort for this node.")
    uplink: InterfaceName = Field(default="eth0", description="The physical interface on the layer-2 network.")
    roles: tuple[Role, ...] = Field(
        default=("worker",),
        min_length=1,
        description="control-plane (the first one runs kubeadm init), worker, dns (CoreDNS on the host network; also needs control-plane or worker).",
    )
    labels: Labels = Field(default_factory=dict, description="Extra node labels.")
    taints: tuple[Taint, ...] = Field(default=(), description="Extra taints, registered at join and kept by the node patch.")
    pod_slice: Whole | None = Field(
        default=None,
        ge=0,
        description="Index of this node's slice of the pod pool; default: the node address's offset in podSubnet modulo the number of slices.",
    )

    @field_validator("ssh_host_key")
    @classmethod
    def _host_key(cls, value: str) -> str:
        problem = ssh_keys.host_key_problem(value)
        if problem:
            raise invalid(
                f"not a usable pinned host key: {problem}",
                "paste the key part of `ssh-keyscan -t ed25519 <address>` (e.g. 'ssh-ed25519 AAAAC3...')",
            )
        return value

    @field_validator("taints")
    @classmethod
    def _unique_taints(cls, taints: tuple["Taint", ...]) -> tuple["Taint", ...]:
        # The API server keys a node's taints by key and effect and refuses a repeat, half-way through an up.
        first: dict[tuple[str, str], int] = {}
        for index, taint in enumerate(taints):
            seen = first.setdefault((taint.key, taint.effect), index)
            if seen != index:
                same = taint.value == taints[seen].value
                raise invalid(
                    f"taints[{index}] repeats taints[{seen}] ({taint.key}, effect {taint.effect})"
                    + ("" if same else " with another value: a node has one taint per key and effect"),
                    "keep one taint per key and effect",
                )
        return taints

    @field_validator("roles")
    @classmethod
    def _unique_roles(cls, roles: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(roles)) != len(roles):
            raise invalid(f"roles {list(roles)} repeat a role", "list each role once")
        return roles

    @property
    def is_control_plane(self) -> bool:
        return "control-plane" in self.roles

    @property
    def is_kubernetes_node(self) -> bool:
        return "control-plane" in self.roles or "worker" in self.roles

    @property
    def is_dns(self) -> bool:
        return "dns" in self.roles


class Quota(Model):
    """The tenant's share of its nodes, enforced by a ResourceQuota."""

    cpu: Quantity | None = Field(default=None, description="Total CPU requests and limits.")
    memory: Quantity | None = Field(default=None, description="Total memory requests and limits.")
    pods: Whole | None = Field(default=None, ge=0, description="Most pods at once.")
    persistent_volume_claims: Whole | None = Field(default=None, ge=0, description="Most PersistentVolumeClaims.")
    storage: Quantity | None = Field(default=None, description="Total requested storage.")


class ContainerDefaults(Model):
    """LimitRange defaults for containers that state nothing (Spark always states its own)."""

    cpu_request: Quantity = Field(default="500m", description="Default CPU request.")
    memory_request: Quantity = Field(default="1Gi", description="Default memory request.")
    cpu_limit: Quantity | None = Field(default=None, description="Default CPU limit; none by default (CPU is compressible; Spark sets none either).")
    memory_limit: Quantity = Field(default="4Gi", description="Default memory limit.")

    @model_validator(mode="after")
    def _requests_within_limits(self) -> "ContainerDefaults":
        # The API server refuses a LimitRange whose default request exceeds its default limit.
        for resource, request, limit in (("cpu", self.cpu_request, self.cpu_limit), ("memory", self.memory_request, self.memory_limit)):
            if limit is not None and syntax.quantity_value(request) > syntax.quantity_value(limit):
                raise invalid(
                    f"the default {resource} request {request} is above the default {resource} limit {limit}",
                    f"lower {resource}Request to {limit} or less, or raise {resource}Limit",
                )
        return self


class TenantConfig(Model):
    """A tenant group: one namespace, pinned to its own nodes."""

    name: NamespaceName = Field(description="Tenant and namespace name (RFC 1123 label).")
    nodes: tuple[NodeName, ...] = Field(min_length=1, description="Names of the nodes this tenant owns.")
    node_label: str | None = Field(
        default=None,
        description=f"'key=value' put on the tenant's nodes and selected by the namespace; default '{DEFAULT_TENANT_LABEL_KEY}=<name>'.",
    )
    taint_nodes: bool = Field(default=True, description="Taint the tenant's nodes so no other pods land there.")
    access: Literal["spark", "edit"] = Field(
        default="spark",
        description="'spark': a Role with exactly what Spark's driver needs; 'edit': the built-in edit ClusterRole, bound in the namespace only.",
    )
    quota: Quota = Field(default_factory=Quota, description="ResourceQuota of the namespace (unset parts: no limit).")
    container_defaults: ContainerDefaults = Field(default_factory=ContainerDefaults, description="LimitRange defaults.")
    spark_conf: dict[str, str] = Field(default_factory=dict, description="Extra spark-defaults for this tenant.")

    @field_validator("node_label")
    @classmethod
    def _node_label(cls, value: str | None) -> str | None:
        if value is None:
            return value
        key, eq, label_value = value.partition("=")
        if not eq:
            raise invalid(f"{shown(value)} is not 'key=value'", "write the label as key=value, e.g. spark=spark")
        label_pair(key, label_value)
        return value

    @property
    def label(self) -> tuple[str, str]:
        """The (key, value) pair on this tenant's nodes."""
        if self.node_label is None:
            return DEFAULT_TENANT_LABEL_KEY, self.name
        key, _, value = self.node_label.partition("=")
        return key, value

    @property
    def node_selector(self) -> str:
        """The PodNodeSelector annotation value."""
        return "=".join(self.label)


class ControlPlaneVip(Model):
    """The API endpoint as a virtual IP on the flat layer-2 network, held by one control
    plane at a time (keepalived, VRRP; components/hostfiles/keepalived.py)."""

    address: Address = Field(description="The virtual IP: in podSubnet, outside podPool and serviceCidr, no node's address; becomes the API endpoint (controlPlaneEndpoint).")
    router_id: Whole = Field(default=51, ge=1, le=255, description="VRRP virtual router id, unique among the VRRP routers of the layer-2 network.")


class CertificatesConfig(Model):
    """When the control planes' certificates are renewed (components/steps/certificates.py)."""

    renew_before_days: Whole = Field(
        default=90,
        ge=32,
        le=3650,
        description="Renew kubeadm's control-plane certificates and the admin kubeconfig (valid one year) once the first expires within this many days; checked by the first up of each month, so at least 32.",
    )


class UpgradeConfig(Model):
    """How a raised kubernetesVersion rolls through the nodes (components/steps/upgrade.py)."""

    worker_batch_size: Whole = Field(
        default=1,
        ge=1,
        le=1000,
        description="Workers drained and upgraded at once, after every control plane (one at a time); each batch starts once the one before it is back in service.",
    )
    drain_timeout_seconds: Whole = Field(
        default=900,
        ge=60,
        le=86400,
        description="How long a drain waits for its pods to leave; a tenant's running Spark drivers are never evicted (their disruption budget), so this is how long an upgrade waits for their jobs to end before it stops with the node named.",
    )


class DnsConfig(Model):
    """CoreDNS on the host network of the DNS-role nodes (see DESIGN.md, DNS)."""

    upstreams: tuple[Address, ...] = Field(
        default=(),
        max_length=3,
        description="Upstream resolvers; empty: the host's own (systemd-resolved's real upstreams, never the 127.0.0.53 stub).",
    )
    min_servers: Whole = Field(default=1, ge=1, le=3, description="Fewest DNS-role nodes the stack accepts (2+ for HA).")
    timeout_seconds: Whole = Field(default=2, ge=1, le=30, description="resolv.conf 'timeout' for hosts and Spark pods.")
    attempts: Whole = Field(default=2, ge=1, le=5, description="resolv.conf 'attempts'.")

    @field_validator("upstreams")
    @classmethod
    def _real_resolvers(cls, upstreams: tuple[IPv4Address, ...]) -> tuple[IPv4Address, ...]:
        for index, address in enumerate(upstreams):
            why = _not_a_resolver(address)
            if why:
                raise invalid(
                    f"upstreams[{index}] {address} is {why}",
                    "give the addresses of real resolvers on the network, or leave upstreams empty (the hosts' own real upstreams)",
                )
            if address in upstreams[:index]:
                raise invalid(f"upstreams[{index}] {address} is listed twice", "list each resolver once")
        return upstreams
    image: ImageReference | None = Field(default=None, description="CoreDNS image; default the one kubeadm names for the release: <imageRepository>/coredns:<tag> (registry.k8s.io/coredns/coredns:<tag> on the official registry).")


def _not_a_resolver(address: IPv4Address) -> str | None:
    """Why CoreDNS on the host network cannot forward to ``address``, if it cannot."""
    if address.is_loopback:
        return "a loopback address: CoreDNS on the host network would ask the host itself (127.0.0.53 is the very stub resolver the design avoids)"
    if address.is_unspecified:
        return "the unspecified address 0.0.0.0, which no resolver answers on"
    if address.is_multicast or address.is_reserved or address == IPv4Address("255.255.255.255"):
        return "a multicast, broadcast or reserved address, which no resolver answers on"
    return None


HIGHEST_USER_PRIORITY = 1_000_000_000  # above: reserved for Kubernetes' system-* classes
LOWEST_PRIORITY = -(2**31)  # PriorityClass.value is an int32
Priority = Annotated[Whole, Field(ge=LOWEST_PRIORITY, le=HIGHEST_USER_PRIORITY)]


class Priorities(Model):
    """PriorityClass values for mixed deployment (higher wins; a preempted driver kills its whole job)."""

    platform: Priority = Field(default=1_000_000, description="Platform services (logging, monitoring); tenants may not use it. DNS runs as system-cluster-critical.")
    service: Priority = Field(default=100_000, description="Long-running tenant services.")
    spark_driver: Priority = Field(default=10_000, description="Spark drivers: above executors, since a preempted driver kills its whole application.")
    spark_executor: Priority = Field(default=1_000, description="Spark executors (preemptionPolicy Never: they wait for capacity).")


def _upload_path(value: str) -> str:
    if not syntax.UPLOAD_PATH.match(value):
        scheme, sep, rest = value.partition("://")
        safe = f"{scheme}{sep}***@{rest.partition('@')[2]}" if "@" in rest.partition("/")[0] else value  # never echo credentials
        raise invalid(
            f"{shown(safe)} is not an upload path Spark can use",
            "give an s3a:// or hdfs:// URI without credentials (those go in spark.hadoop.fs.s3a.* settings), "
            "e.g. s3a://spark-uploads/jobs or hdfs://namenode:8020/spark/uploads",
        )
    return value


UploadPath = Annotated[str, AfterValidator(_upload_path)]


class SparkConfig(Model):
    image: ImageReference = Field(default="apache/spark:3.5.3", description="Default Spark image (spark.kubernetes.container.image).")
    conf: dict[str, str] = Field(default_factory=dict, description="spark-defaults shared by every tenant.")
    upload_path: UploadPath | None = Field(
        default=None,
        description="Where spark-submit uploads local application files (spark.kubernetes.file.upload.path), an s3a:// or hdfs:// URI; unset: only local:// and remote applications can be submitted.",
    )
    priorities: Priorities = Field(default_factory=Priorities, description="PriorityClass values.")


class AptSource(Model):
    """An apt repository and the key that signs it (stored armoured, as a .asc keyring)."""

    url: AptUrl = Field(description="Repository URL (http or https; apt checks the signature either way).")
    suite: AptSuite = Field(default="/", description="Suite, e.g. bookworm; a path ending in '/' for a flat repository (as pkgs.k8s.io), then without components.")
    components: tuple[AptComponent, ...] = Field(default=(), description="Components, e.g. [stable]; none for a flat repository.")
    signing_key: str | None = Field(default=None, description="The repository's public key, ASCII-armoured ('-----BEGIN PGP PUBLIC KEY BLOCK-----...'); or give signingKeyUrl.")
    signing_key_url: AptUrl | None = Field(default=None, description="Where the hosts download the ASCII-armoured public key from; or give signingKey.")

    @field_validator("signing_key")
    @classmethod
    def _armoured(cls, value: str | None) -> str | None:
        if value is not None and not syntax.PGP_PUBLIC_KEY.match(value):
            raise invalid(
                "the signing key is not an ASCII-armoured public key",
                "paste the whole block from '-----BEGIN PGP PUBLIC KEY BLOCK-----' to '-----END PGP PUBLIC KEY BLOCK-----' (gpg --armor --export)",
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "AptSource":
        flat = self.suite.endswith("/")
        if flat and self.components:
            raise invalid(
                f"suite {shown(self.suite)} is a path (a flat repository), which takes no components",
                "remove components, or give a suite name such as bookworm",
            )
        if not flat and not self.components:
            raise invalid(f"suite {shown(self.suite)} needs at least one component", "add components, e.g. [stable] or [main]")
        if (self.signing_key is None) == (self.signing_key_url is None):
            raise invalid(
                "give exactly one of signingKey and signingKeyUrl" if self.signing_key else "the repository has no signing key",
                "set signingKey (the armoured key inline) or signingKeyUrl (where hosts download it), not both",
            )
        return self

    @property
    def source_suite(self) -> str:
        """``<suite> <components...>`` as a sources.list line ends."""
        return " ".join((self.suite, *self.components))


def pkgs_k8s_io(version: KubernetesVersion) -> AptSource:
    """pkgs.k8s.io's repository of the release's minor (one repository per minor)."""
    url = f"https://pkgs.k8s.io/core:/stable:/{version.minor_series}/deb/"
    return AptSource(url=url, signing_key_url=f"{url}Release.key")


DOCKER_DEBIAN = {
    "url": "https://download.docker.com/linux/debian",
    "suite": "bookworm",
    "components": ("stable",),
    "signing_key_url": "https://download.docker.com/linux/debian/gpg",
}


class ContainerdConfig(Model):
    """containerd 2.x, at a version containerd's support matrix recommends for the release."""

    package: DebPackage = Field(default="containerd.io", description="The apt package that installs containerd (and runc).")
    version: DebVersion | None = Field(
        default=None,
        description="The package version: exact, or a prefix ending in '*'; default '<line>.*' of the containerd line the release's row names (components/versions.py).",
    )
    repository: AptSource = Field(
        default_factory=lambda: AptSource(**DOCKER_DEBIAN),
        description="Where the package comes from; default Docker's Debian repository (url https://download.docker.com/linux/debian, suite bookworm, components [stable], signingKeyUrl https://download.docker.com/linux/debian/gpg): set suite/url for other releases (trixie, Ubuntu's noble) or a mirror.",
    )
    restrict_oom_score_adj: bool = Field(
        default=False,
        description="containerd's restrict_oom_score_adj: cap containers' oom_score_adj at containerd's own, for hosts where containerd lacks CAP_SYS_RESOURCE (containers, the lab).",
    )


class RegistryMirror(Model):
    """Pulls of one registry's images go to a mirror (containerd ``certs.d/<registry>/hosts.toml``)."""

    registry: RegistryHost = Field(description="The registry images name, e.g. docker.io, quay.io, registry.k8s.io, or the imageRepository's host.")
    mirror: RegistryUrl = Field(description="The mirror's URL, e.g. https://mirror.example.com:5000 (pull and resolve go there first).")
    ca_file: AbsolutePath | None = Field(default=None, description="CA certificate (PEM) of the mirror's TLS certificate, as a path on every host; default: the hosts' system CAs.")


class KubeProxyConfig(Model):
    """kube-proxy settings a site may need to change (it runs in iptables mode)."""

    conntrack_max_per_core: Whole | None = Field(
        default=None,
        ge=0,
        description="kube-proxy's conntrack.maxPerCore; 0 leaves the kernel's nf_conntrack_max alone (hosts where it is not writable, such as containers and the lab); default kube-proxy's own.",
    )


CgroupV1 = Literal["refuse", "allow"]


