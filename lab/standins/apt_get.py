"""STAND-IN for apt-get (a lab has no apt repository): records every call.

`install` of kubeadm, kubelet or kubectl behaves like apt with the pkgs.k8s.io
repository: it needs a `pkgs.k8s.io/core:/stable:/v1.NN/deb` source in
/etc/apt/sources.list(.d) ("Unable to locate package" otherwise), a pinned version
must belong to a configured minor ("Version ... was not found"), an unpinned one
takes v1.NN.0 of the newest configured minor, and a held package may only change
version with --allow-change-held-packages. The installed tool then appears in
/usr/bin and reports that version. `kubernetes-cni` links the machine's real CNI plugins (Debian's
containernetworking-plugins in /usr/lib/cni) into /opt/cni/bin, where the package puts
its own. kubelet and containerd bring a unit file, as their packages do, that the
node's real systemd runs: the kubelet stand-in records its start and exits, and no
containerd runs in a lab node (both units stay active once started, so
`systemctl enable --now`, `restart` and `is-active` behave as on a host).
Every other package is accepted and recorded.
`remove`/`purge` undo an install; `update`, `upgrade` and the rest only record.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from .apt_mark import held
from .common import (
    KUBE_BIN_DIR, KUBE_PACKAGES, PACKAGES_FILE, fail, launcher_text, load_json, minor_of, record,
    save_json, write_file,
)

SOURCES = (Path("/etc/apt/sources.list"), Path("/etc/apt/sources.list.d"))
CNI_PACKAGE = "kubernetes-cni"
REAL_CNI_PLUGINS = Path("/usr/lib/cni")
CNI_BIN_DIR = Path("/opt/cni/bin")
KUBE_REPO = re.compile(r"pkgs\.k8s\.io/core:/stable:/v1\.(\d+)/deb")
UNIT_DIR = Path("/lib/systemd/system")
# package -> (its unit, what the unit runs here)
PACKAGE_UNITS = {
    "kubelet": ("kubelet.service", "/usr/bin/kubelet"),
    "containerd": ("containerd.service", "/bin/true"),
    "containerd.io": ("containerd.service", "/bin/true"),
}
UNIT_TEXT = """\
[Unit]
Description=som-lab STAND-IN for {unit} of package {package}: runs {command} once

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart={command}

[Install]
WantedBy=multi-user.target
"""


def configured_kube_minors() -> set[int]:
    """Minor versions of the Kubernetes apt repositories configured on this node."""
    listed, directory = SOURCES
    files = [listed, *(sorted(directory.glob("*")) if directory.is_dir() else [])]
    text = "".join(f.read_text(errors="replace") for f in files if f.is_file())
    return {int(m) for m in KUBE_REPO.findall(text)}


def resolve(name: str, pinned: str, installed: dict[str, str], allow_held: bool) -> str:
    """The version apt would install for `name`, or SystemExit with apt's message."""
    if name not in KUBE_PACKAGES:
        return pinned or "som-lab"
    minors = configured_kube_minors()
    if not minors:
        raise SystemExit(f"E: Unable to locate package {name}")
    if pinned and minor_of(pinned) not in minors:
        raise SystemExit(f"E: Version '{pinned}' for '{name}' was not found")
    version = pinned or f"1.{max(minors)}.0-1.1"
    if name in held() and installed.get(name) not in (None, version) and not allow_held:
        raise SystemExit("E: Held packages were changed and -y was used without --allow-change-held-packages.")
    return version


def sync_cni_plugins(installed: bool) -> None:
    """/opt/cni/bin holds the real plugins exactly while kubernetes-cni is installed."""
    for plugin in sorted(REAL_CNI_PLUGINS.iterdir()) if REAL_CNI_PLUGINS.is_dir() else []:
        link = CNI_BIN_DIR / plugin.name
        if installed and not link.exists():
            CNI_BIN_DIR.mkdir(parents=True, exist_ok=True)
            link.symlink_to(plugin)
        elif not installed and link.is_symlink():
            link.unlink()


def sync_units(installed: dict[str, str]) -> None:
    """The packages' unit files exactly while they are installed; systemd reloads them,
    as the packages' maintainer scripts have it do."""
    changed = False
    # one unit may come from either of two packages (containerd, containerd.io): it goes
    # only when neither is installed
    wanted = {unit: (package, command) for package, (unit, command) in PACKAGE_UNITS.items() if package in installed}
    for unit in {unit for unit, _ in PACKAGE_UNITS.values()}:
        path = UNIT_DIR / unit
        if unit in wanted:
            package, command = wanted[unit]
            text = UNIT_TEXT.format(unit=unit, package=package, command=command)
            if not path.is_file() or path.read_text() != text:
                write_file(path, text)
                changed = True
        elif path.is_file():
            path.unlink()
            changed = True
    if changed:
        subprocess.run(["systemctl", "daemon-reload"], check=False)


def main(tool: str, argv: list[str]) -> int:
    record(tool, argv)
    words = [a for a in argv if not a.startswith("-")]
    command, packages = (words[0], words[1:]) if words else ("", [])
    installed: dict[str, str] = load_json(PACKAGES_FILE, {})
    try:
        if command == "install":
            for spec in packages:
                name, _, pinned = spec.partition("=")
                installed[name] = resolve(name, pinned, installed, "--allow-change-held-packages" in argv)
        elif command in ("remove", "purge"):
            for name in packages:
                installed.pop(name, None)
    except SystemExit as exc:
        return fail(str(exc), 100)
    save_json(PACKAGES_FILE, installed)
    sync_cni_plugins(CNI_PACKAGE in installed)
    sync_units(installed)
    containerd = Path("/usr/bin/containerd")
    if {"containerd", "containerd.io"} & set(installed):
        write_file(containerd, "#!/bin/sh\necho 'containerd github.com/containerd/containerd/v2 v2.2.9 som-lab-standin'\n", 0o755)
    else:
        containerd.unlink(missing_ok=True)
    for name, module in KUBE_PACKAGES.items():
        binary = Path(KUBE_BIN_DIR) / name
        if name in installed:
            write_file(binary, launcher_text(name, module, sys.executable), 0o755)
        else:
            binary.unlink(missing_ok=True)
    return 0

