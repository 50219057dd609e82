"""Running a probe inside a kubelet pod's network namespace, from the pod's node.

Why from the node: the lab's images are the control plane's (no shell, no ping); a
probe needs only the pod's network, so it runs the node's own tools (ping, bash,
python3) in the pod's network namespace, found through CRI (crictl) as an operator
would. It runs through the node's enter argv (its namespaces, its reduced
capabilities), never a bare nsenter from the machine.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from typing import Any

from ..lab import Lab

CRICTL = "crictl --runtime-endpoint unix:///run/containerd/containerd.sock"
IN_POD = f"""set -eu
ns=$1 pod=$2; shift 2
id=$({CRICTL} pods --namespace "$ns" --name "^$pod\\$" --state ready -q | head -n 1)
[ -n "$id" ] || {{ echo "no ready sandbox of pod $ns/$pod on this node" >&2; exit 97; }}
pid=$({CRICTL} inspectp -o go-template --template '{{{{.info.pid}}}}' "$id")
exec nsenter --target "$pid" --net -- "$@"
"""
NO_SANDBOX = 97


def in_pod(lab: Lab, node: str, namespace: str, pod: str, argv: Sequence[str],
           timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    """argv run on ``node`` inside the network namespace of pod ``namespace/pod``;
    returned, not checked (exit 97: the pod has no ready sandbox there)."""
    return lab.node_exec(node, ["sh", "-c", IN_POD, "sh", namespace, pod, *argv], timeout=timeout, check=False)


def ping_argv(address: str) -> list[str]:
    return ["ping", "-c", "1", "-W", "3", address]


def tcp_connect_argv(address: str, port: int) -> list[str]:
    """Exit 0 when a TCP connection to address:port opens within 5 seconds."""
    return ["timeout", "5", "bash", "-c", f"exec 3<>/dev/tcp/{address}/{port}"]


def pod_manifest(name: str, namespace: str, image: str, node_selector: dict[str, str] | None = None,
                 tolerations: list[dict[str, str]] | None = None) -> str:
    """A one-container pod for ``kubectl apply -f -``: the least a probe needs a sandbox for."""
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": image}], "terminationGracePeriodSeconds": 0}
    if node_selector:
        spec["nodeSelector"] = node_selector
    if tolerations:
        spec["tolerations"] = tolerations
    return json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace},
                       "spec": spec})
