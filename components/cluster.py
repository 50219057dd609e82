"""The Pulumi shell of the cluster bring-up: one remote command per step, over SSH.

Thin on purpose: what runs where comes from ``components.steps`` (pure); this module only
turns each Step into a ``pulumi_command.remote.Command`` with the right connection,
dependencies and secrecy. A node's commands are children of its ``Node`` component, also
the ones that run on the control plane on its behalf, so removing a node from the stack
removes exactly its commands, dependents first (drain, then reset, then networking).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_command import remote

from components.config import NodeConfig, Platform
from components.steps import SECRET_STEPS, Step, secret_placeholder, steps_for

# Connection settings that keep a dead host from hanging `pulumi up` (pulumi-command
# issue 199) while riding out a reboot or a busy sshd (MaxStartups) on the control plane.
DIAL_ERROR_LIMIT = 20
PER_DIAL_TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class RemoteCommands:
    """The command lines: constant, free of secrets and of content (scripts go on stdin)."""

    apply: str
    remove: str


def command_lines(user: str) -> RemoteCommands:
    prefix = "" if user == "root" else "sudo -n "
    return RemoteCommands(apply=f"{prefix}bash -s -- apply", remove=f"{prefix}bash -s -- remove")


def connection(platform: Platform, node: NodeConfig, private_key: pulumi.Input[str]) -> remote.ConnectionArgs:
    """The node's SSH connection, identical on every run (a changed connection re-runs
    every command: pulumi-command issue 447), with the host key pinned."""
    return remote.ConnectionArgs(
        host=str(node.address),
        port=float(platform.ssh_port(node)),
        user=platform.ssh_user(node),
        private_key=private_key,
        host_key=node.ssh_host_key,
        dial_error_limit=DIAL_ERROR_LIMIT,
        per_dial_timeout=PER_DIAL_TIMEOUT_SECONDS,
    )


class Node(pulumi.ComponentResource):
    """One machine of the rack and the commands that concern it."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__("spark-on-metal:cluster:Node", name, None, opts)
        self.commands: dict[str, remote.Command] = {}

    def finish(self) -> None:
        self.register_outputs({"steps": list(self.commands)})


class Cluster(pulumi.ComponentResource):
    """The kubeadm cluster on the stack's nodes.

    Outputs: ``kubeconfig`` (secret, server set to the API endpoint) and ``registered``,
    the commands after which every joining node's Node object exists (the Kubernetes
    layer patches Nodes, so it depends on them).
    """

    kubeconfig: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        platform: Platform,
        private_key: pulumi.Output[str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("spark-on-metal:cluster:Cluster", name, None, opts)
        self.platform = platform
        self._private_key = private_key
        self.nodes = {node.name: Node(node.name, pulumi.ResourceOptions(parent=self)) for node in platform.nodes}
        for step in steps_for(platform):
            self._command(step)
        for node in self.nodes.values():
            node.finish()
        init = self._by_step("kubeadm-init")[0]
        self.kubeconfig = pulumi.Output.secret(init.stdout)
        self.registered = self._by_step("node-registered")
        self.register_outputs({"kubeconfig": self.kubeconfig})

    def _by_step(self, name: str) -> list[remote.Command]:
        return [node.commands[name] for node in self.nodes.values() if name in node.commands]

    def _depends_on(self, step: Step) -> list[pulumi.Resource]:
        """The pipeline's edges; everything else runs in parallel."""
        own = self.nodes[step.node].commands
        if step.name == "host-network":
            return [own["prepare-host"]]
        if step.name == "kubeadm-init":
            return [own["host-network"]]
        if step.name == "join-credentials":
            return self._by_step("kubeadm-init")
        if step.name == "kubeadm-join":
            return [own["host-network"], own["join-credentials"]]
        if step.name == "node-registered":
            return [own["kubeadm-join"]]
        return []

    def _stdin(self, step: Step) -> pulumi.Input[str]:
        script = step.script()
        if not step.secrets:
            return script
        values = [self.nodes[step.node].commands[name].stdout for name in step.secrets]

        def fill(resolved: list[str]) -> str:
            filled = script
            for name, value in zip(step.secrets, resolved):
                filled = filled.replace(secret_placeholder(name), value)
            return filled

        return pulumi.Output.secret(pulumi.Output.all(*values).apply(fill))

    def _command(self, step: Step) -> remote.Command:
        runs_on = self.platform.node(step.runs_on)
        lines = command_lines(self.platform.ssh_user(runs_on))
        secret = step.name in SECRET_STEPS
        owner = self.nodes[step.node]
        command = remote.Command(
            step.resource_name,
            connection=connection(self.platform, runs_on, self._private_key),
            create=lines.apply,
            delete=lines.remove,
            stdin=self._stdin(step),
            # The previous stdout in the delete command's environment breaks deletes when
            # large and leaks it when secret (pulumi-command issue 430); scripts need none.
            add_previous_output_in_env=False,
            logging=remote.Logging.NONE if secret else remote.Logging.STDERR,
            opts=pulumi.ResourceOptions(
                parent=owner,
                depends_on=self._depends_on(step),
                additional_secret_outputs=["stdout", "stderr"] if secret else [],
            ),
        )
        owner.commands[step.name] = command
        return command
