"""The Pulumi program: load and validate the stack, build the platform, export outputs.

Kept out of ``__main__.py`` so the program tests and the program benchmark run exactly
this function under ``pulumi.runtime.set_mocks`` (tests/program_mocks.py), besides the
real engine that runs ``__main__.py``.
"""

from __future__ import annotations

import pulumi
import pulumi.runtime

from components.cluster import Cluster
from components.kube import KubernetesLayer, export_outputs
from components.config import Platform
from components.problems import PROJECT, ConfigError
from components.stack import settings
from components.validation import load_platform


def engine_config() -> tuple[dict[str, object], set[str]]:
    """Every config value the engine handed the program, and which of them are secrets.

    ``pulumi.Config`` can only look keys up, not list them; listing is what lets a typo'd
    key be reported instead of silently ignored.
    """
    from pulumi.runtime import config as runtime_config

    values = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    secret_keys = set(runtime_config.get_config_secret_keys_env()) | set(runtime_config._SECRET_KEYS.get())
    return values, secret_keys


def load() -> Platform:
    """The validated platform, or a clean stop (no traceback) listing every problem."""
    values, secret_keys = engine_config()
    raw, problems = settings(values, secret_keys)
    try:
        return load_platform(raw, pulumi.get_stack(), earlier=problems)
    except ConfigError as error:
        for problem in error.problems:
            pulumi.log.error(problem.render())
        count = len(error.problems)
        raise pulumi.RunError(f"the stack configuration has {count} problem{'s' if count != 1 else ''} (listed above); nothing was changed") from None


def main() -> None:
    platform = load()
    if platform.end_of_life_warning:
        pulumi.log.warn(platform.end_of_life_warning)
    private_key = pulumi.Config(PROJECT).require_secret("sshPrivateKey")
    cluster = Cluster(platform.config.cluster_name, platform, private_key)
    # Each node's patch waits for that node's registration only, not for every join.
    registered = {name: [command] for name, command in cluster.registered.items()}
    layer = KubernetesLayer("kubernetes", platform, cluster.kubeconfig, node_dependencies=registered, after=cluster.settled)
    export_outputs(platform, cluster.kubeconfig, cluster.certificates_expire, layer)  # the contract (README.md, "Stack outputs") and the secret kubeconfigs
