"""Pods the way a container runtime makes them: a network namespace plus real CNI plugins.

The plugins are Debian's containernetworking-plugins (/usr/lib/cni, seen in every
node through the overlay's lower layer). They run inside the node (its mount and
network namespaces and its root), with the environment and stdin of the CNI spec,
so host-local IPAM keeps its leases in the node's own /var/lib/cni/networks. For a
.conflist the plugins are chained as libcni does: `name` and `cniVersion` injected
into each plugin's config, the previous result passed as prevResult; DEL runs the
chain backwards with the ADD result.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .nodes.enter import exec_in
from .proc import LabError

CNI_PATH = ("/opt/cni/bin", "/usr/lib/cni")
IFNAME = "eth0"


def node_root(init_pid: int) -> Path:
    """The node's root file system as the machine can read it (through its init)."""
    return Path(f"/proc/{init_pid}/root")


def plugin_configs(conf: dict[str, Any]) -> list[dict[str, Any]]:
    """One network config per plugin to invoke, in order."""
    if "plugins" not in conf:
        return [conf]
    return [{**plugin, "name": conf["name"], "cniVersion": conf["cniVersion"]} for plugin in conf["plugins"]]


def plugin_path(init_pid: int, plugin_type: str) -> str:
    """Where the node would find the plugin binary on CNI_PATH."""
    for directory in CNI_PATH:
        if (node_root(init_pid) / directory.lstrip("/") / plugin_type).is_file():
            return f"{directory}/{plugin_type}"
    raise LabError(f"CNI plugin {plugin_type!r} not found in {':'.join(CNI_PATH)}")


def invoke(init_pid: int, command: str, pod: str, conf: dict[str, Any]) -> dict[str, Any]:
    """Run one plugin with CNI_COMMAND=command; return its parsed result."""
    env = {
        "CNI_COMMAND": command,
        "CNI_CONTAINERID": pod,
        "CNI_NETNS": f"/var/run/netns/{pod}",
        "CNI_IFNAME": IFNAME,
        "CNI_PATH": ":".join(CNI_PATH),
    }
    result = exec_in(init_pid, [plugin_path(init_pid, conf["type"])], stdin=json.dumps(conf), env=env, check=False)
    output = json.loads(result.stdout) if result.stdout.strip() else {}
    if result.returncode != 0:
        raise LabError(f"CNI {command} with plugin {conf['type']} failed: {output or result.stderr.strip()}")
    return output


def read_conf(init_pid: int, conf_path: str) -> dict[str, Any]:
    return json.loads((node_root(init_pid) / conf_path.lstrip("/")).read_text())


def add(init_pid: int, pod: str, conf: dict[str, Any]) -> dict[str, Any]:
    """Create the pod's namespace in the node and run CNI ADD; return the CNI result."""
    exec_in(init_pid, ["ip", "netns", "add", pod])
    result: dict[str, Any] = {}
    try:
        for plugin in plugin_configs(conf):
            result = invoke(init_pid, "ADD", pod, {**plugin, **({"prevResult": result} if result else {})})
    except LabError:
        exec_in(init_pid, ["ip", "netns", "delete", pod], check=False)
        raise
    return result


def delete(init_pid: int, pod: str, conf: dict[str, Any], added: dict[str, Any]) -> None:
    """CNI DEL (chain reversed, with the ADD result), then remove the pod's namespace."""
    for plugin in reversed(plugin_configs(conf)):
        invoke(init_pid, "DEL", pod, {**plugin, "prevResult": added})
    exec_in(init_pid, ["ip", "netns", "delete", pod])


def exec_in_pod(
    init_pid: int, pod: str, argv: Sequence[str], timeout: float = 30.0
) -> subprocess.CompletedProcess[str]:
    """Run a command in a pod's network namespace (inside its node)."""
    return exec_in(init_pid, ["ip", "netns", "exec", pod, *argv], timeout=timeout, check=False)
