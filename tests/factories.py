"""Builders for valid stack configurations, and helpers to vary them one config key at a time.

A config here is the raw mapping ``components.validation.load_platform`` takes (camelCase
keys without the project prefix, the SSH key as a ``SecretSetting`` marker). Variations
are addressed with the same key paths the problems report (``nodes[1].address``), so a
test reads as "set this key, expect a problem at this key".
"""

from __future__ import annotations

import copy
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any, Mapping

import yaml

from components.config import Platform, SecretSetting
from components.problems import PROJECT
from components.stack import PROJECT_DIR
from components.validation import load_platform

# A real ed25519 public key (the dev stack's cp1): the shape `ssh-keyscan` prints.
HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPAj8UAjEjB4MSlpkYMQCeqR1OX2wSmop56EetUW4dk+"
SECRET = SecretSetting(stored_as_secret=True)
# What `pulumi config set --secret` leaves in a stack file; distinctive, so a test can
# prove it never reaches rendered output.
CIPHERTEXT = "v1:c2Vj:Zm9yLXRlc3RzLW9ubHktbmV2ZXItcmVuZGVyZWQ="
PLAIN_PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"

# The day the configs below are judged on (releases' end of life depends on it), so a
# test of something else does not start failing when a release reaches its end of life.
TODAY = date(2026, 12, 3)

REMOVE = object()
"""As a value in :func:`with_settings`: delete the key."""


def node(name: str, address: str, *roles: str, **settings: Any) -> dict[str, Any]:
    """One node entry; roles default to worker, extra settings by their camelCase names."""
    return {"name": name, "address": address, "roles": list(roles or ("worker",)), "sshHostKey": HOST_KEY, **settings}


def valid_config(**overrides: Any) -> dict[str, Any]:
    """The reference network (10.0.0.0/17, pool 10.0.64.0/20 in /25 slices, gateway
    10.0.127.254, services 10.0.80.0/24); ``cp`` (control plane, DNS), workers ``w1`` and
    ``w2`` in tenant ``spark``. Slices are derived from the addresses: 29, 30, 31."""
    config: dict[str, Any] = {
        "kubernetesVersion": "1.35.4",
        "podSubnet": "10.0.0.0/17",
        "podPool": "10.0.64.0/20",
        "gateway": "10.0.127.254",
        "serviceCidr": "10.0.80.0/24",
        "sshPrivateKey": SECRET,
        "nodes": [node("cp", "10.0.0.61", "control-plane", "dns"), node("w1", "10.0.0.62"), node("w2", "10.0.0.63")],
        "tenants": [{"name": "spark", "nodes": ["w1", "w2"], "nodeLabel": "spark=spark"}],
    }
    config.update(overrides)
    return config


_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def key_path(key: str) -> list[str | int]:
    """``"tenants[0].nodes[1]" -> ["tenants", 0, "nodes", 1]`` (the inverse of problems.join_key)."""
    return [int(index) if index else name for name, index in _PART.findall(key)]


def with_settings(config: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of ``config`` with every ``key path -> value`` applied in order.

    A list index equal to the list's length appends; ``REMOVE`` deletes the key.
    """
    result = copy.deepcopy(dict(config))
    for key, value in changes.items():
        *parents, last = key_path(key)
        target: Any = result
        for part in parents:
            target = target[part]
        if value is REMOVE:
            del target[last]
        elif isinstance(target, list) and last == len(target):
            target.append(copy.deepcopy(value))
        else:
            target[last] = copy.deepcopy(value)
    return result


def load(config: Mapping[str, Any], stack: str = "test", today: date = TODAY) -> Platform:
    return load_platform(config, stack, today)


def stack_document(config: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` as a Pulumi.<stack>.yaml document: prefixed keys, the SSH key as Pulumi
    stores it (``secure:`` ciphertext when it is a secret, else the plain key)."""

    def stored(value: Any) -> Any:
        if isinstance(value, SecretSetting):
            return {"secure": CIPHERTEXT} if value.stored_as_secret else PLAIN_PRIVATE_KEY
        return value

    return {"config": {f"{PROJECT}:{key}": stored(value) for key, value in config.items()}}


def write_project(directory: Path, stack: str, document: Any, *, with_package: bool = False) -> Path:
    """A project directory holding a copy of Pulumi.yaml and ``Pulumi.<stack>.yaml``.

    ``document`` is written as YAML unless it is already text. ``with_package`` also
    copies the ``components`` package, for ``python -m components`` run from there (the
    command reads the stack beside its own package).
    """
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", directory / "Pulumi.yaml")
    text = document if isinstance(document, str) else yaml.safe_dump(document, sort_keys=False)
    (directory / f"Pulumi.{stack}.yaml").write_text(text)
    if with_package:
        shutil.copytree(
            PROJECT_DIR / "components", directory / "components", ignore=shutil.ignore_patterns("__pycache__")
        )
    return directory


def files_under(root: Path) -> dict[str, bytes]:
    """``relative path -> bytes`` of every file below ``root``."""
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}
