"""The exact taints each node registers with, and the tolerations that match them.

Literal expected values, not values read back from ``components.taints``: a worker that
registers with the control-plane taint takes no workload, a tenant taint that loses its
effect or value lets every pod onto the tenant's nodes, and both would otherwise pass.
The base stack (tests.factories.valid_config): ``cp`` control plane and DNS, ``w1`` and
``w2`` in tenant ``spark`` labelled ``spark=spark``.
"""

from __future__ import annotations

from typing import Any

from components.taints import registration_taints, tenant_taint, toleration
from tests.factories import load, node, valid_config, with_settings

CONTROL_PLANE = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
SPARK = {"key": "spark", "value": "spark", "effect": "NoSchedule"}


def taints_by_node(config: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    platform = load(config)
    return {n.name: registration_taints(platform, n) for n in platform.nodes}


def test_each_role_registers_with_exactly_its_taints() -> None:
    """Control plane: its own taint only. Tenant workers: the tenant's taint only, never
    the control plane's. A worker of no tenant: none at all (it takes any pod)."""
    config = with_settings(valid_config(), {"nodes[3]": node("w3", "10.0.0.64")})
    assert taints_by_node(config) == {"cp": [CONTROL_PLANE], "w1": [SPARK], "w2": [SPARK], "w3": []}


def test_a_control_plane_that_is_also_a_worker_keeps_the_control_plane_taint() -> None:
    """The worker role does not lift the taint: kubeadm's own NoSchedule stays on every control plane."""
    config = with_settings(valid_config(), {"nodes[0].roles": ["control-plane", "worker", "dns"]})
    assert taints_by_node(config)["cp"] == [CONTROL_PLANE]


def test_extra_taints_follow_the_platforms_own_with_their_effect_and_value() -> None:
    """An extra taint keeps its effect (NoExecute evicts, NoSchedule does not) and value;
    one given without a value is registered without one (an empty value is no value to
    Kubernetes), and the default effect is NoSchedule."""
    config = with_settings(
        valid_config(),
        {
            "nodes[0].taints": [{"key": "maintenance", "effect": "NoExecute"}],
            "nodes[1].taints": [{"key": "gpu", "value": "a100", "effect": "PreferNoSchedule"}, {"key": "dedicated"}],
        },
    )
    taints = taints_by_node(config)
    assert taints["cp"] == [CONTROL_PLANE, {"key": "maintenance", "effect": "NoExecute"}]
    assert taints["w1"] == [
        SPARK,
        {"key": "gpu", "value": "a100", "effect": "PreferNoSchedule"},
        {"key": "dedicated", "effect": "NoSchedule"},
    ]
    assert taints["w2"] == [SPARK]


def test_a_tenant_that_does_not_taint_leaves_its_nodes_untainted() -> None:
    config = with_settings(valid_config(), {"tenants[0].taintNodes": False})
    assert taints_by_node(config) == {"cp": [CONTROL_PLANE], "w1": [], "w2": []}


def test_a_tenant_without_a_node_label_taints_with_the_default_key_and_its_name() -> None:
    config = with_settings(valid_config(), {"tenants[0].nodeLabel": None})
    assert taints_by_node(config)["w1"] == [
        {"key": "node-restriction.kubernetes.io/tenant", "value": "spark", "effect": "NoSchedule"}
    ]


def test_a_tenant_label_with_an_empty_value_taints_by_key_and_is_tolerated_with_exists() -> None:
    """``team=`` (a valid label with an empty value): the taint carries no value, and the
    toleration matching it is ``Exists`` (``Equal`` to "" would be a different toleration)."""
    platform = load(with_settings(valid_config(), {"tenants[0].nodeLabel": "team="}))
    tenant = platform.config.tenants[0]
    assert registration_taints(platform, platform.node("w1")) == [{"key": "team", "effect": "NoSchedule"}]
    assert toleration(tenant_taint(tenant)) == {"key": "team", "operator": "Exists", "effect": "NoSchedule"}


def test_tolerations_match_key_value_and_effect_exactly() -> None:
    assert toleration({"key": "spark", "value": "spark", "effect": "NoSchedule"}) == {
        "key": "spark", "operator": "Equal", "value": "spark", "effect": "NoSchedule",
    }
    assert toleration({"key": "gpu", "value": "a100", "effect": "NoExecute"}) == {
        "key": "gpu", "operator": "Equal", "value": "a100", "effect": "NoExecute",
    }
    assert toleration({"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}) == {
        "key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule",
    }
    assert toleration({"key": "team", "value": "", "effect": "PreferNoSchedule"}) == {
        "key": "team", "operator": "Exists", "effect": "PreferNoSchedule",
    }
