"""No secret in any process's arguments, on any node, during a whole real bring-up.

Every program started on the machine while the lab's cluster comes up (``pulumi up``,
both joins, and a control plane's join credentials with its certificate upload) is
watched through the kernel's process events (lab/probes/execs.py); the join tokens, the
CA hash, the certificate key, the SSH key and the admin client key must appear in none
of their argument lists (``/proc/<pid>/cmdline`` is readable by every local user).
The watch can miss a program that exits before its arguments are read: a positive
control proves it sees the nodes' programs, and the figures are printed.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import yaml

from lab.testing import requires_root

pytestmark = [pytest.mark.realcluster, requires_root]

CONTROL_PLANE = {"name": "cp2", "address": "10.99.0.14", "roles": ["control-plane"]}


@dataclass
class Watched:
    state: Any
    argvs: list[list[str]]
    missed: int
    marker: str
    control_plane_credentials: dict[str, str]


def parse_credentials(stdout: str) -> dict[str, str]:
    """join-credentials' stdout (``key=value`` lines) as a dict."""
    return dict(line.split("=", 1) for line in stdout.splitlines() if "=" in line)


def control_plane_credentials(state: Any) -> dict[str, str]:
    """The join-credentials step of a second control plane, run for real on cp1: it mints
    a certificate key and uploads the encrypted control-plane certificates with it."""
    from components.stack import load_platform, raw_from_stack_file
    from components.steps.join import credentials_step

    raw = raw_from_stack_file("dev")
    raw["nodes"] = [*raw["nodes"], {**CONTROL_PLANE, "sshHostKey": raw["nodes"][0]["sshHostKey"]}]
    platform = load_platform(raw, "dev")
    step = credentials_step(platform, platform.node("cp2"))
    assert step is not None
    done = state.lab.ssh(step.runs_on, "bash -s -- apply", stdin=step.script(), timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return parse_credentials(done.stdout)


@pytest.fixture(scope="module")
def watched() -> Iterator[Watched]:
    from lab.cleanup import remove_lab
    from lab.create import Options, bring_up
    from lab.probes.execs import ExecWatch
    from lab.spec import new_lab_id

    lab_id = new_lab_id()
    marker = f"som-exec-watch-{secrets.token_hex(4)}"
    try:
        with ExecWatch() as watch:
            state = bring_up(Options(nodes=3, lab_id=lab_id))
            credentials = control_plane_credentials(state)
            # the positive control: a program on a node, seen with its arguments
            state.lab.node_exec("w1", ["sh", "-c", "sleep 0.2", marker])
            time.sleep(0.5)
        print(f"\nexec watch: {len(watch.argvs)} programs read, {watch.missed} gone before they were read")
        yield Watched(state, watch.argvs, watch.missed, marker, credentials)
    finally:
        remove_lab(lab_id)


def stack_secrets(state: Any) -> dict[str, str]:
    """Every secret the bring-up handled, by name, as it would appear in an argument."""
    from lab.probes import stack_workspace

    workspace = stack_workspace(state.workspace_dir)
    found: dict[str, str] = {}
    deployment = json.loads(workspace.run(["stack", "export", "--show-secrets"]).stdout)
    for resource in deployment["deployment"].get("resources", []):
        name = resource["urn"].rsplit("::", 1)[-1]
        stdout = (resource.get("outputs") or {}).get("stdout")
        if not name.endswith("-join-credentials") or stdout is None:
            continue
        if isinstance(stdout, dict):  # a secret envelope: the plaintext is JSON
            stdout = json.loads(stdout["plaintext"])
        credentials = parse_credentials(stdout)
        token = credentials["token"]
        found[f"{name} token"] = token
        found[f"{name} token secret"] = token.split(".", 1)[1]
        found[f"{name} CA hash"] = credentials["ca_cert_hash"].removeprefix("sha256:")
    kubeconfig = yaml.safe_load(workspace.outputs(show_secrets=True)["kubeconfig"])
    client_key = base64.b64decode(kubeconfig["users"][0]["user"]["client-key-data"]).decode()
    found["admin client key"] = max(client_key.splitlines(), key=len)
    found["SSH private key"] = max(state.lab.client_private_key.splitlines(), key=len)
    return found


def test_the_watch_sees_the_nodes_programs_with_their_arguments(watched: Watched) -> None:
    assert any(watched.marker in argv for argv in watched.argvs)
    assert any(argv and argv[0].endswith("kubeadm") for argv in watched.argvs)


def test_a_second_control_planes_credentials_carry_a_certificate_key_the_cluster_accepted(watched: Watched) -> None:
    from lab.probes import for_lab

    key = watched.control_plane_credentials["certificate_key"]
    assert len(key) == 64 and int(key, 16) >= 0
    kubectl = for_lab(watched.state.lab, watched.state.workspace_dir)
    uploaded = kubectl.json(["-n", "kube-system", "get", "secret", "kubeadm-certs"])
    assert {"ca.crt", "ca.key", "sa.key"} <= set(uploaded["data"])


def test_no_secret_appears_in_any_programs_arguments(watched: Watched) -> None:
    from lab.probes.execs import ExecWatch

    found = stack_secrets(watched.state)
    cp2 = watched.control_plane_credentials
    found["cp2 certificate key"] = cp2["certificate_key"]
    found["cp2 token secret"] = cp2["token"].split(".", 1)[1]
    assert len([name for name in found if name.endswith("token")]) == 2  # both workers' joins
    watch = ExecWatch(argvs=watched.argvs)
    assert watch.carrying(found) == {}
