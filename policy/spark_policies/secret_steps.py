"""Rule: remote commands that carry cluster credentials never show them.

certificates prints the admin kubeconfig, join-credentials prints a bootstrap token and
the CA hash, kubeadm-join receives them on stdin. pulumi-command logs stdout/stderr by
default and stores ``stdout`` in the state in clear unless it is a secret output, and a
command line is echoed in error messages, stored in clear and visible in ``ps``.

What pulumi_policy lets a policy see (pulumi-policy 1.21): the resource's inputs
(``create``, ``logging``, ...) with secrets already unwrapped to plain values, unknowns
as sentinels that raise ``UnknownValueError``, and the resource options including
``additional_secret_outputs``. So the rule checks ``logging == "none"``, ``"stdout"`` in
``opts.additional_secret_outputs``, and that ``create``/``update``/``delete`` are known
during preview (a command computed from another resource's output is how a token gets
into a command line) and contain nothing shaped like a credential.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from components.syntax import CREDENTIAL_SHAPES
from components.vocabulary import SECRET_STEPS, step_resource_name

REMOTE_COMMAND = "command:remote:Command"
COMMAND_FIELDS = ("create", "update", "delete")



def step_of(name: str, steps: frozenset[str] = SECRET_STEPS) -> str | None:
    """The secret step a resource named ``<node>-<step>`` runs, if any (node names hold '-',
    so the step is found as the suffix the program's own naming gives it: ``kubeadm`` for
    kubeadm init and join alike)."""
    suffixes = sorted({step_resource_name("", step) for step in steps})
    return next((suffix[1:] for suffix in suffixes if name.endswith(suffix)), None)


def secret_step_violations(resource_type: str, props: Mapping[str, Any], name: str, opts: Any) -> list[str]:
    """Everything wrong with a remote command that carries secrets; [] for other resources."""
    if resource_type != REMOTE_COMMAND:
        return []
    step = step_of(name)
    if step is None:
        return []
    problems = _logging_problems(props) + _secret_output_problems(opts)
    for field in COMMAND_FIELDS:
        problems += _command_line_problems(props, field)
    return [f"{name} (step {step}): {problem}" for problem in problems]


def _logging_problems(props: Mapping[str, Any]) -> list[str]:
    logging = props.get("logging")
    if logging == "none":
        return []
    shown = "unset (pulumi-command's default logs stdout and stderr)" if logging is None else repr(logging)
    return [f'logging is {shown}; set logging="none" so the output never reaches the logs']


def _secret_output_problems(opts: Any) -> list[str]:
    outputs = list(getattr(opts, "additional_secret_outputs", None) or ())
    if "stdout" in outputs:
        return []
    return [f'"stdout" is not in additional_secret_outputs ({outputs}); the state would keep it in clear']


def _command_line_problems(props: Mapping[str, Any], field: str) -> list[str]:
    try:
        command = props.get(field)
    except UnknownValueError:
        return [
            f"{field} is computed from another resource's output; a secret step's command line "
            "must be a constant such as 'bash -s -- apply', with secrets sent on stdin"
        ]
    if not isinstance(command, str):
        return []
    found = [what for what, shape in CREDENTIAL_SHAPES if shape.search(command)]
    if not found:
        return []
    return [f"{field} contains {', '.join(found)}; command lines are logged and stored in clear, send secrets on stdin"]
