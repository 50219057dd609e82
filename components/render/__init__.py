"""``render``: what the program would put on every host and into Kubernetes, as files.

Reviewers read this in a pull request; it is produced by the same pure functions that
feed the Pulumi resources, so it is byte-for-byte what lands (secrets excepted: they
appear as ``@@SOM_SECRET:...@@`` placeholders). Deterministic: same config, same bytes.

files.py builds the tree, network_page.py the network page, output.py writes it into
``--out`` (replacing only a previous render).
"""

from __future__ import annotations

import sys
from pathlib import Path

from components import manifests
from components.config import Platform
from components.render.files import host_tree, manifest_filename, manifest_tree, pipeline_markdown, step_filename
from components.render.network_page import network_markdown
from components.render.output import MARKER, MARKER_FORMAT, OUT_FIX, OWNED, WRITABLE_FIX, OutputProblem, WritePlan, apply, marker_text, plan_write, write_files

__all__ = [
    "MARKER", "MARKER_FORMAT", "OUT_FIX", "OWNED", "WRITABLE_FIX", "OutputProblem", "WritePlan", "apply", "host_tree",
    "manifest_filename", "manifest_tree", "marker_text", "network_markdown", "pipeline_markdown", "plan_write",
    "schema_problems", "step_filename", "tree", "write",
]


def tree(platform: Platform) -> dict[str, str]:
    return {
        **host_tree(platform),
        **manifest_tree(platform),
        "network.md": network_markdown(platform),
        "pipeline.md": pipeline_markdown(platform),
    }


def write(platform: Platform, out: Path) -> int:
    """Write the stack's render into ``out`` (see output.py for what may be replaced)."""
    return write_files(tree(platform), out)


def schema_problems(platform: Platform) -> list[str]:
    """Managed objects the official schema of the stack's release rejects (see
    components/manifests/validate.py). Without kubernetes-validate (a development
    dependency: the Pulumi program itself does not need it) nothing is checked, and render
    says so as a warning, never silently."""
    from components.manifests.validate import ValidatorUnavailable, validate  # kubernetes-validate: a development dependency

    try:
        return validate(manifests.objects(platform), str(platform.version))
    except ValidatorUnavailable as missing:
        print(f"render: WARNING: the Kubernetes objects were not checked against the schema: {missing}", file=sys.stderr)
        return []
