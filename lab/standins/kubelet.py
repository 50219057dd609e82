"""STAND-IN for kubelet (no kubelet can run here): appears as /usr/bin/kubelet once the
apt-get stand-in installs the package. `--version` prints the installed version; any
other call is recorded and exits 0 at once (no node agent runs in a lab node).
"""

from __future__ import annotations

from .common import kube_version, record


def main(tool: str, argv: list[str]) -> int:
    record(tool, argv)
    if "--version" in argv or "--version=true" in argv:
        print(f"Kubernetes {kube_version('kubelet')}")
    return 0
