"""`render`: what a reviewer reads is exactly what lands, every time, with no secret in it.

The render is compared byte for byte across runs in one process and across processes
with different hash seeds (set or dict order must never leak into a file); the secrets a
stack holds appear only as placeholders.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from components import render
from components.stack import PROJECT_DIR, load_stack_file, stack_file
from components.steps import secret_placeholder
from tests.conftest import RenderedStack
from tests.factories import CIPHERTEXT, files_under, load, stack_document, valid_config, write_project

STACKS = ("dev", "prod")
JOIN_SECRET = secret_placeholder("join-credentials")


def render_in_subprocess(stack: str, hash_seed: str, out: Path) -> None:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONDONTWRITEBYTECODE": "1"}
    subprocess.run(
        [sys.executable, "-m", "components", "render", "--stack", stack, "--out", str(out)],
        cwd=PROJECT_DIR, env=env, check=True, capture_output=True, timeout=60,
    )


def secure_values(document: object) -> list[str]:
    """Every `secure:` ciphertext in a stack file, however deeply nested."""
    if isinstance(document, dict):
        if set(document) == {"secure"}:
            return [str(document["secure"])]
        return [value for item in document.values() for value in secure_values(item)]
    if isinstance(document, list):
        return [value for item in document for value in secure_values(item)]
    return []


@pytest.mark.parametrize("stack", STACKS)
def test_render_is_identical_across_runs_in_one_process(stack: str, tmp_path: Path) -> None:
    """Same config, same bytes: two renders from one process are the same tree."""
    platform = load_stack_file(stack)
    assert render.tree(platform) == render.tree(load_stack_file(stack))
    render.write(platform, tmp_path / "a")
    render.write(load_stack_file(stack), tmp_path / "b")
    assert files_under(tmp_path / "a") == files_under(tmp_path / "b")


@pytest.mark.parametrize("stack", STACKS)
def test_render_is_identical_across_processes_and_hash_seeds(
    stack: str, tmp_path: Path, rendered_stack: RenderedStack
) -> None:
    """`python -m components render` in two processes with different PYTHONHASHSEED writes
    the same tree as the in-process render."""
    render_in_subprocess(stack, "1", tmp_path / "seed1")
    render_in_subprocess(stack, "4242", tmp_path / "seed4242")
    first = files_under(tmp_path / "seed1")
    assert first == files_under(tmp_path / "seed4242")
    assert first == files_under(rendered_stack(stack))


@pytest.mark.parametrize("stack", STACKS)
def test_no_stack_secret_appears_in_the_render(stack: str, rendered_stack: RenderedStack) -> None:
    """The stack's `secure:` ciphertext is nowhere in the render; join credentials appear
    only as the placeholder inside the join steps."""
    ciphertexts = secure_values(yaml.safe_load(stack_file(stack).read_text()))
    assert ciphertexts, "the stack file is expected to hold its SSH key as a secret"
    files = files_under(rendered_stack(stack))
    for path, content in files.items():
        text = content.decode()
        assert not any(secret in text for secret in ciphertexts), path
        if JOIN_SECRET in text:
            assert re.fullmatch(r"nodes/[^/]+/steps/\d\d-kubeadm-join\.sh", path), path
    join_steps = [path for path in files if path.endswith("-kubeadm-join.sh")]
    assert join_steps
    for path in join_steps:
        assert f"<<'SOM_EOF'\n{JOIN_SECRET}\nSOM_EOF\n" in files[path].decode(), path


def test_a_distinctive_ciphertext_never_reaches_the_render(tmp_path: Path) -> None:
    """With a ciphertext no file could contain by accident, the whole render is clean."""
    write_project(tmp_path, "secret", stack_document(valid_config()))
    platform = load_stack_file("secret", tmp_path)
    assert all(CIPHERTEXT not in content for content in render.tree(platform).values())


def test_every_node_has_its_steps_and_only_the_first_control_plane_inits(rendered_stack: RenderedStack) -> None:
    """Each node's directory holds its numbered step scripts; kubeadm-init exists once."""
    out = rendered_stack("prod")
    platform = load_stack_file("prod")
    for node in platform.nodes:
        steps = sorted(path.name for path in (out / "nodes" / node.name / "steps").iterdir())
        assert steps[:2] == ["01-prepare-host.sh", "02-host-network.sh"], node.name
    init_steps = list(out.glob("nodes/*/steps/*-kubeadm-init.sh"))
    assert [path.parts[-3] for path in init_steps] == [platform.init_node.name]


def test_network_page_shows_the_reference_plan(rendered_stack: RenderedStack) -> None:
    """network.md, the reviewer's overview, carries the reference numbers."""
    page = (rendered_stack("prod") / "network.md").read_text()
    assert "Layer-2 subnet `10.0.0.0/17`, gateway `10.0.127.254`, pod pool `10.0.64.0/20` in /25 slices" in page
    assert "| hadooptest-cp | 10.0.0.61/17 | control-plane, dns | - | eth0 | mac0 | 10.0.64.0/25 (#0) | 10.0.64.1 - 10.0.64.126 | 126 |" in page
    assert "| spark | spark | `spark=spark` | hadooptest-001, hadooptest-002, hadooptest-003 |" in page


def test_render_needs_no_stack_file() -> None:
    """The render is a pure function of the config: a config built in memory renders, and
    a derived slice (cp, 10.0.0.61: offset 61 mod 32 = slice 29) lands in its CNI file."""
    tree = render.tree(load(valid_config()))
    conflist = tree["nodes/cp/etc/cni/net.d/00-spark-on-metal.conflist"]
    assert '"rangeStart": "10.0.78.129"' in conflist and '"rangeEnd": "10.0.78.254"' in conflist
