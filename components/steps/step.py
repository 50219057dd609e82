"""One step of the bring-up: a self-contained, idempotent bash script for one host.

Each step is one SSH session: the script goes on stdin (``bash -s -- apply``; ``remove``
undoes it when the resource is deleted, and pulumi-command hands delete the same stdin as
the last apply). File contents travel in the script, never in a command line, so a
failing command echoes only ``bash -s``.

A step's script is a pure function of the Platform and, for a step that reads another's
output (join credentials), of that output: :meth:`Step.script` fills it in, and
``render``, which has none, shows a placeholder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from components import shell
from components.hostfiles import HostFile
from components.paths import STEP_TEMPLATES
from components.vocabulary import former_resource_names, step_resource_name

LIB = STEP_TEMPLATES / "lib.sh"
PREVIOUS_FILES = STEP_TEMPLATES / "previous-files.sh"  # only in steps with files that keep the host's
STEP_CONTEXT = frozenset({"SOM_NODE", "SOM_RUNS_ON", "SOM_STEP"})  # set in every step script


def secret_placeholder(name: str) -> str:
    return f"@@SOM_SECRET:{name}@@"


@dataclass(frozen=True)
class HostEdit:
    """Something a step's script creates or changes on the host besides the files it
    carries (an edit of a host's own file, a derived file, saved state), so ``render``
    can list it; ``path`` appears in the script (tests check it)."""

    path: str
    change: str


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
    # Steps whose stdout this one reads at deploy time (secret: its credentials).
    reads: tuple[str, ...] = ()
    edits: tuple[HostEdit, ...] = ()
    # Values whose change runs the step again although its script is the same (the
    # certificates check's month): what the Pulumi shell passes as the command's triggers.
    triggers: tuple[str, ...] = ()
    # Steps with a wave run wave after wave (pipeline edges with scope "previous-wave";
    # components/steps/waves.py): control planes join, renew and upgrade one at a time,
    # workers upgrade in batches; None: no turn to wait for.
    wave: int | None = None

    @property
    def all_files(self) -> tuple[HostFile, ...]:
        return (*self.files, *self.later_files)

    @property
    def resource_name(self) -> str:
        return step_resource_name(self.node, self.name)

    @property
    def former_names(self) -> tuple[str, ...]:
        return former_resource_names(self.node, self.name)

    def script(self, inputs: Mapping[str, str] | None = None) -> str:
        """The complete script, with ``inputs`` (the stdout of each step in ``reads``) in
        place; without them, placeholders stand in (``render``).

        It depends on this step's own inputs only (no position, no other node), so adding
        a node never changes, and never re-runs, another node's steps. Real values go
        through the same heredoc checks as every file the script carries.
        """
        library = [LIB, *([PREVIOUS_FILES] if any(f.keeps_previous for f in self.all_files) else [])]
        own = [STEP_TEMPLATES / name for name in self.templates]
        shell.check_inputs([*library, *own], self.variables, provided=STEP_CONTEXT)
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
                *(shell.template(path) for path in library),
                self._files_functions(),
                self._input_functions(inputs),
                *(shell.template(path) for path in own),
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

    def _input_functions(self, inputs: Mapping[str, str] | None) -> str:
        """``som_secret_<step>`` prints what step ``<step>`` printed (a heredoc in the script,
        which arrives on stdin: never in a command line)."""
        if inputs is not None and set(inputs) != set(self.reads):
            raise ValueError(f"step {self.name} reads {sorted(self.reads)}, given {sorted(inputs)}")
        text = ""
        for name in self.reads:
            value = secret_placeholder(name) if inputs is None else inputs[name]
            text += f"som_secret_{name.replace('-', '_')}() {{\n" + shell.heredoc("  cat", value + "\n") + "}\n"
        return text


def _installs(files: tuple[HostFile, ...]) -> str:
    return "".join(
        (f"  som_keep_previous {f.path}\n" if f.keeps_previous else "") + shell.heredoc(f"  som_install {f.path} {f.mode}", f.content)
        for f in files
    )


def _function(name: str, body: str) -> str:
    """A shell function; ``:`` when there is nothing to do (bash refuses an empty body)."""
    return f"{name}() {{\n" + (body or "  :\n") + "}\n"
