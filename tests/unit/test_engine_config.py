"""The one place the program reads the Pulumi SDK's private config state
(components/program.py ``engine_config``), pinned to the SDK version it was read against.

Why: ``pulumi.Config`` can look a key up but not list the keys, and listing is what turns
a misspelt setting into a problem instead of a silently ignored line. The SDK keeps the
values in ``CONFIG`` and the secret keys in ``_SECRET_KEYS`` (plus the PULUMI_CONFIG*
environment variables it starts from); an SDK upgrade that moves them must fail here,
not in a rack's ``pulumi up``.
"""

from __future__ import annotations

import json
import re
from importlib.metadata import version
from pathlib import Path

import pytest
from pulumi.runtime import config as runtime_config

from components.program import engine_config

ROOT = Path(__file__).resolve().parents[2]


def test_the_sdk_is_the_version_engine_config_was_read_against() -> None:
    pinned = re.search(r"^pulumi==(\S+)$", (ROOT / "requirements.txt").read_text(), re.MULTILINE)
    assert pinned is not None and version("pulumi") == pinned.group(1) == "3.272.0"


def test_engine_config_lists_the_values_and_secret_keys_the_sdk_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"spark-on-metal:apiPort": "7443", "spark-on-metal:sshPrivateKey": "k"}))
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", json.dumps(["spark-on-metal:sshPrivateKey"]))
    token_values = runtime_config.CONFIG.set({"spark-on-metal:clusterName": "lab"})
    token_secrets = runtime_config._SECRET_KEYS.set(["spark-on-metal:other"])
    try:
        values, secret_keys = engine_config()
    finally:
        runtime_config.CONFIG.reset(token_values)
        runtime_config._SECRET_KEYS.reset(token_secrets)
    assert values == {"spark-on-metal:apiPort": "7443", "spark-on-metal:sshPrivateKey": "k", "spark-on-metal:clusterName": "lab"}
    assert secret_keys == {"spark-on-metal:sshPrivateKey", "spark-on-metal:other"}
