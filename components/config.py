"""The platform model: one typed description of the whole rack, read from stack config.

Everything the program puts on a host or into Kubernetes is a pure function of a
:class:`Platform`, so validation happens here once, before any resource exists. Field
checks live on the models; checks that relate several settings live in
``components.validation`` so that they can run even when unrelated fields are broken
(one run reports every problem).

Keys are camelCase in YAML (Pulumi's convention) and snake_case in Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from ipaddress import IPv4Address, IPv4Network
from typing import Annotated, Callable, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from components import ssh_keys, syntax
from components.problems import invalid, kind_of, shown
from components.versions import KubernetesVersion, Release, coredns_image, kubeadm_image

Role = Literal["control-plane", "worker", "dns"]
TaintEffect = Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]

DEFAULT_TENANT_LABEL_KEY = "node-restriction.kubernetes.io/tenant"


class Model(BaseModel):
    """Strict base: unknown keys are errors (a typo must never be silently ignored)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True, strict=False
    )


# ---------------------------------------------------------------------------- field types


def _dns_label(what: str):
    def check(value: str) -> str:
        if not syntax.DNS_LABEL.match(value):
            raise invalid(
                f"{shown(value)} is not a valid {what} (RFC 1123 label)",
                "use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit",
            )
        return value

    return check


def _image_reference(value: str) -> str:
    match = syntax.IMAGE_REFERENCE.match(value)
    if not match:
        raise invalid(
            f"{shown(value)} is not a valid image reference",
            "write it as [registry[:port]/]path:tag or path@sha256:<digest>, lower-case path",
        )
    if not (match["tag"] or match["digest"]):
        raise invalid(
            f"image {shown(value)} has no tag or digest (it would float to ':latest')",
            f"pin it, e.g. {value}:<version> or {value}@sha256:<digest>",
        )
    return value


def _image_repository(value: str) -> str:
    if not syntax.IMAGE_REPOSITORY.match(value):
        raise invalid(
            f"{shown(value)} is not a valid image repository",
            "give a registry and optional path without a tag, e.g. registry.k8s.io or mirror.example.com:5000/k8s",
        )
    return value


def _quantity(value: str) -> str:
    if not syntax.QUANTITY.match(value):
        raise invalid(
            f"{shown(value)} is not a Kubernetes quantity", "write e.g. '500m', '4', '16Gi' (see the Kubernetes quantity format)"
        )
    return value


def _interface(value: str) -> str:
    if not syntax.INTERFACE_NAME.match(value):
        raise invalid(f"{shown(value)} is not a valid Linux interface name", "use 1 to 15 letters, digits, '_', '.', '-'")
    return value


def _labels(value: dict[str, str]) -> dict[str, str]:
    for key, label_value in value.items():
        _label_pair(key, label_value)
    return value


def _label_pair(key: str, value: str) -> None:
    if not syntax.is_qualified_name(key):
        raise invalid(
            f"{shown(key)} is not a valid label key", "use [dns-prefix/]name, name at most 63 characters of [A-Za-z0-9-_.]"
        )
    if not syntax.is_label_value(value):
        raise invalid(
            f"{shown(value)} (for {shown(key)}) is not a valid label value", "use at most 63 characters of [A-Za-z0-9-_.]"
        )


def _kubernetes_version(value: str) -> str:
    """The release's syntax; whether it is supported is a check of its own (validation.py),
    since that depends on the date and on allowEndOfLife."""
    if not syntax.KUBERNETES_VERSION.match(value):
        raise invalid(f"{shown(value)} is not a Kubernetes release", "write MAJOR.MINOR.PATCH, e.g. 1.35.4")
    return value.removeprefix("v")


def _minor_name(value: str) -> str:
    if not syntax.KUBERNETES_MINOR.match(value):
        raise invalid(f"{shown(value)} is not a Kubernetes minor release", "write it quoted as '1.<minor>', e.g. '1.35'")
    return value


def _pattern(rule: re.Pattern[str], what: str, fix: str) -> Callable[[str], str]:
    """A field check: ``value`` must match ``rule``, else '<value> is not <what>' with ``fix``."""

    def check(value: str) -> str:
        if not rule.match(value):
            raise invalid(f"{shown(value)} is not {what}", fix)
        return value

    return check


def _unset_if_empty(value: object) -> object:
    """Pulumi.yaml declares apiEndpoint with default "" (a declared key needs a default)."""
    return None if value == "" else value


def _api_endpoint(value: str | None) -> str | None:
    if value is not None and not syntax.HOSTNAME.match(value):
        raise invalid(
            f"{shown(value)} is not a host name or IPv4 address",
            "give the load balancer's or first control-plane node's DNS name or IP, without scheme or port (see apiPort)",
        )
    if value is not None and value.rpartition(".")[2].isdigit():
        # No top-level domain is all digits (RFC 3696), so this is meant as an address.
        try:
            IPv4Address(value)
        except ValueError:
            raise invalid(
                f"{shown(value)} is not an IPv4 address (four numbers from 0 to 255)",
                "correct the address, e.g. 10.0.0.10, or give a DNS name",
            ) from None
    return value


def _whole_number(value: object) -> object:
    """YAML's true is no number, but pydantic's lax int would read it as 1 (port 1)."""
    if isinstance(value, bool):
        raise invalid(f"{kind_of(value)} is not a number", "write a whole number without quotes")
    return value


def _address_text(what: str, example: str) -> Callable[[object], object]:
    """Addresses are written as text: pydantic would read the number 167772161 as 10.0.0.1."""

    def check(value: object) -> object:
        if not isinstance(value, str):
            raise invalid(f"{kind_of(value)} is not {what}", f"write {what} in dotted form, e.g. {example}")
        return value

    return check


def _ssh_user(value: str) -> str:
    if not syntax.UNIX_USER.match(value):
        raise invalid(
            f"{shown(value)} is not a user name (it is empty, or has spaces, a line break or other characters ssh and sudo refuse)",
            "write the login name alone, e.g. root or deploy (up to 32 letters, digits, '_', '.', '-')",
        )
    return value


AptUrl = Annotated[str, AfterValidator(_pattern(syntax.APT_URL, "an apt repository URL", "give http(s)://host[:port]/path, e.g. https://pkgs.k8s.io/core:/stable:/v1.35/deb/"))]
AptSuite = Annotated[str, AfterValidator(_pattern(syntax.APT_SUITE, "an apt suite", "give a suite name (bookworm) or, for a flat repository, a path ending in '/' (the default '/')"))]
AptComponent = Annotated[str, AfterValidator(_pattern(syntax.APT_COMPONENT, "an apt component", "give a component name, e.g. stable or main"))]
DebPackage = Annotated[str, AfterValidator(_pattern(syntax.DEB_PACKAGE, "a Debian package name", "give the package's name, e.g. containerd.io"))]
DebVersion = Annotated[str, AfterValidator(_pattern(syntax.DEB_VERSION, "a Debian package version", "give an exact version (2.2.9-1.1) or a prefix ending in '*' (2.2.*)"))]
AbsolutePath = Annotated[str, AfterValidator(_pattern(syntax.ABSOLUTE_PATH, "an absolute path", "give the file's absolute path on the hosts, e.g. /etc/ssl/certs/mirror-ca.pem"))]
RegistryHost = Annotated[str, AfterValidator(_pattern(syntax.REGISTRY_HOST, "a registry host", "give the registry as images name it: host[:port], e.g. docker.io or mirror.example.com:5000"))]
RegistryUrl = Annotated[str, AfterValidator(_pattern(syntax.REGISTRY_URL, "a registry URL", "give https://host[:port][/path] of the mirror, e.g. https://mirror.example.com:5000"))]
NodeName = Annotated[str, AfterValidator(_dns_label("node name"))]
NamespaceName = Annotated[str, AfterValidator(_dns_label("namespace name"))]
ImageReference = Annotated[str, AfterValidator(_image_reference)]
Quantity = Annotated[str, AfterValidator(_quantity)]
InterfaceName = Annotated[str, AfterValidator(_interface)]
Labels = Annotated[dict[str, str], AfterValidator(_labels)]
Whole = Annotated[int, BeforeValidator(_whole_number)]
Port = Annotated[Whole, Field(ge=1, le=65535)]
Address = Annotated[IPv4Address, BeforeValidator(_address_text("an IPv4 address", "10.0.0.11"))]
Network = Annotated[IPv4Network, BeforeValidator(_address_text("an IPv4 network", "10.0.0.0/24"))]
SshUser = Annotated[str, AfterValidator(_ssh_user)]


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
        _label_pair(key, "")
        return key

    @field_validator("value")
    @classmethod
    def _value(cls, value: str) -> str:
        _label_pair("taint", value)
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
        _label_pair(key, label_value)
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


# ---------------------------------------------------------------------------- the stack


class PlatformConfig(Model):
    """The whole stack configuration (``spark-on-metal:*`` keys)."""

    cluster_name: Annotated[str, AfterValidator(_dns_label("cluster name"))] = Field(
        default="spark-on-metal", description="kubeadm clusterName and the kubeconfig context name."
    )
    kubernetes_version: Annotated[str, AfterValidator(_kubernetes_version)] = Field(description="Kubernetes release, e.g. 1.35.4 (kubeadm, kubelet, kubectl pinned to it); one of the supported minors (components/versions.py).")
    allow_end_of_life: Annotated[str | None, BeforeValidator(_unset_if_empty), AfterValidator(lambda v: v if v is None else _minor_name(v))] = Field(
        default=None,
        description="Run this minor past its end of life (no security fixes): must name the configured minor, quoted, e.g. '1.35'; every run warns.",
    )
    image_repository: Annotated[str, AfterValidator(_image_repository)] = Field(
        default="registry.k8s.io", description="Registry (mirror) kubeadm and containerd pull control-plane images from."
    )
    api_endpoint: Annotated[str | None, BeforeValidator(_unset_if_empty), AfterValidator(_api_endpoint)] = Field(
        default=None,
        description="Stable DNS name or IP of the API server (kubeadm controlPlaneEndpoint); default: the first control-plane node's address.",
    )
    api_port: Port = Field(default=6443, description="API server port.")
    api_server_cert_sans: tuple[Annotated[str, AfterValidator(_api_endpoint)], ...] = Field(
        default=(),
        alias="apiServerCertSANs",
        description="Extra names and addresses in the API server certificate (kubeadm adds the endpoint and each control plane's own address).",
    )
    pod_subnet: Network = Field(description="The flat layer-2 network hosts and pods share, e.g. 10.0.0.0/17.")
    pod_pool: Network = Field(description="The part of podSubnet pods get addresses from, e.g. 10.0.64.0/20.")
    pod_slice_prefix: Whole = Field(default=25, ge=8, le=32, description="Prefix length of each node's slice of podPool.")
    gateway: Address = Field(description="The physical router on podSubnet; pods' default route.")
    service_cidr: Network = Field(description="Service virtual IPs; outside podPool, may lie inside podSubnet.")
    macvlan_interface: InterfaceName = Field(default="mac0", description="Name of the host's macvlan sub-interface.")
    ssh_user: SshUser = Field(default="root", description="SSH user on every node (non-root users need passwordless sudo).")
    ssh_port: Port = Field(default=22, description="SSH port on every node.")
    ssh_private_key: SecretSetting | None = Field(default=None, description="SSH private key; a Pulumi secret.")
    nodes: tuple[NodeConfig, ...] = Field(min_length=1, description="The machines of the rack.")
    tenants: tuple[TenantConfig, ...] = Field(default=(), description="Tenant groups, each pinned to its own nodes.")
    dns: DnsConfig = Field(default_factory=DnsConfig, description="Cluster DNS (CoreDNS on the DNS nodes' host network).")
    cgroup_v1: CgroupV1 = Field(
        default="refuse",
        description="Hosts on cgroup v1, which kubelet refuses from 1.35: 'refuse' (prepare-host stops) or 'allow' (kubelet failCgroupV1: false, kubeadm's SystemVerification preflight skipped).",
    )
    package_repository: AptSource | None = Field(
        default=None,
        description="Where kubelet, kubeadm, kubectl, cri-tools and kubernetes-cni come from; default pkgs.k8s.io's repository of the configured minor.",
    )
    containerd: ContainerdConfig = Field(default_factory=ContainerdConfig, description="The container runtime package.")
    kube_proxy: KubeProxyConfig = Field(default_factory=KubeProxyConfig, description="kube-proxy settings.")
    registry_mirrors: tuple[RegistryMirror, ...] = Field(default=(), description="Registry mirrors for containerd (tenant images too), one per registry.")
    spark: SparkConfig = Field(default_factory=SparkConfig, description="What Spark jobs are submitted with.")


# ---------------------------------------------------------------------------- validated view


class Platform:
    """A validated :class:`PlatformConfig` plus the facts derived from it.

    Only ``components.load`` builds one, after every check passed, so code that receives
    a Platform may assume the configuration is consistent.
    """

    def __init__(self, config: PlatformConfig, stack: str):
        self.config = config
        self.stack = stack

    @cached_property
    def version(self) -> KubernetesVersion:
        return KubernetesVersion.parse(self.config.kubernetes_version)

    @cached_property
    def nodes(self) -> tuple[NodeConfig, ...]:
        return self.config.nodes

    def node(self, name: str) -> NodeConfig:
        return next(node for node in self.nodes if node.name == name)

    @cached_property
    def kubernetes_nodes(self) -> tuple[NodeConfig, ...]:
        return tuple(node for node in self.nodes if node.is_kubernetes_node)

    @cached_property
    def control_planes(self) -> tuple[NodeConfig, ...]:
        return tuple(node for node in self.nodes if node.is_control_plane)

    @property
    def init_node(self) -> NodeConfig:
        """The control-plane node that runs `kubeadm init`; the others join it."""
        return self.control_planes[0]

    @cached_property
    def joining_nodes(self) -> tuple[NodeConfig, ...]:
        return tuple(node for node in self.kubernetes_nodes if node.name != self.init_node.name)

    @cached_property
    def dns_nodes(self) -> tuple[NodeConfig, ...]:
        return tuple(node for node in self.nodes if node.is_dns)

    @cached_property
    def tenant_of(self) -> dict[str, TenantConfig]:
        return {name: tenant for tenant in self.config.tenants for name in tenant.nodes}

    @property
    def api_host(self) -> str:
        return self.config.api_endpoint or str(self.init_node.address)

    @property
    def api_server_url(self) -> str:
        return f"https://{self.api_host}:{self.config.api_port}"

    @property
    def prefix_length(self) -> int:
        return self.config.pod_subnet.prefixlen

    def ssh_user(self, node: NodeConfig) -> str:
        return node.ssh_user or self.config.ssh_user

    def ssh_port(self, node: NodeConfig) -> int:
        return node.ssh_port or self.config.ssh_port

    @property
    def release(self) -> Release:
        return self.version.release

    @property
    def kubeadm_coredns_image(self) -> str:
        """The CoreDNS image kubeadm names for the release and mirror."""
        return coredns_image(self.config.image_repository, self.release.coredns)

    @property
    def coredns_image(self) -> str:
        """The CoreDNS image the DNS DaemonSet runs."""
        return self.config.dns.image or self.kubeadm_coredns_image

    @property
    def pause_image(self) -> str:
        """kubeadm's sandbox image, which containerd must use too (kubeadm warns otherwise)."""
        return kubeadm_image(self.config.image_repository, "pause", self.release.pause)

    @property
    def control_plane_images(self) -> tuple[str, ...]:
        """What `kubeadm config images list` names for the release and mirror, in its order;
        CoreDNS only when it is the image the DNS DaemonSet runs (else kubeadm's images
        config disables it, and the DNS nodes pull ``dns.image`` themselves)."""
        repository, tag = self.config.image_repository, self.version.tag
        kube = [kubeadm_image(repository, name, tag) for name in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy")]
        dns = [] if self.config.dns.image else [self.kubeadm_coredns_image]
        return (*kube, *dns, self.pause_image, kubeadm_image(repository, "etcd", self.release.etcd))

    @property
    def package_repository(self) -> AptSource:
        return self.config.package_repository or pkgs_k8s_io(self.version)

    @property
    def containerd_version(self) -> str:
        return self.config.containerd.version or f"{self.release.containerd_line}.*"

    @property
    def allows_cgroup_v1(self) -> bool:
        return self.config.cgroup_v1 == "allow"

    @property
    def end_of_life_warning(self) -> str | None:
        """Set when the stack runs a release past its end of life (allowEndOfLife)."""
        if self.config.allow_end_of_life is None:
            return None
        release = self.release
        return (
            f"Kubernetes {release.name} reached its end of life on {release.end_of_life.isoformat()} and gets no "
            f"security fixes; the stack runs it because allowEndOfLife is '{release.name}'. Upgrade kubernetesVersion."
        )
