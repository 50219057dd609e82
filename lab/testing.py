"""Helpers for lab tests: the root requirement and steps many tests share.

Kept apart from fixtures.py so test modules can import these while pytest loads the
fixtures itself (`pytest_plugins = ["lab.fixtures"]`), with assertion rewriting.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from .lab import Lab
from .nodes.lifecycle import lab_processes
from .proc import all_pids, cmdline, is_alive
from .spec import LabNames

NEEDS_ROOT = "the lab needs root: it creates network namespaces, mounts and veth pairs"
requires_root = pytest.mark.skipif(os.geteuid() != 0, reason=NEEDS_ROOT)
K8S_APT_SOURCE = "/etc/apt/sources.list.d/kubernetes.list"

LabFactory = Callable[..., Lab]

# A config set as the project renders it (reference design: PodNodeSelector, an image
# mirror, node IPs as clusterDNS), for the kubeadm stand-in's tests.
KUBEADM_V1BETA4 = """\
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
bootstrapTokens:
- token: abcdef.0123456789abcdef
  ttl: 24h0m0s
localAPIEndpoint: {advertiseAddress: 10.99.0.11, bindPort: 6443}
nodeRegistration:
  name: cp1
  criSocket: unix:///run/containerd/containerd.sock
  taints: []
  kubeletExtraArgs:
  - {name: node-ip, value: 10.99.0.11}
timeouts: {controlPlaneComponentHealthCheck: 4m0s}
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.31.4
controlPlaneEndpoint: 10.99.0.11:6443
imageRepository: registry.example.com/k8s
networking: {podSubnet: 10.99.64.0/20, serviceSubnet: 10.99.80.0/24, dnsDomain: cluster.local}
apiServer:
  certSANs: [10.99.0.11]
  extraArgs:
  - {name: enable-admission-plugins, value: "NodeRestriction,PodNodeSelector"}
etcd: {local: {dataDir: /var/lib/etcd}}
proxy: {disabled: false}
encryptionAlgorithm: ECDSA-P256
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
clusterDNS: [10.99.0.11]
cgroupDriver: systemd
---
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
"""

KUBEADM_V1BETA3 = """\
apiVersion: kubeadm.k8s.io/v1beta3
kind: InitConfiguration
nodeRegistration:
  kubeletExtraArgs: {node-ip: 10.99.0.11}
---
apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
apiServer:
  timeoutForControlPlane: 4m0s
  extraArgs: {enable-admission-plugins: "NodeRestriction,PodNodeSelector"}
"""


def lab_traces(lab_id: str) -> dict[str, list[str]]:
    """What a lab leaves on the machine, read from the machine itself (not through the
    lab's own bookkeeping): mounts, network namespaces, cgroups, processes, files."""
    names = LabNames(lab_id)
    mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    return {
        "mounts": [m for m in mounts if names.prefix.rstrip("-") in m],
        "netns": [line.split()[0] for line in listed.splitlines() if line.startswith(names.prefix)],
        "cgroups": sorted(str(p) for p in Path("/sys/fs/cgroup").glob(f"*/{names.prefix}*")),
        "processes": [str(pid) for pid in sorted(set(lab_processes(lab_id)) | set(_naming(names)))],
        "files": [str(p) for p in (names.state_dir, names.mount_dir) if p.exists()],
    }


def _naming(names: LabNames) -> list[int]:
    """Live processes whose argv names the lab (its namespaces, mounts or state dir)."""
    me = os.getpid()
    marks = (names.prefix.rstrip("-"), str(names.state_dir))
    return [pid for pid in all_pids()
            if pid != me and is_alive(pid) and any(m in " ".join(cmdline(pid)) for m in marks)]


NO_TRACES: dict[str, list[str]] = {"mounts": [], "netns": [], "cgroups": [], "processes": [], "files": []}


def skip_unless_root() -> None:
    if os.geteuid() != 0:
        pytest.skip(NEEDS_ROOT)


def install_kubernetes(lab: Lab, node: str, version: str = "1.31.4-1.1") -> None:
    """What the project's scripts do first on a host: the pkgs.k8s.io source, then the packages."""
    minor = ".".join(version.split(".")[:2])
    keyring = "/etc/apt/keyrings/kubernetes-apt-keyring.gpg"
    source = f"deb [signed-by={keyring}] https://pkgs.k8s.io/core:/stable:/v{minor}/deb/ /\n"
    lab.write_file(node, K8S_APT_SOURCE, source)
    packages = [f"{name}={version}" for name in ("kubelet", "kubeadm", "kubectl")]
    lab.node_exec(node, ["apt-get", "install", "-y", *packages])
