"""The real OpenSSH server each node runs, and the client argv that reaches it.

The server is Debian's ssh.service, started by the node's systemd (nodes/units.py
enables it) with the configuration below. Host keys are generated per node at lab
up and pinned in a known_hosts file, so the client runs with StrictHostKeyChecking=yes
exactly as the project's deployment should; a wrong pinned key is refused by ssh itself.
"""

from __future__ import annotations

from pathlib import Path

from .proc import read_text, run

SSHD_UNIT = "ssh.service"
SSHD_CONFIG = "/etc/ssh/sshd_config"
HOST_KEY = "/etc/ssh/ssh_host_ed25519_key"
PORT = 22
TCP_LISTEN = "0A"

# UsePAM no: root logs in with the lab's client key only, and PAM's pam_loginuid would
# need CAP_AUDIT_CONTROL, which a node does not have (nodes/capabilities.py).
SSHD_CONFIG_TEXT = f"""\
# som-lab node sshd: key-only root login with the per-node host key below.
Port {PORT}
HostKey {HOST_KEY}
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
PrintMotd no
MaxStartups 100:30:200
MaxSessions 100
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
"""


def generate_key(private_path: Path, comment: str) -> str:
    """An ed25519 key pair at private_path(.pub); returns the public line "ssh-ed25519 AAAA..."."""
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(private_path)])
    return public_key_line(Path(f"{private_path}.pub"))


def public_key_line(pub_path: Path) -> str:
    """`type base64` of an OpenSSH public key file (the comment dropped)."""
    key_type, blob = pub_path.read_text().split()[:2]
    return f"{key_type} {blob}"


def known_hosts_line(address: str, public_key: str) -> str:
    return f"{address} {public_key}\n"


def client_argv(key: Path, known_hosts: Path, address: str, remote_cmd: str | None) -> list[str]:
    """The OpenSSH client with only the lab's key and only the pinned host keys."""
    options = {
        "IdentitiesOnly": "yes",
        "StrictHostKeyChecking": "yes",
        "UserKnownHostsFile": str(known_hosts),
        "GlobalKnownHostsFile": "/dev/null",
        "BatchMode": "yes",
        "ConnectTimeout": "5",
        "ServerAliveInterval": "5",
        "LogLevel": "ERROR",
    }
    argv = ["ssh", "-F", "/dev/null", "-i", str(key)]
    for name, value in options.items():
        argv += ["-o", f"{name}={value}"]
    return argv + [f"root@{address}"] + ([remote_cmd] if remote_cmd is not None else [])


def listening(pid: int, port: int = PORT) -> bool:
    """True when the network namespace of `pid` has a TCP socket listening on port.

    /proc/PID/net/tcp shows the sockets of that process's namespace, so this needs
    no client inside the namespace.
    """
    table = read_text(Path(f"/proc/{pid}/net/tcp")) or ""
    wanted = f":{port:04X}"
    return any(
        cols[1].endswith(wanted) and cols[3] == TCP_LISTEN
        for cols in (line.split() for line in table.splitlines()[1:])
    )
