"""The lab: N bare-metal nodes on one machine, reachable over real SSH.

Why: the project's scripts configure hosts over SSH (packages, systemd units, the
macvlan host interface, kubeadm). Testing them needs hosts with their own network
stack, their own file system and a real sshd, which this module builds from network
namespaces, private mount namespaces over an overlay of `/`, and OpenSSH. See
DESIGN.md, "Facts verified on this workplace's machines", for what this relies on.

Usage:
    with Lab("10.99.0.0/17", "10.99.127.254", [LabNodeSpec("cp1", "10.99.0.11")]) as lab:
        lab.ssh("cp1", "hostname")
"""

from __future__ import annotations

import atexit
import json
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from . import netns, nodes, pods
from .cleanup import remove_lab
from .overlay import NodeDirs, mount_lab_tmpfs
from .proc import LabError, is_alive, kill_and_wait, netns_inode, run
from .seed import BOOT, node_python, seed_node
from .spec import LabNames, LabNodeSpec, check_layout, new_lab_id
from .sshd import client_argv, generate_key, known_hosts_line, public_key_line
from .standins.common import CALLS_LOG
from .state import LabState, NodeState


class Lab:
    """A set of lab nodes on one fabric; a context manager, or call up()/down().

    Everything is torn down by down(), by leaving the `with` block (also on an
    exception), at interpreter exit if neither happened, and by
    `python -m lab down --all` after a crash.
    """

    def __init__(
        self, subnet: str, gateway: str, nodes: Sequence[LabNodeSpec], lab_id: str | None = None
    ) -> None:
        specs = list(nodes)
        prefixlen = check_layout(subnet, gateway, specs)
        self.state = LabState(
            lab_id=lab_id or new_lab_id(), subnet=subnet, gateway=gateway, prefixlen=prefixlen,
            python=node_python(), nodes={spec.name: NodeState(spec) for spec in specs},
        )
        self._launchers: dict[str, dict[str, subprocess.Popen[bytes]]] = {}

    @classmethod
    def attach(cls, lab_id: str) -> Lab:
        """A handle on a lab brought up by another process (e.g. `python -m lab up`)."""
        lab = cls.__new__(cls)
        lab.state = LabState.load(lab_id)
        lab._launchers = {}
        return lab

    # --- names and keys ---------------------------------------------------------------
    @property
    def lab_id(self) -> str:
        return self.state.lab_id

    @property
    def names(self) -> LabNames:
        return self.state.names

    @property
    def nodes(self) -> list[LabNodeSpec]:
        return [node.spec for node in self.state.nodes.values()]

    @property
    def fabric_netns(self) -> str:
        return self.names.fabric_netns

    @property
    def client_key_path(self) -> Path:
        """Private key authorized for root on every node."""
        return self.names.state_dir / "client_ed25519"

    @property
    def client_private_key(self) -> str:
        return self.client_key_path.read_text()

    @property
    def known_hosts_path(self) -> Path:
        """known_hosts pinning every node's host key by address."""
        return self.names.state_dir / "known_hosts"

    def node_dirs(self, node: str) -> NodeDirs:
        self.state.node(node)
        return NodeDirs(self.names.node_dir(node))

    def host_public_key(self, node: str) -> str:
        """The node's host key as an authorized_keys/known_hosts line: "ssh-ed25519 AAAA..."."""
        return public_key_line(self.node_dirs(node).upper / "etc/ssh/ssh_host_ed25519_key.pub")

    def init_pid(self, node: str) -> int:
        """PID of the node's PID 1; `nsenter -t PID -m -u -n -p -r -w` enters the node."""
        pid = self.state.node(node).init_pid
        if pid is None:
            raise LabError(f"node {node} is not running")
        return pid

    def sshd_pid(self, node: str) -> int | None:
        """PID of the node's sshd (also a valid `nsenter -t PID -m -n -r -w` target)."""
        return self.state.node(node).sshd_pid

    # --- lifecycle --------------------------------------------------------------------
    def up(self) -> Lab:
        """Create the fabric and boot every node; tears down what it made if it fails."""
        names = self.names
        if names.state_dir.exists():
            raise LabError(f"lab {self.lab_id} already exists ({names.state_dir})")
        atexit.register(self.down)
        try:
            names.state_dir.mkdir(parents=True)
            self.state.save()
            mount_lab_tmpfs(names)
            client_public_key = generate_key(self.client_key_path, f"som-lab-{self.lab_id}-client")
            netns.create_fabric(names, self.state.gateway, self.state.prefixlen)
            known_hosts = []
            for spec in self.nodes:
                dirs = self.node_dirs(spec.name)
                dirs.create()
                host_key = seed_node(dirs.upper, spec, self.nodes, client_public_key, self.state.python)
                known_hosts.append(known_hosts_line(spec.address, host_key))
                netns.create_node_network(names, spec, self.state.gateway, self.state.prefixlen)
            self.known_hosts_path.write_text("".join(known_hosts))
            for spec in self.nodes:
                self._start_init(spec.name)
            for spec in self.nodes:
                self.start_sshd(spec.name)
        except BaseException:
            self.down()
            raise
        return self

    def down(self) -> None:
        """Remove every process, namespace, mount and file of the lab (idempotent)."""
        atexit.unregister(self.down)
        remove_lab(self.lab_id)
        for launchers in self._launchers.values():
            for launcher in launchers.values():
                launcher.wait(timeout=10)
        self._launchers.clear()

    def detach(self) -> None:
        """Leave the lab running after this process exits (the CLI's `up`)."""
        atexit.unregister(self.down)
        self._launchers.clear()

    def __enter__(self) -> Lab:
        return self.up()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.down()

    def status(self) -> list[dict[str, Any]]:
        """Per node: address and whether its namespace, init and sshd are alive."""
        return [
            {
                "node": name,
                "address": node.spec.address,
                "netns": netns.exists(self.names.node_netns(name)),
                "init": bool(node.init_pid and nodes.is_node_init(node.init_pid, self.lab_id, name)),
                "sshd": bool(node.sshd_pid and is_alive(node.sshd_pid)),
            }
            for name, node in self.state.nodes.items()
        ]

    # --- processes of a node ----------------------------------------------------------
    def _start_init(self, node: str) -> None:
        started = nodes.start_init(self.names, node, self.state.python)
        self.state.node(node).init_pid = started.pid
        self._launchers.setdefault(node, {})["init"] = started.launcher
        self.state.save()

    def _reap(self, node: str, role: str) -> None:
        launcher = self._launchers.get(node, {}).pop(role, None)
        if launcher is not None:
            launcher.wait(timeout=10)

    def start_sshd(self, node: str) -> int:
        """Start the node's sshd; returns its PID once it listens."""
        state = self.state.node(node)
        if state.sshd_pid and is_alive(state.sshd_pid):
            raise LabError(f"sshd of node {node} is already running")
        started = nodes.start_sshd(self.names, node, self.init_pid(node))
        state.sshd_pid = started.pid
        self._launchers.setdefault(node, {})["sshd"] = started.launcher
        self.state.save()
        return started.pid

    def kill_sshd(self, node: str) -> None:
        """Kill the node's sshd (sessions already open live on, as on a real host)."""
        state = self.state.node(node)
        pid = state.sshd_pid
        node_netns = netns.netns_file(self.names.node_netns(node))
        if pid and nodes.is_sshd(pid) and netns_inode(pid) == node_netns.stat().st_ino:
            kill_and_wait([pid])
        self._reap(node, "sshd")
        state.sshd_pid = None
        self.state.save()

    def simulate_reboot(self, node: str) -> dict[str, Any]:
        """Power-cycle a node: processes and network gone, file system kept.

        Kills every process of the node, recreates its network namespace in the state
        the machine boots into (address on the uplink, default route via the gateway,
        nothing the scripts added), boots it, applies net.* sysctls from sysctl.d,
        runs the ExecStart= of every unit the systemctl stand-in has as enabled, then
        starts sshd. Returns the boot report: {"sysctl": [...], "units": [{unit,
        returncode}]}.
        """
        state = self.state.node(node)
        nodes.stop_node(self.names, node, state.init_pid)
        for role in ("sshd", "init"):
            self._reap(node, role)
        state.init_pid = state.sshd_pid = None
        self.state.save()
        for record in self._pod_records(node):
            record.unlink()
        netns.delete_node_network(self.names, node)
        netns.create_node_network(self.names, state.spec, self.state.gateway, self.state.prefixlen)
        self._start_init(node)
        report = json.loads(self.node_exec(node, [BOOT]).stdout)
        self.start_sshd(node)
        return report

    # --- reaching a node --------------------------------------------------------------
    def fabric_argv(self, argv: Sequence[str]) -> list[str]:
        """argv wrapped to run in the fabric namespace (where lab clients live)."""
        return ["ip", "netns", "exec", self.fabric_netns, *argv]

    def ssh_argv(self, node: str, remote_cmd: str | None, known_hosts: Path | None = None) -> list[str]:
        """OpenSSH client argv reaching the node from the fabric, host key pinned.

        known_hosts: another pinned-keys file, e.g. to check that a wrong key is refused.
        """
        address = self.state.node(node).spec.address
        return self.fabric_argv(
            client_argv(self.client_key_path, known_hosts or self.known_hosts_path, address, remote_cmd)
        )

    def ssh(
        self, node: str, cmd: str, stdin: str | None = None, *, timeout: float = 60.0,
        known_hosts: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run cmd on the node over real SSH; the result is returned, not checked."""
        return run(self.ssh_argv(node, cmd, known_hosts), stdin=stdin, timeout=timeout, check=False)

    def node_exec(
        self, node: str, argv: Sequence[str], *, stdin: str | None = None,
        env: Mapping[str, str] | None = None, timeout: float = 60.0, check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """Run argv inside the node through nsenter (no ssh); raises on failure if check."""
        return nodes.exec_in(self.init_pid(node), argv, stdin=stdin, env=env, timeout=timeout, check=check)

    def node_path(self, node: str, path: str) -> Path:
        """A path of the running node as the machine reaches it (through the node's init).

        For files. Not for /proc/sys/net: the kernel answers those for the reader's
        network namespace, i.e. the machine's; use node_exec(["sysctl", ...]) instead.
        """
        return pods.node_root(self.init_pid(node)) / path.lstrip("/")

    def read_file(self, node: str, path: str) -> str:
        """A file of the running node, read from the machine (no ssh, no nsenter)."""
        return self.node_path(node, path).read_text()

    def write_file(self, node: str, path: str, content: str, mode: int = 0o644) -> None:
        """Write a file into the running node (parents created), as a provisioning step would."""
        target = self.node_path(node, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
        target.chmod(mode)

    def calls(self, node: str) -> list[dict[str, Any]]:
        """Every stand-in call recorded on the node, oldest first."""
        log = self.node_dirs(node).upper / str(CALLS_LOG).lstrip("/")
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]

    # --- pods ------------------------------------------------------------------------
    def _pod_record(self, node: str, pod: str) -> Path:
        return self.names.state_dir / "pods" / f"{node}--{pod}.json"

    def _pod_records(self, node: str) -> list[Path]:
        return sorted((self.names.state_dir / "pods").glob(f"{node}--*.json"))

    def add_pod(self, node: str, pod: str, conf_path_on_node: str) -> dict[str, Any]:
        """Create pod `pod` on the node with the CNI config at conf_path_on_node.

        Returns the CNI result (interfaces, ips, routes, dns) the plugins printed.
        """
        init = self.init_pid(node)
        conf = pods.read_conf(init, conf_path_on_node)
        result = pods.add(init, pod, conf)
        record = self._pod_record(node, pod)
        record.parent.mkdir(exist_ok=True)
        record.write_text(json.dumps({"conf": conf, "result": result}))
        return result

    def del_pod(self, node: str, pod: str) -> None:
        """CNI DEL for the pod (releasing its address), then delete its namespace."""
        record = self._pod_record(node, pod)
        saved = json.loads(record.read_text())
        pods.delete(self.init_pid(node), pod, saved["conf"], saved["result"])
        record.unlink()

    def pod_exec(
        self, node: str, pod: str, argv: Sequence[str], *, timeout: float = 30.0
    ) -> subprocess.CompletedProcess[str]:
        """Run argv in the pod's network namespace; the result is returned, not checked."""
        return pods.exec_in_pod(self.init_pid(node), pod, argv, timeout=timeout)

