"""containerd's configuration: the systemd cgroup driver, and the sandbox image from the mirror.

kubelet is configured with ``cgroupDriver: systemd``; a runtime on cgroupfs beside it gives
two cgroup managers on one host, which kubeadm's docs warn makes nodes unstable under load.
The sandbox image must come from the configured mirror or pods never start where the
default registry is unreachable. Config version 2 is read by containerd 1.6, 1.7 and 2.x.
"""

from __future__ import annotations

from components.config import Platform
from components.hostfiles import HostFile

CONFIG_PATH = "/etc/containerd/config.toml"
SOCKET = "unix:///run/containerd/containerd.sock"


def config_file(platform: Platform) -> HostFile:
    content = f"""# spark-on-metal: containerd for kubelet (systemd cgroups, images from the mirror)
version = 2

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{platform.pause_image}"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  SystemdCgroup = true

[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "/opt/cni/bin"
  conf_dir = "/etc/cni/net.d"
"""
    return HostFile(CONFIG_PATH, content)
