"""What a node's file system holds before its first boot, written into its upper dir.

Files are written straight into the overlay's upper dir before the overlay is
mounted; overlayfs takes them as the node's own. Directories created on the way copy
mode and owner from the machine's directory of the same path, so that e.g. /root
stays 0700 for sshd's StrictModes and /etc stays 0755.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from .overlay import CLUSTER_MOUNTPOINT
from .spec import LabNodeSpec
from .sshd import HOST_KEY, SSHD_CONFIG, SSHD_CONFIG_TEXT, generate_key
from .standins.common import LIB_DIR, SHADOWED_BINARIES, SYSTEM_STANDINS, launcher_text

STANDINS_SOURCE = Path(__file__).parent / "standins"
BOOT = f"{LIB_DIR}/som-lab-boot"
SKELETON = Path("/etc/skel")


def node_python() -> str:
    """The interpreter the stand-ins run with inside nodes: this one (overlay.python_binds
    makes its environment visible there wherever it lives)."""
    return sys.executable


def ensure_dir(upper: Path, path: str) -> Path:
    """Create path (and parents) in the upper dir with the machine's metadata."""
    target = upper
    for part in Path(path).relative_to("/").parts:
        target = target / part
        if target.is_dir():
            continue
        lower = Path("/") / target.relative_to(upper)
        target.mkdir()
        if lower.is_dir():
            meta = lower.stat()
            os.chmod(target, meta.st_mode & 0o7777)
            os.chown(target, meta.st_uid, meta.st_gid)
    return target


def put(upper: Path, path: str, content: str, mode: int = 0o644) -> None:
    """Write one file of the node (absolute path inside the node)."""
    target = ensure_dir(upper, str(Path(path).parent)) / Path(path).name
    target.write_text(content)
    target.chmod(mode)


def hosts_file(nodes: Sequence[LabNodeSpec]) -> str:
    """/etc/hosts naming every lab node, as a site's DNS would."""
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    return "\n".join(lines + [f"{n.address}\t{n.name}" for n in nodes]) + "\n"


def install_standins(upper: Path, python: str) -> None:
    """The stand-in package, the always-present stand-ins and the boot entry point.

    kubeadm/kubelet/kubectl are not installed here: they appear when the apt-get
    stand-in installs their package, as on a real machine.
    """
    package = ensure_dir(upper, f"{LIB_DIR}/standins")
    for source in sorted(STANDINS_SOURCE.glob("*.py")):
        shutil.copyfile(source, package / source.name)
    for command, module in SYSTEM_STANDINS.items():
        put(upper, f"/usr/local/sbin/{command}", launcher_text(command, module, python), 0o755)
    for command, path in SHADOWED_BINARIES.items():
        put(upper, path, launcher_text(command, SYSTEM_STANDINS[command], python), 0o755)
    put(upper, BOOT, launcher_text("som-lab-boot", "boot", python), 0o755)


def seed_node(
    upper: Path, node: LabNodeSpec, nodes: Sequence[LabNodeSpec], client_public_key: str, python: str
) -> str:
    """Everything a node needs at first boot; returns its host public key line."""
    put(upper, "/etc/hostname", node.name + "\n")
    put(upper, "/etc/hosts", hosts_file(nodes))
    put(upper, SSHD_CONFIG, SSHD_CONFIG_TEXT)
    ensure_dir(upper, str(Path(HOST_KEY).parent))
    host_key = generate_key(upper / HOST_KEY.lstrip("/"), f"root@{node.name}")
    ssh_dir = ensure_dir(upper, "/root") / ".ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    put(upper, "/root/.ssh/authorized_keys", client_public_key + "\n", 0o600)
    for dotfile in (".bashrc", ".profile"):
        if (SKELETON / dotfile).is_file():
            put(upper, f"/root/{dotfile}", (SKELETON / dotfile).read_text())
    install_standins(upper, python)
    ensure_dir(upper, CLUSTER_MOUNTPOINT)
    return host_key
