"""Host-key fingerprints as OpenSSH prints them: the join token is minted for one
machine, named by its key's fingerprint in the step and in the token's description."""

from __future__ import annotations

from components.ssh_keys import fingerprint
from components.steps import join
from tests.factories import load, valid_config

# `ssh-keygen -l -f` of this key printed: 256 SHA256:jn5jf+nKmPsSp1Rrldyy79PvihL3h+nsJVTpCuMZwC4 no comment (ED25519)
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDJmX50AltJHrlw5oPhrBOOjpwuv8wx4lpqfcgSqhJiQ"
OPENSSH_FINGERPRINT = "SHA256:jn5jf+nKmPsSp1Rrldyy79PvihL3h+nsJVTpCuMZwC4"


def test_the_fingerprint_is_the_one_ssh_keygen_prints() -> None:
    assert fingerprint(KEY) == OPENSSH_FINGERPRINT
    assert fingerprint(f"{KEY} root@w1") == OPENSSH_FINGERPRINT  # a comment changes nothing


def test_join_credentials_are_minted_for_the_joining_machines_key() -> None:
    platform = load(valid_config())
    node = platform.joining_nodes[0]
    step = join.credentials_step(platform, node)
    assert step is not None and step.runs_on == platform.init_node.name
    assert step.variables["JOINING_HOST"] == fingerprint(node.ssh_host_key)
    assert fingerprint(node.ssh_host_key) in step.script()
