"""STAND-IN for kubectl (no API server runs in a lab): appears as /usr/bin/kubectl once the
apt-get stand-in installs the package. Every call is recorded. Like kubectl, it needs a
kubeconfig (--kubeconfig, $KUBECONFIG or ~/.kube/config) and fails as kubectl does
without one. `get nodes` lists the nodes kubeadm init/join registered (cluster.py),
`delete node N` removes them, `drain`, `version --client` and the rest succeed.
"""

from __future__ import annotations

import os
from pathlib import Path

from . import cluster
from .common import fail, kube_version, record

VALUE_FLAGS = {"--kubeconfig", "-n", "--namespace", "-o", "--output", "-l", "--selector",
               "--context", "--timeout", "--grace-period", "-f", "--filename"}


def split_args(argv: list[str]) -> tuple[list[str], dict[str, str]]:
    """(positional words, flag values) of a kubectl command line."""
    words, flags, i = [], {}, 0
    while i < len(argv):
        arg = argv[i]
        if arg in VALUE_FLAGS and i + 1 < len(argv):
            flags[arg], i = argv[i + 1], i + 2
            continue
        if arg.startswith("--") and "=" in arg:
            name, value = arg.split("=", 1)
            flags[name] = value
        elif not arg.startswith("-"):
            words.append(arg)
        i += 1
    return words, flags


def kubeconfig(flags: dict[str, str]) -> str | None:
    path = flags.get("--kubeconfig") or os.environ.get("KUBECONFIG") or str(Path.home() / ".kube/config")
    return path if Path(path).is_file() else None


def main(tool: str, argv: list[str]) -> int:
    record(tool, argv)
    words, flags = split_args(argv)
    if words[:1] == ["version"] and "--client" in argv:
        print(f"Client Version: {kube_version('kubectl')}")
        return 0
    if kubeconfig(flags) is None:
        return fail("The connection to the server localhost:8080 was refused - did you specify the right host or port?")
    if words[:2] in (["get", "nodes"], ["get", "node"]):
        print("NAME   STATUS   ROLES   AGE   VERSION")
        for name, node in sorted(cluster.read().get("nodes", {}).items()):
            role = "control-plane" if node["control_plane"] else "<none>"
            print(f"{name}   Ready   {role}   1m   {kube_version('kubectl')}")
    elif words[:2] in (["delete", "node"], ["delete", "nodes"]):
        with cluster.registry() as data:
            for name in words[2:]:
                data.get("nodes", {}).pop(name, None)
                print(f'node "{name}" deleted')
    elif words[:1] == ["drain"]:
        for name in words[1:]:
            print(f"node/{name} drained")
    return 0
