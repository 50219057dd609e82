"""The bring-up of a cluster, as an ordered list of steps (read ``PIPELINE`` top to bottom).

Each step is one SSH session on one host: a self-contained, idempotent bash script sent
on stdin (``bash -s -- apply``; ``remove`` undoes it when the resource is deleted, and
pulumi-command hands delete the same stdin as the last apply). File contents travel in
the script, never in a command line, so a failing command echoes only ``bash -s``.

A step's script is a pure function of the Platform; secrets that exist only at deploy
time (join credentials) enter as placeholders the Pulumi shell fills in, and ``render``
shows the placeholder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from components import shell
from components.config import NodeConfig, Platform
from components.hostfiles import HostFile
from components.paths import TEMPLATES

LIB = TEMPLATES / "lib.sh"
PREVIOUS_FILES = TEMPLATES / "previous-files.sh"  # only in steps with files that keep the host's


def secret_placeholder(name: str) -> str:
    return f"@@SOM_SECRET:{name}@@"


@dataclass(frozen=True)
class Step:
    """One remote command: what it concerns, where it runs, what it installs and does."""

    name: str
    node: str
    runs_on: str
    templates: tuple[str, ...]
    variables: dict[str, str | int] = field(default_factory=dict)
    files: tuple[HostFile, ...] = ()
    # Installed when the template calls som_install_later_files, not at the start (apt
    # source lines: only once their signing keys are in place).
    later_files: tuple[HostFile, ...] = ()
    secrets: tuple[str, ...] = ()

    @property
    def all_files(self) -> tuple[HostFile, ...]:
        return (*self.files, *self.later_files)

    @property
    def resource_name(self) -> str:
        return f"{self.node}-{self.name}"

    def script(self) -> str:
        """The complete script.

        It depends on this step's own inputs only (no position, no other node), so adding
        a node never changes, and never re-runs, another node's steps.
        """
        return "".join(
            [
                "#!/usr/bin/env bash\n",
                f"# spark-on-metal step {self.name}: node {self.node}, run on {self.runs_on}.\n",
                "# Rendered from the stack configuration (components/steps); do not edit on the host.\n",
                "# Usage: bash -s -- apply|remove < this-file\n",
                "set -Eeuo pipefail\numask 022\n",
                shell.assignments(
                    {"SOM_NODE": self.node, "SOM_RUNS_ON": self.runs_on, "SOM_STEP": self.name}
                ),
                shell.assignments(self.variables),
                shell.template(LIB),
                shell.template(PREVIOUS_FILES) if any(f.keeps_previous for f in self.all_files) else "",
                self._files_functions(),
                self._secret_functions(),
                *(shell.template(TEMPLATES / name) for name in self.templates),
                # Everything above only defines; running starts here, after bash has read
                # the whole script, so no command can swallow the rest of stdin.
                'som_main "$@" </dev/null\n',
            ]
        )

    def _files_functions(self) -> str:
        removes = " ".join(f.path for f in self.all_files if not f.keeps_previous)
        restores = " ".join(f.path for f in self.all_files if f.keeps_previous)
        removal = (f"  som_uninstall {removes}\n" if removes else "") + (f"  som_restore_previous {restores}\n" if restores else "")
        return (
            _function("som_install_files", _installs(self.files))
            + (_function("som_install_later_files", _installs(self.later_files)) if self.later_files else "")
            + _function("som_remove_files", removal)
        )

    def _secret_functions(self) -> str:
        return "".join(
            f"som_secret_{name.replace('-', '_')}() {{\n" + shell.heredoc("  cat", secret_placeholder(name) + "\n") + "}\n"
            for name in self.secrets
        )


def _installs(files: tuple[HostFile, ...]) -> str:
    return "".join(
        (f"  som_keep_previous {f.path}\n" if f.keeps_previous else "") + shell.heredoc(f"  som_install {f.path} {f.mode}", f.content)
        for f in files
    )


def _function(name: str, body: str) -> str:
    """A shell function; ``:`` when there is nothing to do (bash refuses an empty body)."""
    return f"{name}() {{\n" + (body or "  :\n") + "}\n"


StepBuilder = Callable[[Platform, NodeConfig], Step | None]


def _pipeline() -> tuple[StepBuilder, ...]:
    from components.steps import host_network, join, kubeadm_init, prepare_host

    return (
        prepare_host.step,  # every node: swap, kernel, containerd, pinned packages, images
        host_network.step,  # every node: macvlan sub-interface, CNI, forwarding, resolv.conf
        kubeadm_init.step,  # the first control-plane node: kubeadm init, prints the kubeconfig
        join.credentials_step,  # on the first control plane, per joining node: token + CA hash
        join.join_step,  # every other node, in parallel: kubeadm join
        join.registered_step,  # on the first control plane, per joining node: wait; drain on removal
    )


def steps_for(platform: Platform) -> tuple[Step, ...]:
    """Every step of the stack in pipeline order (node order within a step)."""
    ordered = []
    for builder in _pipeline():
        for node in platform.nodes:
            step = builder(platform, node)
            if step is not None:
                ordered.append(step)
    return tuple(ordered)


def steps_by_host(platform: Platform) -> dict[str, list[Step]]:
    """Steps grouped by the host they run on, in run order (``render``'s NN numbering)."""
    hosts: dict[str, list[Step]] = {node.name: [] for node in platform.nodes}
    for step in steps_for(platform):
        hosts[step.runs_on].append(step)
    return hosts




STEP_NAMES = ("prepare-host", "host-network", "kubeadm-init", "join-credentials", "kubeadm-join", "node-registered")
# Steps whose stdin or stdout carries secrets: logging off, stdout a secret output. The
# one list the Pulumi shell and the policy pack both read.
SECRET_STEPS = frozenset({"kubeadm-init", "join-credentials", "kubeadm-join"})
