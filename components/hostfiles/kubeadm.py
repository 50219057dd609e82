"""kubeadm's configuration files, for the kubeadm config API of the configured release.

Choices made here, and why:

- ``controlPlaneEndpoint`` is set from day one, so a second control-plane node can join
  later without re-issuing every certificate and kubeconfig. The API server's extra
  certSANs are the endpoint and ``apiServerCertSANs`` only: kubeadm adds each control
  plane's own address to that node's certificate, and a SAN list that grew with every
  control plane would change the first one's ``kubeadm init`` inputs.
- The API server runs NodeRestriction, PodNodeSelector and PodTolerationRestriction: the
  namespace annotations that pin a tenant to its nodes and tolerations are enforced by
  the API server, not by convention.
- Pod addresses: the macvlan slices come from our network plan, not from the
  controller-manager. Its range allocator hands out node CIDRs in registration order,
  which would contradict the slices, so ``allocate-node-cidrs`` is off and
  ``node.spec.podCIDR`` stays empty (nothing in this design reads it: no overlay
  CNI, kube-proxy in iptables mode). ``networking.podSubnet`` and kube-proxy's
  ``clusterCIDR`` are the pod pool, so Kubernetes' view of pod addresses is the pool.
- kube-proxy masquerades all service traffic (``masqueradeAll``): a pod reaches a
  service through its node (the pod's service route) and the chosen backend, being a
  macvlan neighbour on the same layer-2 network, would answer the pod directly from its
  own address; SNAT to the node makes the reply return through the node's conntrack.
- CoreDNS is not kubeadm's: we run our own on the host network of the DNS nodes (see the
  Kubernetes layer), and ``kubeadm upgrade`` must not bring the stock one back, so the
  addon is disabled in the stored ClusterConfiguration (v1beta4) and its phase skipped.
- kubelet's ``clusterDNS`` is the DNS nodes' own addresses (no service VIP, so no
  DNAT/conntrack on the DNS path), at most three: glibc reads no more.
- kubelet's ``maxPods`` never exceeds the addresses of a node's pod slice (a pod beyond
  them would never get an address).
- Hosts on cgroup v1 (``cgroupV1: allow``): kubelet's ``failCgroupV1: false`` and kubeadm's
  SystemVerification preflight (which fails on cgroup v1 from 1.35) skipped, on every node.
- Every control plane gets the admission configuration file: a joining control plane's
  API server is rendered from the same ClusterConfiguration and exits without it.
"""

from __future__ import annotations

from typing import Any

import yaml

from components.config import NodeConfig, Platform
from components.network import dns_servers
from components.vocabulary import CLUSTER_DOMAIN
from components.hostfiles import HostFile
from components.hostfiles.containerd import SOCKET
from components.hostfiles.resolv import KUBELET_RESOLV_CONF
from components.network import usable_per_slice
from components.taints import registration_taints
from components.versions import KUBEADM_API

KUBEADM_DIR = "/etc/kubernetes/kubeadm"
INIT_CONFIG = f"{KUBEADM_DIR}/init.yaml"
JOIN_CONFIG = f"{KUBEADM_DIR}/join.yaml"
IMAGES_CONFIG = f"{KUBEADM_DIR}/images.yaml"
ADMISSION_DIR = "/etc/kubernetes/admission"
ADMISSION_CONFIG = f"{ADMISSION_DIR}/admission.yaml"
ADMIN_CONF = "/etc/kubernetes/admin.conf"
# kubeadm init and join write it: a host that has it is in a cluster
KUBELET_CONF = "/etc/kubernetes/kubelet.conf"

ADMISSION_PLUGINS = ("NodeRestriction", "PodNodeSelector", "PodTolerationRestriction")
# The init token kubeadm always creates: short-lived and never used (each join mints its own).
INIT_TOKEN_TTL = "15m0s"

# Placeholders the join step replaces, on the host, in a private temporary copy.
TOKEN_PLACEHOLDER = "@@JOIN_TOKEN@@"
CA_HASH_PLACEHOLDER = "@@CA_CERT_HASH@@"
CERTIFICATE_KEY_PLACEHOLDER = "@@CERTIFICATE_KEY@@"

KUBELET_DEFAULT_MAX_PODS = 110  # kubelet's own default (and Kubernetes' tested per-node limit)
CGROUP_V1_PREFLIGHT = "SystemVerification"  # the kubeadm preflight check that refuses cgroup v1


def _args(values: dict[str, str]) -> list[dict[str, str]]:
    """extraArgs in v1beta4: a list of name/value pairs (order kept, names may repeat)."""
    return [{"name": name, "value": value} for name, value in values.items()]


def _endpoint(platform: Platform) -> str:
    return f"{platform.api_host}:{platform.config.api_port}"


def _taints(platform: Platform, node: NodeConfig) -> list[dict[str, str]]:
    """Registration taints: nothing schedules onto a node before its taints exist. The
    Kubernetes layer's node patches apply the same list (components/manifests/nodes.py)."""
    return registration_taints(platform, node)


def _node_registration(platform: Platform, node: NodeConfig) -> dict[str, Any]:
    registration: dict[str, Any] = {
        "name": node.name,
        "criSocket": SOCKET,
        "taints": _taints(platform, node),
        "kubeletExtraArgs": _args({"node-ip": str(node.address)}),
    }
    if platform.allows_cgroup_v1:
        registration["ignorePreflightErrors"] = [CGROUP_V1_PREFLIGHT]
    return registration


def _api_endpoint(platform: Platform, node: NodeConfig) -> dict[str, Any]:
    return {"advertiseAddress": str(node.address), "bindPort": platform.config.api_port}


def cluster_configuration(platform: Platform) -> dict[str, Any]:
    cfg = platform.config
    sans = sorted({platform.api_host, *cfg.api_server_cert_sans})
    return {
        "apiVersion": KUBEADM_API,
        "kind": "ClusterConfiguration",
        "clusterName": cfg.cluster_name,
        "kubernetesVersion": platform.version.tag,
        "imageRepository": cfg.image_repository,
        "controlPlaneEndpoint": _endpoint(platform),
        "networking": {
            "podSubnet": str(cfg.pod_pool),
            "serviceSubnet": str(cfg.service_cidr),
            "dnsDomain": CLUSTER_DOMAIN,
        },
        "apiServer": {
            "certSANs": sans,
            "extraArgs": _args(
                {
                    "enable-admission-plugins": ",".join(ADMISSION_PLUGINS),
                    "admission-control-config-file": ADMISSION_CONFIG,
                },
            ),
            "extraVolumes": [
                {
                    "name": "admission",
                    "hostPath": ADMISSION_DIR,
                    "mountPath": ADMISSION_DIR,
                    "readOnly": True,
                    "pathType": "DirectoryOrCreate",
                }
            ],
        },
        "controllerManager": {"extraArgs": _args({"allocate-node-cidrs": "false"})},
        "dns": {"disabled": True},
    }


def init_configuration(platform: Platform) -> dict[str, Any]:
    node = platform.init_node
    return {
        "apiVersion": KUBEADM_API,
        "kind": "InitConfiguration",
        "bootstrapTokens": [
            {
                "ttl": INIT_TOKEN_TTL,
                "description": "spark-on-metal: created by kubeadm init, never used (joins mint their own)",
                "usages": ["signing", "authentication"],
                "groups": ["system:bootstrappers:kubeadm:default-node-token"],
            }
        ],
        "localAPIEndpoint": _api_endpoint(platform, node),
        "nodeRegistration": _node_registration(platform, node),
        "skipPhases": ["addon/coredns"],
    }


def max_pods(platform: Platform) -> int:
    """kubelet's default, unless a node's slice holds fewer pod addresses."""
    return min(KUBELET_DEFAULT_MAX_PODS, usable_per_slice(platform.config.pod_slice_prefix))


def kubelet_configuration(platform: Platform) -> dict[str, Any]:
    document: dict[str, Any] = {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "cgroupDriver": "systemd",
        "clusterDomain": CLUSTER_DOMAIN,
        "clusterDNS": dns_servers(platform),
        "resolvConf": KUBELET_RESOLV_CONF,
        "failSwapOn": True,
        "maxPods": max_pods(platform),
    }
    if platform.allows_cgroup_v1:
        document["failCgroupV1"] = False
    return document


def kube_proxy_configuration(platform: Platform) -> dict[str, Any]:
    document: dict[str, Any] = {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "mode": "iptables",
        "clusterCIDR": str(platform.config.pod_pool),
        "iptables": {"masqueradeAll": True},
    }
    max_per_core = platform.config.kube_proxy.conntrack_max_per_core
    if max_per_core is not None:
        document["conntrack"] = {"maxPerCore": max_per_core}
    return document


def join_configuration(platform: Platform, node: NodeConfig) -> dict[str, Any]:
    document: dict[str, Any] = {
        "apiVersion": KUBEADM_API,
        "kind": "JoinConfiguration",
        "discovery": {
            "bootstrapToken": {
                "apiServerEndpoint": _endpoint(platform),
                "token": TOKEN_PLACEHOLDER,
                "caCertHashes": [CA_HASH_PLACEHOLDER],
            }
        },
        "nodeRegistration": _node_registration(platform, node),
    }
    if node.is_control_plane:
        document["controlPlane"] = {
            "localAPIEndpoint": _api_endpoint(platform, node),
            "certificateKey": CERTIFICATE_KEY_PLACEHOLDER,
        }
    return document


def admission_configuration() -> dict[str, Any]:
    return {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "AdmissionConfiguration",
        "plugins": [
            {
                # No cluster-wide default: namespaces without the annotation are not pinned.
                "name": "PodNodeSelector",
                "configuration": {"podNodeSelectorPluginConfig": {"clusterDefaultNodeSelector": ""}},
            },
            {
                "name": "PodTolerationRestriction",
                "configuration": {
                    "apiVersion": "podtolerationrestriction.admission.k8s.io/v1alpha1",
                    "kind": "Configuration",
                    "default": [],
                },
            },
        ],
    }


def dump(*documents: dict[str, Any]) -> str:
    return "---\n".join(yaml.safe_dump(doc, sort_keys=False, default_flow_style=False) for doc in documents)


def init_file(platform: Platform) -> HostFile:
    return HostFile(
        INIT_CONFIG,
        dump(
            init_configuration(platform),
            cluster_configuration(platform),
            kubelet_configuration(platform),
            kube_proxy_configuration(platform),
        ),
        "0600",
    )


def images_configuration(platform: Platform) -> dict[str, Any]:
    """The smallest ClusterConfiguration for `kubeadm config images pull` (release + mirror):
    its list is ``Platform.control_plane_images``, CoreDNS included while the DNS
    DaemonSet runs kubeadm's CoreDNS image."""
    document: dict[str, Any] = {
        "apiVersion": KUBEADM_API,
        "kind": "ClusterConfiguration",
        "kubernetesVersion": platform.version.tag,
        "imageRepository": platform.config.image_repository,
    }
    if platform.config.dns.image:
        document["dns"] = {"disabled": True}
    return document


def images_file(platform: Platform) -> HostFile:
    return HostFile(IMAGES_CONFIG, dump(images_configuration(platform)), "0600")


def join_file(platform: Platform, node: NodeConfig) -> HostFile:
    return HostFile(JOIN_CONFIG, dump(join_configuration(platform, node)), "0600")


def admission_file() -> HostFile:
    return HostFile(ADMISSION_CONFIG, dump(admission_configuration()), "0644")
