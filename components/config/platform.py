"""The whole stack configuration (``PlatformConfig``) and the validated view of it
(``Platform``) with the facts derived from it: which node runs kubeadm init, which nodes
join, the API endpoint, the images of the release. Only components.validation builds a
Platform, after every check passed."""

from __future__ import annotations

from datetime import date
from functools import cached_property
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

# Imported under private names: PlatformConfig has fields called api_endpoint and
# kubernetes_version, which would shadow the checks in its own annotations.
from components.config.fields import Address, InterfaceName, Model, Network, Port, SshUser, Whole
from components.config.fields import api_endpoint as _api_endpoint
from components.config.fields import dns_label as _dns_label
from components.config.fields import image_repository as _image_repository
from components.config.fields import kubernetes_version as _kubernetes_version
from components.config.fields import minor_name as _minor_name
from components.config.fields import unset_if_empty as _unset_if_empty
from components.config.sections import (
    AptSource, CertificatesConfig, CgroupV1, ControlPlaneVip, ContainerdConfig, DnsConfig, KubeProxyConfig, NodeConfig, RegistryMirror, SecretSetting, UpgradeConfig,
    SparkConfig, TenantConfig, pkgs_k8s_io,
)
from components.versions import KubernetesVersion, Release, coredns_image, kubeadm_image


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
    control_plane_vip: ControlPlaneVip | None = Field(
        default=None,
        description="A virtual IP for the API server that moves to a healthy control plane (keepalived); needed for a control plane to be removable. Default: none, the endpoint is apiEndpoint or the first control plane's address.",
    )
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
    certificates: CertificatesConfig = Field(default_factory=CertificatesConfig, description="Renewal of the control planes' certificates.")
    upgrade: UpgradeConfig = Field(default_factory=UpgradeConfig, description="How an upgrade (kubernetesVersion raised by a patch or one minor) rolls through the nodes.")


# ---------------------------------------------------------------------------- validated view


class Platform:
    """A validated :class:`PlatformConfig` plus the facts derived from it.

    Only ``components.load`` builds one, after every check passed, so code that receives
    a Platform may assume the configuration is consistent.
    """

    def __init__(self, config: PlatformConfig, stack: str, today: date):
        self.config = config
        self.stack = stack
        # The day of the run: time-bound decisions (end of life, the certificates check's
        # month) are functions of it, never of a clock read inside the core.
        self.today = today

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
        """The first control plane in the stack: it runs `kubeadm init` (and the others'
        join credentials). When it leaves the stack the next one takes its place, with
        its resources kept (components.vocabulary.KUBEADM)."""
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
        vip = self.config.control_plane_vip
        return self.config.api_endpoint or (str(vip.address) if vip else str(self.init_node.address))

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
