"""What a node's file system holds before its first boot, written into its upper dir.

Files are written straight into the overlay's upper dir before the overlay is
mounted; overlayfs takes them as the node's own. Directories created on the way copy
mode and owner from the machine's directory of the same path, so that e.g. /root
stays 0700 for sshd's StrictModes and /etc stays 0755. What a node has of its own:
host name and hosts, a machine id, an SSH host key and the lab's authorized key, the
systemd units it boots (nodes/units.py), the stand-ins of the machine-global tools
(every other tool a node runs is the real one, installed by apt from the lab's mirror).
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from .nodes import units
from .overlay import CLUSTER_MOUNTPOINT
from .spec import LabNodeSpec
from .sshd import HOST_KEY, SSHD_CONFIG, SSHD_CONFIG_TEXT, generate_key
from .standins.common import LIB_DIR, MACHINE_GLOBAL_STANDINS, SHADOWED_BINARIES, launcher_text

STANDINS_SOURCE = Path(__file__).parent / "standins"
SKELETON = Path("/etc/skel")
OPAQUE = ("trusted.overlay.opaque", b"y")


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


def link(upper: Path, path: str, target: str) -> None:
    """A symlink of the node (absolute path inside the node)."""
    (ensure_dir(upper, str(Path(path).parent)) / Path(path).name).symlink_to(target)


def hide_machine_dir(upper: Path, path: str) -> None:
    """Make a directory of the node show only what the upper dir holds (overlayfs opaque)."""
    os.setxattr(ensure_dir(upper, path), *OPAQUE)


def machine_id() -> str:
    """A machine id of the node's own (machine-id(5): 32 hex digits), as an install writes."""
    return secrets.token_hex(16) + "\n"


def install_units(upper: Path) -> None:
    """The node's systemd configuration: what it boots, whatever the machine enables."""
    for path in units.OPAQUE_DIRS:
        hide_machine_dir(upper, path)
    for path, content in units.unit_files().items():
        put(upper, path, content)
    for path, target in units.unit_links().items():
        link(upper, path, target)


def hosts_file(nodes: Sequence[LabNodeSpec]) -> str:
    """/etc/hosts naming every lab node, as a site's DNS would."""
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    return "\n".join(lines + [f"{n.address}\t{n.name}" for n in nodes]) + "\n"


def install_standins(upper: Path, python: str) -> None:
    """The stand-in package and the stand-ins of the tools that would act on the whole
    machine (swap, kernel modules, non-net sysctls); apt, curl, gpg and the Kubernetes
    tools are the real ones."""
    package = ensure_dir(upper, f"{LIB_DIR}/standins")
    for source in sorted(STANDINS_SOURCE.glob("*.py")):
        shutil.copyfile(source, package / source.name)
    for command, module in MACHINE_GLOBAL_STANDINS.items():
        put(upper, f"/usr/local/sbin/{command}", launcher_text(command, module, python), 0o755)
    for command, path in SHADOWED_BINARIES.items():
        put(upper, path, launcher_text(command, MACHINE_GLOBAL_STANDINS[command], python), 0o755)


def seed_node(
    upper: Path, node: LabNodeSpec, nodes: Sequence[LabNodeSpec], client_public_key: str, python: str,
) -> str:
    """Everything a node needs at first boot; returns its host public key line."""
    put(upper, "/etc/hostname", node.name + "\n")
    put(upper, "/etc/machine-id", machine_id(), 0o444)
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
    install_units(upper)
    install_standins(upper, python)
    ensure_dir(upper, CLUSTER_MOUNTPOINT)
    return host_key
