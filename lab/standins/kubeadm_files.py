"""The files kubeadm writes on a node, written the same way by the kubeadm stand-in.

Static Pod manifests whose command lines carry kubeadm's defaults overridden by the
config's extraArgs (so tests can see e.g. --enable-admission-plugins), the kubelet's
config.yaml and kubeadm-flags.env, and kubeconfigs with client certificates signed
by the cluster CA.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from . import kubeadm_pki as pki
from .common import write_file
from .kubeadm_config import extra_args

K8S = Path("/etc/kubernetes")
PKI = K8S / "pki"
MANIFESTS = K8S / "manifests"
ADMIN_CONF = K8S / "admin.conf"
KUBELET_CONF = K8S / "kubelet.conf"
KUBELET_DIR = Path("/var/lib/kubelet")
ETCD_DIR = Path("/var/lib/etcd")
DEFAULT_REPOSITORY = "registry.k8s.io"
DEFAULT_SERVICE_SUBNET = "10.96.0.0/12"
DEFAULT_CRI_SOCKET = "unix:///var/run/containerd/containerd.sock"
CONTROL_PLANE = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")


def manifest(component: str, image: str, flags: list[tuple[str, str]]) -> str:
    """A static Pod manifest whose command line carries defaults overridden by extraArgs."""
    command = [component] + [f"--{name}={value}" for name, value in flags]
    return yaml.safe_dump({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": component, "namespace": "kube-system",
                     "labels": {"component": component, "tier": "control-plane"}},
        "spec": {"hostNetwork": True, "containers": [{"name": component, "image": image, "command": command}]},
    }, sort_keys=False)


def merge_flags(defaults: list[tuple[str, str]], extra: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """kubeadm's rule: an extra arg replaces the default of the same name, others are appended."""
    merged, replaced = list(defaults), set()
    for name, value in extra:
        index = next((i for i, (n, _) in enumerate(merged) if n == name and n not in replaced), None)
        if index is None:
            merged.append((name, value))
        else:
            merged[index] = (name, value)
            replaced.add(name)
    return merged


def write_control_plane(cfg: dict[str, Any], address: str, port: int, version: str) -> None:
    """/etc/kubernetes/manifests/*.yaml, as the control-plane and etcd phases write them."""
    repo = cfg.get("imageRepository") or DEFAULT_REPOSITORY
    networking = cfg.get("networking") or {}
    service_subnet = networking.get("serviceSubnet") or DEFAULT_SERVICE_SUBNET
    etcd = cfg.get("etcd") or {}
    defaults = {
        "kube-apiserver": [("advertise-address", address), ("secure-port", str(port)),
                           ("service-cluster-ip-range", service_subnet),
                           ("enable-admission-plugins", "NodeRestriction"),
                           ("client-ca-file", "/etc/kubernetes/pki/ca.crt")],
        "kube-controller-manager": [("service-cluster-ip-range", service_subnet)]
        + ([("allocate-node-cidrs", "true"), ("cluster-cidr", networking["podSubnet"])]
           if networking.get("podSubnet") else []),
        "kube-scheduler": [("kubeconfig", "/etc/kubernetes/scheduler.conf")],
    }
    sections = {"kube-apiserver": "apiServer", "kube-controller-manager": "controllerManager",
                "kube-scheduler": "scheduler"}
    for component, section in sections.items():
        flags = merge_flags(defaults[component], extra_args(cfg.get(section) or {}))
        write_file(MANIFESTS / f"{component}.yaml", manifest(component, f"{repo}/{component}:{version}", flags))
    if not etcd.get("external"):
        local = etcd.get("local") or {}
        flags = merge_flags([("data-dir", local.get("dataDir") or str(ETCD_DIR))], extra_args(local))
        write_file(MANIFESTS / "etcd.yaml", manifest("etcd", f"{repo}/etcd", flags))


def write_kubelet_files(kubelet_config: str, node_registration: dict[str, Any]) -> None:
    """/var/lib/kubelet/config.yaml and kubeadm-flags.env, as kubelet-start writes them."""
    write_file(KUBELET_DIR / "config.yaml", kubelet_config)
    flags = [("container-runtime-endpoint", node_registration.get("criSocket") or DEFAULT_CRI_SOCKET)]
    flags += extra_args({"extraArgs": node_registration.get("kubeletExtraArgs")})
    args = " ".join(f"--{name}={value}" for name, value in flags)
    write_file(KUBELET_DIR / "kubeadm-flags.env", f'KUBELET_KUBEADM_ARGS="{args}"\n')


def write_kubeconfigs(ca_dir: Path, server: str, cluster_name: str, node: str, algorithm: str,
                      admin: bool) -> None:
    """kubelet.conf (and admin.conf on a control plane), with client certs signed by the CA."""
    users = [(KUBELET_CONF, f"system:node:{node}", "/O=system:nodes/CN=system:node:" + node)]
    if admin:
        users.append((ADMIN_CONF, "kubernetes-admin", "/O=kubeadm:cluster-admins/CN=kubernetes-admin"))
    for path, user, subject in users:
        cert, key = pki.make_client_cert(ca_dir, algorithm, subject)
        ca_pem = (ca_dir / "ca.crt").read_bytes()
        write_file(path, pki.kubeconfig(server, cluster_name, user, ca_pem, cert, key), 0o600)
        print(f'[kubeconfig] Writing "{path.name}" kubeconfig file')
