"""The Pulumi shell of the cluster bring-up: one remote command per step, over SSH.

Thin on purpose: what runs where comes from ``components.steps`` (pure); this module only
turns each Step into a ``pulumi_command.remote.Command`` with the right connection,
dependencies and secrecy. A node's commands are children of its ``Node`` component, also
the ones that run on the control plane on its behalf, so removing a node from the stack
removes exactly its commands, dependents first (drain, then reset, then networking).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import pulumi
from pulumi_command import remote

from components.config import NodeConfig, Platform
from components.steps import Step, edges, steps_for
from components.steps.certificates import Report, earliest, parse_report
from components.vocabulary import CERTIFICATES, NODE_REGISTERED, PREPARE_HOST, SECRET_STEPS, UPGRADE_UNCORDON

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

    Outputs: ``kubeconfig`` (secret, server set to the API endpoint; the one the latest
    certificates check left), ``certificates_expire`` (plain: the first control-plane
    certificate's expiry), ``registered``, per node the command after which its Node
    object exists (the Kubernetes layer patches Nodes, so each patch depends on its
    node's), and ``settled``, every host's prepare-host and every control plane's last
    upgrade step (the layer waits for them: its objects follow the release, CoreDNS's image too).
    """

    kubeconfig: pulumi.Output[str]
    certificates_expire: pulumi.Output[str]

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
        steps = steps_for(platform)
        _allow_dependency_chains(len(steps))
        by_key = {(step.node, step.name): step for step in steps}
        commands: dict[tuple[str, str], remote.Command] = {}
        for key, after in edges(steps).items():  # pipeline order: a step's sources come before it
            commands[key] = self._command(by_key[key], [commands[source] for source in after], commands)
        for node in self.nodes.values():
            node.finish()
        checks = [command for (_, step), command in commands.items() if step == CERTIFICATES]
        reports = pulumi.Output.all(*(command.stdout for command in checks)).apply(_reports)
        first = commands[(platform.init_node.name, CERTIFICATES)]
        self.kubeconfig = pulumi.Output.secret(first.stdout.apply(lambda out: parse_report(out).kubeconfig if out else None))
        # a date is no secret: a site alerts on it
        self.certificates_expire = pulumi.Output.unsecret(reports.apply(lambda found: earliest(found) if found else None))
        self.registered = {node: command for (node, step), command in commands.items() if step == NODE_REGISTERED}
        # every host's first step (nothing in the cluster changes before each host passed
        # it) and every control plane's last upgrade step (the objects follow the cluster's
        # release, which the control planes' upgrade sets; workers' waves run beside them)
        self.settled = [command for (node, step), command in commands.items()
                        if step == PREPARE_HOST or (step == UPGRADE_UNCORDON and platform.node(node).is_control_plane)]
        self.register_outputs({"kubeconfig": self.kubeconfig})

    def _stdin(self, step: Step, commands: dict[tuple[str, str], remote.Command]) -> pulumi.Input[str]:
        if not step.reads:
            return step.script()
        values = [commands[(step.node, name)].stdout for name in step.reads]
        return pulumi.Output.secret(pulumi.Output.all(*values).apply(lambda resolved: step.script(dict(zip(step.reads, resolved)))))

    def _command(self, step: Step, after: list[remote.Command], commands: dict[tuple[str, str], remote.Command]) -> remote.Command:
        runs_on = self.platform.node(step.runs_on)
        lines = command_lines(self.platform.ssh_user(runs_on))
        secret = step.name in SECRET_STEPS
        owner = self.nodes[step.node]
        command = remote.Command(
            step.resource_name,
            connection=connection(self.platform, runs_on, self._private_key),
            create=lines.apply,
            delete=lines.remove,
            stdin=self._stdin(step, commands),
            # The previous stdout in the delete command's environment breaks deletes when
            # large and leaks it when secret (pulumi-command issue 430); scripts need none.
            add_previous_output_in_env=False,
            triggers=list(step.triggers) or None,
            logging=remote.Logging.NONE if secret else remote.Logging.STDERR,
            opts=pulumi.ResourceOptions(
                parent=owner,
                aliases=[pulumi.Alias(name=name) for name in step.former_names],
                depends_on=after,
                additional_secret_outputs=["stdout", "stderr"] if secret else [],
            ),
        )
        owner.commands[step.name] = command
        return command


def _allow_dependency_chains(commands: int) -> None:
    """The Pulumi SDK checks every new dependency for a cycle by walking the dependencies
    it already has recursively, one Python frame per resource on the chain
    (``pulumi.runtime.resource_cycle_breaker._with_transitive_deps``). The upgrade's
    waves chain four commands per wave, so a rack of a few hundred workers in batches of
    one outgrows Python's default limit of 1000 frames: 300 workers failed with
    ``RecursionError``. A chain is never longer than the commands there are."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 2 * commands + 1000))


def _reports(stdouts: list[str | None]) -> list[Report]:
    # empty only where no cluster exists (program tests under mocks): the step always prints
    return [parse_report(out) for out in stdouts if out]
