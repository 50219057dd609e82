"""Checks of the secrets: the SSH private key exists and is stored encrypted."""

from __future__ import annotations

from typing import Iterator

from components.config import SecretSetting
from components.problems import ConfigProblem


def ssh_key_is_secret(ssh_private_key: SecretSetting | None) -> Iterator[ConfigProblem]:
    secret: SecretSetting | None = ssh_private_key
    if secret is None:
        yield ConfigProblem(
            "sshPrivateKey",
            "required setting is missing",
            "store the key as a secret: pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519",
        )
    elif not secret.stored_as_secret:
        yield ConfigProblem(
            "sshPrivateKey",
            "the SSH private key is stored in plain text",
            "remove it and store it encrypted: pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519",
        )


CHECKS = (ssh_key_is_secret,)
