"""The lab: N bare-metal nodes on one machine, reachable over real SSH.

Why: the project's scripts configure hosts over SSH (packages, systemd units, the
macvlan host interface, kubeadm). Testing them needs hosts with their own network
stack, their own file system, a real init and a real sshd, which this module builds
from network namespaces, private mount namespaces over an overlay of `/`, systemd as
each node's PID 1 (nodes/) and Debian's ssh.service. See DESIGN.md, "Facts verified
on this workplace's machines", for what this relies on.

Usage:
    with Lab("10.99.0.0/17", "10.99.127.254", [LabNodeSpec("cp1", "10.99.0.11")]) as lab:
        lab.ssh("cp1", "hostname")
        lab.reboot("cp1")
"""

from __future__ import annotations

import atexit
import json
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from . import netns, pods
from .cleanup import remove_lab
from .nodes import cgroups, enter, lifecycle
from .nodes.lifecycle import BootReport
from .overlay import NodeDirs, mount_lab_tmpfs
from .proc import LabError, run
from .seed import node_python, seed_node
from .spec import LabNames, LabNodeSpec, check_layout, new_lab_id
from .sshd import SSHD_UNIT, client_argv, generate_key, known_hosts_line, listening, public_key_line
from .standins.common import CALLS_LOG
from .state import LabState, NodeState


class Lab:
    """A set of lab nodes on one fabric; a context manager, or call up()/down().

    Everything is torn down by down(), by leaving the `with` block (also on an
    exception), at interpreter exit if neither happened, and by
    `python -m lab down --all` after a crash.
    """

    def __init__(
        self, subnet: str, gateway: str, nodes: Sequence[LabNodeSpec], lab_id: str | None = None,
    ) -> None:
        specs = list(nodes)
        prefixlen = check_layout(subnet, gateway, specs)
        self.state = LabState(
            lab_id=lab_id or new_lab_id(), subnet=subnet, gateway=gateway, prefixlen=prefixlen,
            python=node_python(), nodes={spec.name: NodeState(spec) for spec in specs},
        )
        self._supplies: dict[str, subprocess.Popen[bytes]] = {}
        self.boots: dict[str, BootReport] = {}

    @classmethod
    def attach(cls, lab_id: str) -> Lab:
        """A handle on a lab brought up by another process (e.g. `python -m lab up`)."""
        lab = cls.__new__(cls)
        lab.state = LabState.load(lab_id)
        lab._supplies = {}
        lab.boots = {}
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

    def _pin_host_keys(self) -> None:
        """known_hosts from each node's own host key (in its seeded upper dir)."""
        self.known_hosts_path.write_text("".join(known_hosts_line(spec.address, self.host_public_key(spec.name))
                                                 for spec in self.nodes))

    def host_public_key(self, node: str) -> str:
        """The node's host key as an authorized_keys/known_hosts line: "ssh-ed25519 AAAA..."."""
        return public_key_line(self.node_dirs(node).upper / "etc/ssh/ssh_host_ed25519_key.pub")

    def init_pid(self, node: str) -> int:
        """Machine PID of the node's PID 1 (its systemd once booted); LabError when it is off."""
        self.state.node(node)
        return lifecycle.running_init(self.names, node)

    def node_pids(self, node: str) -> list[int]:
        """Machine PIDs of every process of the node's cgroups: its systemd and its units."""
        self.state.node(node)
        return lifecycle.node_pids(self.names, node)

    def sshd_pid(self, node: str) -> int | None:
        """Machine PID of the node's sshd listener (ssh.service's main process), None when stopped."""
        init = lifecycle.init_pid(self.names, node)
        if init is None:
            return None
        [props] = lifecycle.show(init, "MainPID", SSHD_UNIT)
        main = int(props.get("MainPID") or 0)
        service = lifecycle.tracking_cgroup(self.names, node) / "system.slice" / SSHD_UNIT
        return next((pid for pid in cgroups.procs([service]) if main and lifecycle.ns_pids(pid)[1:] == [main]), None)

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
            for spec in self.nodes:
                dirs = self.node_dirs(spec.name)
                dirs.create()
                seed_node(dirs.upper, spec, self.nodes, client_public_key, self.state.python)
                netns.create_node_network(names, spec, self.state.gateway, self.state.prefixlen)
                cgroups.create(names, spec.name)
                lifecycle.write_scripts(names, spec, self.state.gateway, self.state.prefixlen)
            self._pin_host_keys()
            since = time.monotonic()
            for spec in self.nodes:
                self._supplies[spec.name] = lifecycle.power_on(names, spec.name)
            for spec in self.nodes:
                self._await_boot(spec.name, since)
        except BaseException:
            self.down()
            raise
        return self

    def down(self) -> None:
        """Remove every process, namespace, cgroup, mount and file of the lab (idempotent)."""
        atexit.unregister(self.down)
        remove_lab(self.lab_id)
        for node in list(self._supplies):
            self._reap(node)

    def detach(self) -> None:
        """Leave the lab running after this process exits (the CLI's `up`)."""
        atexit.unregister(self.down)
        self._supplies.clear()

    def __enter__(self) -> Lab:
        return self.up()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.down()

    def status(self) -> list[dict[str, Any]]:
        """Per node: address, whether its namespace and PID 1 exist, whether sshd listens,
        and systemd's word for its state (running, degraded, ..., off)."""
        rows = []
        for spec in self.nodes:
            name = spec.name
            init = lifecycle.init_pid(self.names, name)
            rows.append({
                "node": name,
                "address": spec.address,
                "netns": netns.exists(self.names.node_netns(name)),
                "init": init is not None,
                "sshd": init is not None and listening(init),
                "system": lifecycle.system_state(self.names, name),
            })
        return rows

    # --- a node's power -----------------------------------------------------------------
    def _reap(self, node: str) -> None:
        supply = self._supplies.pop(node, None)
        if supply is not None:
            supply.wait(timeout=10)

    def _await_boot(self, node: str, since: float) -> BootReport:
        """The first boot after this process powered the node on (since: when)."""
        self.boots[node] = lifecycle.wait_booted(self.names, node, since, supply=self._supplies[node])
        return self.boots[node]

    def _forget_pods(self, node: str) -> None:
        for record in self._pod_records(node):
            record.unlink()

    def boot_id(self, node: str) -> str | None:
        """The id of the node's current (or last) boot, as the node sees it."""
        self.state.node(node)
        return lifecycle.boot_id(self.names, node)

    def wait_booted(self, node: str, previous_boot_id: str | None = None) -> BootReport:
        """Wait for the node's boot after previous_boot_id to finish (a reboot its power
        supply carried out, e.g. `systemctl reboot` over SSH); returns its report."""
        self.state.node(node)
        self._forget_pods(node)
        self.boots[node] = lifecycle.wait_booted(self.names, node, time.monotonic(), previous_boot_id)
        return self.boots[node]

    def reboot(self, node: str) -> BootReport:
        """`systemctl reboot` inside the node: its processes and network go, its files stay;
        returns the report of the next boot (enabled units run again)."""
        self.state.node(node)
        self._forget_pods(node)
        self.boots[node] = lifecycle.reboot(self.names, node)
        return self.boots[node]

    def poweroff(self, node: str) -> None:
        """`systemctl poweroff` inside the node; boot() powers it on again."""
        self.state.node(node)
        lifecycle.poweroff(self.names, node)
        self._reap(node)

    def kill(self, node: str) -> None:
        """A power cut: every process of the node ends at once; its files stay."""
        self.state.node(node)
        lifecycle.kill(self.names, node)
        self._reap(node)

    def boot(self, node: str) -> BootReport:
        """Power on a node that is off, its network in its power-on state."""
        spec = self.state.node(node)
        self._forget_pods(node)
        for argv in netns.reset_node_network_argvs(self.names, spec, self.state.gateway, self.state.prefixlen):
            run(argv)
        since = time.monotonic()
        self._supplies[node] = lifecycle.power_on(self.names, node)
        return self._await_boot(node, since)

    def reinstall(self, node: str) -> str:
        """A host reinstalled: a power cut, its disk back to a fresh install (the
        machine's files, seeded anew) with a new host key, and a boot; returns the new
        public host key. The lab's known_hosts pins it, as an operator's ssh-keyscan
        would; the stack's pinned key is the caller's to change."""
        spec = self.state.node(node)
        self.kill(node)
        dirs = self.node_dirs(node)
        for path in (dirs.upper, dirs.work):
            shutil.rmtree(path)
        dirs.create()
        client_public_key = public_key_line(Path(f"{self.client_key_path}.pub"))
        host_key = seed_node(dirs.upper, spec, self.nodes, client_public_key, self.state.python)
        self._pin_host_keys()
        self.boot(node)
        return host_key

    def kill_sshd(self, node: str) -> None:
        """Stop the node's ssh.service (sessions already open live on, as on a real host:
        Debian's unit stops only the listener)."""
        self.node_exec(node, ["systemctl", "stop", SSHD_UNIT])

    def start_sshd(self, node: str) -> int:
        """Start the node's ssh.service; returns the listener's PID once it listens."""
        self.node_exec(node, ["systemctl", "start", SSHD_UNIT])
        pid = self.sshd_pid(node)
        if pid is None:
            raise LabError(f"{SSHD_UNIT} of node {node} has no main process after start")
        return pid

    # --- reaching a node --------------------------------------------------------------
    def fabric_argv(self, argv: Sequence[str]) -> list[str]:
        """argv wrapped to run in the fabric namespace (where lab clients live)."""
        return ["ip", "netns", "exec", self.fabric_netns, *argv]

    def ssh_argv(self, node: str, remote_cmd: str | None, known_hosts: Path | None = None) -> list[str]:
        """OpenSSH client argv reaching the node from the fabric, host key pinned.

        known_hosts: another pinned-keys file, e.g. to check that a wrong key is refused.
        """
        address = self.state.node(node).address
        return self.fabric_argv(
            client_argv(self.client_key_path, known_hosts or self.known_hosts_path, address, remote_cmd)
        )

    def ssh(
        self, node: str, cmd: str, stdin: str | None = None, *, timeout: float = 60.0,
        known_hosts: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run cmd on the node over real SSH; the result is returned, not checked."""
        return run(self.ssh_argv(node, cmd, known_hosts), stdin=stdin, timeout=timeout, check=False)

    def enter_argv(self, node: str, argv: Sequence[str]) -> list[str]:
        """argv run inside the node (its namespaces and root, its bounding set), without ssh."""
        return enter.enter_argv(self.init_pid(node), argv)

    def node_exec(
        self, node: str, argv: Sequence[str], *, stdin: str | None = None,
        env: Mapping[str, str] | None = None, timeout: float = 60.0, check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """Run argv inside the node (enter_argv); raises on failure if check."""
        return enter.exec_in(self.init_pid(node), argv, stdin=stdin, env=env, timeout=timeout, check=check)

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

