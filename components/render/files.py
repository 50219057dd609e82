"""What render writes for a stack: every file and step script per host, what the scripts
change on a host beyond their files, every managed Kubernetes object, and the bring-up
graph. Produced by the same pure functions that feed the Pulumi resources.
"""

from __future__ import annotations

from typing import Any

import yaml

from components import manifests
from components.config import Platform
from components.steps import PHASES, Step, mermaid, steps_by_host


def step_filename(number: int, step: Step) -> str:
    suffix = "" if step.node == step.runs_on else f"-{step.node}"
    return f"{number:02d}-{step.name}{suffix}.sh"


def manifest_filename(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata", {})
    parts = [obj["kind"], meta.get("namespace", ""), meta["name"]]
    return "_".join(p for p in parts if p).lower().replace(":", "-") + ".yaml"


def host_tree(platform: Platform) -> dict[str, str]:
    """``relative path -> content`` of every file and step script per host, and the list of
    what the scripts change there beyond those files (``nodes/<host>/edits.md``)."""
    tree: dict[str, str] = {}
    for host, steps in steps_by_host(platform).items():
        for number, step in enumerate(steps, start=1):
            tree[f"nodes/{host}/steps/{step_filename(number, step)}"] = step.script()
            for host_file in step.all_files:
                tree[f"nodes/{host}{host_file.path}"] = host_file.content
        tree[f"nodes/{host}/edits.md"] = edits_markdown(host, steps)
    return tree


def edits_markdown(host: str, steps: list[Step]) -> str:
    """What the steps run on ``host`` create or change there besides the files they carry
    (declared beside each step: an edit of a host's own file, a derived file, saved state)."""
    lines = [f"# What the scripts change on `{host}` besides their files", "",
             "Undone by each step's `remove`, as the step script says.", "",
             "| step | path | change |", "|---|---|---|"]
    lines += [f"| {step.name}{'' if step.node == step.runs_on else f' ({step.node})'} | `{edit.path}` | {edit.change} |"
              for step in steps for edit in step.edits]
    return "\n".join(lines) + "\n"


def pipeline_markdown(platform: Platform) -> str:
    """The bring-up as its graph (components/steps/pipeline.py), drawn for this stack."""
    lines = [f"# Bring-up of stack `{platform.stack}`", "",
             "One remote command per box; an arrow means \"runs after\"; everything else runs in parallel.", "",
             "| step | where | what |", "|---|---|---|"]
    lines += [f"| {name} | {phase.doc.partition(':')[0]} | {phase.doc.partition(':')[2].strip()} |" for name, phase in PHASES.items()]
    return "\n".join([*lines, "", "```mermaid", *mermaid(platform), "```", ""])


def manifest_tree(platform: Platform) -> dict[str, str]:
    tree = {}
    for obj in manifests.objects(platform):
        name = f"manifests/{manifest_filename(obj)}"
        if name in tree:
            raise ValueError(f"two managed objects render to {name}")
        tree[name] = yaml.safe_dump(obj, sort_keys=True, default_flow_style=False)
    return tree


