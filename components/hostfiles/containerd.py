"""containerd 2.x's configuration: systemd cgroups, kubeadm's sandbox image, registry mirrors.

kubelet is configured with ``cgroupDriver: systemd``; a runtime on cgroupfs beside it gives
two cgroup managers on one host, which kubeadm's docs warn makes nodes unstable under load.
The sandbox image is kubeadm's own pause image from the configured mirror (kubeadm warns
when the runtime's differs, and pods never start where the default registry is
unreachable). The file is containerd 2.x's format, ``version = 3``, whose CRI plugin ids
are ``io.containerd.cri.v1.images`` and ``io.containerd.cri.v1.runtime``; every release
the platform supports needs containerd 2.x (components/versions.py).

Registry mirrors are containerd's ``hosts.toml`` files under ``config_path``: one
directory per registry, so tenant images (docker.io, quay.io, ...) come from the mirror
too, not only the control plane's.
"""

from __future__ import annotations

from components.config import Platform, RegistryMirror
from components.hostfiles import HostFile

CONFIG_PATH = "/etc/containerd/config.toml"
CERTS_DIR = "/etc/containerd/certs.d"
SOCKET = "unix:///run/containerd/containerd.sock"
CNI_BIN_DIR = "/opt/cni/bin"
CNI_CONF_DIR = "/etc/cni/net.d"
HEADER = "# spark-on-metal:"

# What a registry's own endpoint is when images name it (containerd's default host).
UPSTREAM_SERVER = {"docker.io": "https://registry-1.docker.io"}


def _toml_string(value: str) -> str:
    """A TOML literal string (no escapes inside; every value here is validated to need none)."""
    if "'" in value or "\n" in value:
        raise ValueError(f"cannot write {value!r} as a TOML literal string")
    return f"'{value}'"


def config_file(platform: Platform) -> HostFile:
    restrict = "true" if platform.config.containerd.restrict_oom_score_adj else "false"
    content = f"""{HEADER} containerd 2.x for kubelet (systemd cgroups, images from the mirror)
version = 3

[plugins.'io.containerd.cri.v1.images'.pinned_images]
  sandbox = {_toml_string(platform.pause_image)}

[plugins.'io.containerd.cri.v1.images'.registry]
  config_path = {_toml_string(CERTS_DIR)}

[plugins.'io.containerd.cri.v1.runtime']
  # containerd.restrictOomScoreAdj in the stack (for hosts without CAP_SYS_RESOURCE).
  restrict_oom_score_adj = {restrict}

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
  runtime_type = 'io.containerd.runc.v2'

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
  SystemdCgroup = true

[plugins.'io.containerd.cri.v1.runtime'.cni]
  bin_dirs = [{_toml_string(CNI_BIN_DIR)}]
  conf_dir = {_toml_string(CNI_CONF_DIR)}
"""
    # A host may have had containerd (and its configuration) before: removal puts that back.
    return HostFile(CONFIG_PATH, content, keeps_previous=True)


def hosts_path(registry: str) -> str:
    return f"{CERTS_DIR}/{registry}/hosts.toml"


def hosts_file(mirror: RegistryMirror) -> HostFile:
    server = UPSTREAM_SERVER.get(mirror.registry, f"https://{mirror.registry}")
    ca = f"  ca = {_toml_string(mirror.ca_file)}\n" if mirror.ca_file else ""
    content = f"""{HEADER} pulls of {mirror.registry} images go to its mirror first
server = {_toml_string(server)}

[host.{_toml_string(mirror.mirror)}]
  capabilities = ['pull', 'resolve']
{ca}"""
    return HostFile(hosts_path(mirror.registry), content)


def files(platform: Platform) -> tuple[HostFile, ...]:
    return (config_file(platform), *(hosts_file(mirror) for mirror in platform.config.registry_mirrors))
