"""Pulumi.yaml and the stack files agree with the model, and the stacks say what they promise.

Pulumi.yaml declares the scalar settings for the Pulumi CLI (types, defaults, secrecy);
the model is the authority. A default that drifts apart would make `pulumi up` and
`render` build different things from the same stack file.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from components.config import PlatformConfig
from components.problems import PROJECT, model_in
from components.stack import PROJECT_DIR, load_stack_file, stack_file

STACKS = ("dev", "prod")
PROJECT_FILE = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())
DECLARED: dict[str, dict[str, Any]] = PROJECT_FILE["config"]
SCHEMA = PlatformConfig.model_json_schema(by_alias=True)["properties"]


def non_null(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema of ``X`` for ``X | None``."""
    options = [option for option in schema.get("anyOf", [schema]) if option.get("type") != "null"]
    assert len(options) == 1, schema
    return options[0]


def is_secret(alias: str) -> bool:
    return non_null(SCHEMA[alias]).get("$ref", "").endswith("/SecretSetting")


def fields_by_alias() -> dict[str, Any]:
    return {info.alias or name: info for name, info in PlatformConfig.model_fields.items()}


def scalar_settings() -> dict[str, str]:
    """``alias -> Pulumi type`` of every setting that is not a structured section; the
    secret marker is declared as a string (the CLI stores the encrypted key as one)."""
    scalars = {}
    for alias, schema in SCHEMA.items():
        option = non_null(schema)
        if is_secret(alias):
            scalars[alias] = "string"
        elif option.get("type") in ("string", "integer"):
            scalars[alias] = option["type"]
    return scalars


def unknown_keys(value: Any, model: Any, path: str) -> list[str]:
    """Keys in ``value`` that ``model`` (a section, a list of sections, or a scalar) lacks."""
    if isinstance(value, list):
        return [key for index, item in enumerate(value) for key in unknown_keys(item, model, f"{path}[{index}]")]
    if not (isinstance(value, dict) and isinstance(model, type) and issubclass(model, BaseModel)):
        return []
    fields = {info.alias or name: info for name, info in model.model_fields.items()}
    found = []
    for key, item in value.items():
        if key in fields:
            found += unknown_keys(item, model_in(fields[key].annotation), f"{path}.{key}")
        else:
            found.append(f"{path}.{key}")
    return found


def test_project_name_is_the_config_namespace() -> None:
    """Stack keys are read as `spark-on-metal:<key>`: the project must carry that name."""
    assert PROJECT_FILE["name"] == PROJECT
    assert PROJECT_FILE["runtime"]["name"] == "python"


def test_declared_keys_are_the_models_scalar_settings() -> None:
    """Pulumi.yaml declares exactly the model's scalar settings, by their camelCase names."""
    assert set(DECLARED) == set(scalar_settings())
    assert {"nodes", "tenants", "dns", "spark"}.isdisjoint(DECLARED)


def test_declared_types_match_the_model() -> None:
    """string for strings, addresses and networks; integer for ports and prefix lengths;
    the SSH key declared secret."""
    expected = scalar_settings()
    assert {key: spec["type"] for key, spec in DECLARED.items()} == expected
    secrets = {alias for alias in SCHEMA if is_secret(alias)}
    assert {key for key, spec in DECLARED.items() if spec.get("secret")} == secrets == {"sshPrivateKey"}


@pytest.mark.parametrize("key", sorted(DECLARED))
def test_declared_default_equals_the_model_default(key: str) -> None:
    """A declared default is the model's ("" standing for unset); an undeclared one means the
    model requires the setting (the SSH key: validation requires it)."""
    spec, info = DECLARED[key], fields_by_alias()[key]
    if "default" in spec:
        default = None if spec["default"] == "" else spec["default"]
        assert not info.is_required()
        assert default == info.get_default(call_default_factory=True)
        assert type(spec["default"]) is {"string": str, "integer": int}[spec["type"]]
    else:
        assert info.is_required() or spec.get("secret"), f"{key} has a model default that Pulumi.yaml does not declare"


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_key_is_known(stack: str) -> None:
    """Every key in the stack file, at every depth, is a setting of the model (no typo
    survives in a file users copy from), and nothing outside our namespace is set."""
    document = yaml.safe_load(stack_file(stack).read_text())
    settings = {}
    foreign = {}
    for full_key, value in document["config"].items():
        namespace, _, key = full_key.partition(":")
        if namespace == PROJECT:
            settings[key] = value
        else:
            foreign[full_key] = value
    # Only this: nothing may land on whatever cluster a user's kubeconfig points at.
    assert foreign == {"pulumi:disable-default-providers": ["kubernetes"]}
    assert unknown_keys(settings, PlatformConfig, PROJECT) == []
    assert settings["sshPrivateKey"].keys() == {"secure"}
    load_stack_file(stack)


def test_prod_reproduces_the_reference_design() -> None:
    """TalkingData's numbers: 10.0.0.0/17, pool 10.0.64.0/20 in /25 slices, gateway
    10.0.127.254, services 10.0.80.0/24; tenant spark on hadooptest-001..003 labelled spark=spark."""
    platform = load_stack_file("prod")
    cfg = platform.config
    assert cfg.pod_subnet == IPv4Network("10.0.0.0/17")
    assert cfg.pod_pool == IPv4Network("10.0.64.0/20")
    assert cfg.pod_slice_prefix == 25
    assert cfg.gateway == IPv4Address("10.0.127.254")
    assert cfg.service_cidr == IPv4Network("10.0.80.0/24")
    [tenant] = cfg.tenants
    assert tenant.name == "spark"
    assert tenant.nodes == ("hadooptest-001", "hadooptest-002", "hadooptest-003")
    assert tenant.node_selector == "spark=spark"
    assert [node.name for node in platform.control_planes] == ["hadooptest-cp"]
    assert platform.control_planes[0].address == IPv4Address("10.0.0.61")


def test_dev_is_one_control_plane_two_workers_one_tenant() -> None:
    """The dev stack matches the lab: one control plane, two workers, one tenant."""
    platform = load_stack_file("dev")
    workers = [node for node in platform.nodes if "worker" in node.roles and not node.is_control_plane]
    assert len(platform.control_planes) == 1
    assert len(workers) == 2
    assert len(platform.config.tenants) == 1
    assert platform.config.tenants[0].nodes == tuple(node.name for node in workers)


def test_readme_config_reference_is_generated_from_the_model() -> None:
    """The README's config reference is exactly what the model generates (no drift)."""
    from components.reference import config_reference

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert config_reference() in readme, "regenerate: python -m components config-reference"


def test_readme_names_the_commands_ci_runs() -> None:
    """The README's test command is what .ci/run executes."""
    root = Path(__file__).resolve().parents[2]
    assert "bash scripts/test.sh" in (root / "README.md").read_text()
    assert "scripts/test.sh" in (root / ".ci" / "run").read_text()


def test_readme_air_gapped_example_is_a_valid_stack() -> None:
    """The README's air-gapped example, added to a valid stack, validates and renders the
    sources, keys and mirrors it promises."""
    import re as regex

    from components.hostfiles import containerd, packages
    from tests.factories import load, valid_config

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    match = regex.search(r"An air-gapped site, in its stack file:\n\n```yaml\n(.*?)```", readme, regex.S)
    assert match, "README.md lost its air-gapped example"
    settings = {key.removeprefix(f"{PROJECT}:"): value for key, value in yaml.safe_load(match[1]).items()}
    platform = load({**valid_config(kubernetesVersion="1.36.3"), **settings})
    kube, runtime = packages.repositories(platform)
    assert kube.key_file() is not None and kube.key_download() is None
    assert runtime.sources_file().content.endswith("http://apt.site.example/docker bookworm stable\n")
    assert platform.pause_image == "mirror.site.example:5000/k8s/pause:3.10.2"
    assert {f.path for f in containerd.files(platform)} >= {
        "/etc/containerd/certs.d/docker.io/hosts.toml", "/etc/containerd/certs.d/mirror.site.example:5000/hosts.toml",
    }
