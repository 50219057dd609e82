"""The bring-up as one pure graph (components/steps/pipeline.py): what runs after what,
and secrets filled into a step's script by the core.

What relies on it: the Pulumi shell creates one command per step and only follows
these edges, so a wrong edge is a join before ``kubeadm init`` or a removal in the
wrong order on a real rack; and a join credential reaches the host only inside the
script on stdin, through the same heredoc checks as every file.
"""

from __future__ import annotations

import pytest

from components.stack import load_stack_file
from components.steps import PIPELINE, edges, mermaid, secret_placeholder, steps_for
from components.vocabulary import SECRET_STEPS

CREDENTIALS = "token: abcdef.0123456789abcdef\nca-hash: sha256:" + "0" * 64


@pytest.fixture(scope="module")
def dev_steps():
    return steps_for(load_stack_file("dev"))


def test_the_dev_stack_comes_up_in_this_order(dev_steps) -> None:
    assert edges(dev_steps) == {
        ("cp1", "prepare-host"): [],
        ("w1", "prepare-host"): [],
        ("w2", "prepare-host"): [],
        ("cp1", "host-network"): [("cp1", "prepare-host")],
        ("w1", "host-network"): [("w1", "prepare-host")],
        ("w2", "host-network"): [("w2", "prepare-host")],
        ("cp1", "api-vip"): [("cp1", "host-network")],
        ("cp1", "kubeadm-init"): [("cp1", "host-network"), ("cp1", "api-vip")],
        ("cp1", "node-registered"): [("cp1", "kubeadm-init")],
        # an upgrade starts with the first control plane (kubeadm upgrade apply), in
        # kubeadm's order: kubeadm, drain, kubelet, back in service
        ("cp1", "kubeadm-upgrade"): [("cp1", "node-registered")],
        ("cp1", "upgrade-drain"): [("cp1", "kubeadm-upgrade")],
        ("cp1", "kubelet-upgrade"): [("cp1", "upgrade-drain")],
        ("cp1", "upgrade-uncordon"): [("cp1", "kubelet-upgrade")],
        # no kubelet newer than the API server: joins wait for that upgrade
        ("w1", "join-credentials"): [("cp1", "kubeadm-init"), ("cp1", "upgrade-uncordon")],
        ("w2", "join-credentials"): [("cp1", "kubeadm-init"), ("cp1", "upgrade-uncordon")],
        ("cp1", "certificates"): [("cp1", "kubeadm-init"), ("cp1", "upgrade-uncordon")],
        ("w1", "kubeadm-join"): [("w1", "host-network"), ("w1", "join-credentials")],
        ("w2", "kubeadm-join"): [("w2", "host-network"), ("w2", "join-credentials")],
        ("w1", "node-registered"): [("w1", "kubeadm-join")],
        ("w2", "node-registered"): [("w2", "kubeadm-join")],
        # then the workers, one batch (upgrade.workerBatchSize, default 1) after another
        ("w1", "kubeadm-upgrade"): [("w1", "node-registered"), ("cp1", "upgrade-uncordon")],
        ("w1", "upgrade-drain"): [("w1", "kubeadm-upgrade")],
        ("w1", "kubelet-upgrade"): [("w1", "upgrade-drain")],
        ("w1", "upgrade-uncordon"): [("w1", "kubelet-upgrade")],
        ("w2", "kubeadm-upgrade"): [("w2", "node-registered"), ("w1", "upgrade-uncordon")],
        ("w2", "upgrade-drain"): [("w2", "kubeadm-upgrade")],
        ("w2", "kubelet-upgrade"): [("w2", "upgrade-drain")],
        ("w2", "upgrade-uncordon"): [("w2", "kubelet-upgrade")],
    }


def test_every_step_comes_after_its_sources_in_the_order_edges_gives(dev_steps) -> None:
    """The shell creates commands in this order and needs each source to exist already."""
    graph = edges(dev_steps)
    position = {target: index for index, target in enumerate(graph)}
    for target, sources in graph.items():
        assert all(position[source] < position[target] for source in sources), target


def test_only_the_join_reads_another_steps_output(dev_steps) -> None:
    assert {(step.node, step.name): step.reads for step in dev_steps if step.reads} == {
        ("w1", "kubeadm-join"): ("join-credentials",),
        ("w2", "kubeadm-join"): ("join-credentials",),
    }
    assert {phase.name for phase in PIPELINE if phase.secret} == SECRET_STEPS == {"kubeadm-init", "join-credentials", "kubeadm-join", "certificates"}


def test_the_core_fills_the_credentials_into_the_join_script(dev_steps) -> None:
    join = next(step for step in dev_steps if step.name == "kubeadm-join")
    rendered, filled = join.script(), join.script({"join-credentials": CREDENTIALS})
    assert secret_placeholder("join-credentials") in rendered and CREDENTIALS not in rendered
    assert CREDENTIALS + "\n" in filled and secret_placeholder("join-credentials") not in filled
    assert filled == rendered.replace(secret_placeholder("join-credentials"), CREDENTIALS)


def test_a_credential_that_would_end_the_heredoc_is_refused(dev_steps) -> None:
    join = next(step for step in dev_steps if step.name == "kubeadm-join")
    with pytest.raises(ValueError, match="heredoc delimiter"):
        join.script({"join-credentials": "token\nSOM_EOF\nrm -rf /"})


def test_a_step_is_given_exactly_what_it_reads(dev_steps) -> None:
    join = next(step for step in dev_steps if step.name == "kubeadm-join")
    with pytest.raises(ValueError, match="reads"):
        join.script({})
    prepare = next(step for step in dev_steps if step.name == "prepare-host")
    with pytest.raises(ValueError, match="reads"):
        prepare.script({"join-credentials": CREDENTIALS})


def test_the_graph_drawing_has_a_box_per_step_and_an_arrow_per_edge(dev_steps) -> None:
    lines = mermaid(load_stack_file("dev"))
    assert lines[0] == "flowchart LR"
    assert sum('["' in line for line in lines) == len(dev_steps) == 28
    assert sum("-->" in line for line in lines) == sum(len(sources) for sources in edges(dev_steps).values()) == 33
    assert '  s7["kubeadm-init<br/>cp1 (secret)"]' in lines
    assert '  s9["join-credentials<br/>w2, on cp1 (secret)"]' in lines


def test_every_change_a_step_declares_is_made_by_its_script(dev_steps) -> None:
    """render lists these per node (nodes/<node>/edits.md); a path no script names would be a
    list that drifted from what runs."""
    for step in dev_steps:
        script = step.script()
        for edit in step.edits:
            directory, _, name = edit.path.rpartition("/")
            assert edit.path in script or (directory in script and name in script), (step.resource_name, edit.path)


def test_render_shows_the_graph_and_each_nodes_edits() -> None:
    from components import render

    tree = render.tree(load_stack_file("dev"))
    assert "\n".join(mermaid(load_stack_file("dev"))) in tree["pipeline.md"]
    assert "| host-network | `/etc/resolv.conf` |" in tree["nodes/w1/edits.md"]
    assert "| kubeadm-init | `/etc/kubernetes` |" in tree["nodes/cp1/edits.md"]
    assert "kubeadm-init" not in tree["nodes/w1/edits.md"]
