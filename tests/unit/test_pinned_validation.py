"""Validation at its boundaries, on both sides, and every check firing at least once.

tests/unit/test_config_validation.py shows that each bad setting is reported; this file pins
where "bad" starts (the largest service CIDR kube-apiserver takes, the most nameservers
glibc reads, the smallest usable slice, ...) with the value just inside accepted and the
one just outside refused, and the checks that stop at the first problem of a kind (so
that a second one in the same stack would go unreported).
"""

from __future__ import annotations

from typing import Any, Mapping

import pytest

from components.kube import cluster_identifier
from components.problems import ConfigError, ConfigProblem
from components.validation import load_platform
from components.config import SecretSetting
from tests.factories import REMOVE, TODAY, load, node, valid_config, with_settings


def full_problems_of(changes: Mapping[str, Any], base: Mapping[str, Any] | None = None) -> list[tuple[str, str, str]]:
    """(key, message, fix) of every problem the changed base stack has; [] when it loads."""
    try:
        load(with_settings(base if base is not None else valid_config(), changes))
    except ConfigError as error:
        return [(p.key, p.message, p.fix) for p in error.problems]
    return []


def problems_of(changes: Mapping[str, Any], base: Mapping[str, Any] | None = None) -> list[tuple[str, str]]:
    return [(key, message) for key, message, _ in full_problems_of(changes, base)]


def dns_nodes(count: int) -> dict[str, Any]:
    """Changes giving the base stack ``count`` DNS nodes (cp and count-1 new workers)."""
    return {f"nodes[{3 + i}]": node(f"d{i}", f"10.0.0.7{i}", "worker", "dns") for i in range(count - 1)}


ONLY_CP = {"nodes": [node("cp", "10.0.0.61", "control-plane", "dns")], "tenants": []}


class Boundary:
    """One limit: the change just inside loads, the change just outside gives exactly ``refused``."""

    def __init__(self, id: str, inside: Mapping[str, Any], outside: Mapping[str, Any], refused: list[tuple[str, str]], base: Mapping[str, Any] | None = None):
        self.id, self.inside, self.outside, self.refused, self.base = id, inside, outside, refused, base


BOUNDARIES = [
    Boundary(
        "service-cidr-/12-largest-kube-apiserver-takes",
        {"serviceCidr": "172.16.0.0/12"},
        {"serviceCidr": "172.0.0.0/11"},
        [("serviceCidr", "the service CIDR 172.0.0.0/11 is larger than kube-apiserver accepts (/12 at most)")],
    ),
    Boundary(
        "service-cidr-next-to-the-pool",
        {"serviceCidr": "10.0.80.0/28"},
        {"serviceCidr": "10.0.79.240/28"},
        [("serviceCidr", "the service CIDR 10.0.79.240/28 overlaps the pod pool 10.0.64.0/20")],
    ),
    Boundary(
        "three-dns-nodes-glibc-reads-three",
        dns_nodes(3),
        dns_nodes(4),
        [("nodes", "4 nodes have the role dns but resolv.conf takes at most 3 nameservers (glibc reads no more)")],
    ),
    Boundary(
        "dns-min-servers-met-exactly",
        {**dns_nodes(2), "dns": {"minServers": 2}},
        {**dns_nodes(2), "dns": {"minServers": 3}},
        [("dns.minServers", "the stack asks for at least 3 DNS servers but only 2 node(s) have the role dns")],
    ),
    Boundary(
        "slice-/30-smallest-with-a-pod-address",
        {"podSlicePrefix": 30},
        {"podSlicePrefix": 31},
        [("podSlicePrefix", "a /31 slice leaves no usable pod address (its first and last addresses are never handed out)")],
    ),
    Boundary(
        "slice-as-large-as-the-pool",
        {"podSlicePrefix": 20},
        {"podSlicePrefix": 19},
        [("podSlicePrefix", "a /19 slice is larger than the pod pool 10.0.64.0/20")],
        base=valid_config(**ONLY_CP),
    ),
    Boundary(
        "as-many-nodes-as-slices",
        {"podPool": "10.0.64.0/24", "podSlicePrefix": 26, "nodes[3]": node("w3", "10.0.0.64")},
        {"podPool": "10.0.64.0/24", "podSlicePrefix": 26, "nodes[3]": node("w3", "10.0.0.64"), "nodes[4]": node("w4", "10.0.0.65")},
        [("nodes", "5 nodes need 5 slices but the pool 10.0.64.0/24 holds only 4 /26 slices")],
    ),
    Boundary(
        "last-slice-of-the-pool",
        {"nodes[1].podSlice": 0, "nodes[2].podSlice": 31},
        {"nodes[1].podSlice": 0, "nodes[2].podSlice": 32},
        [("nodes[2].podSlice", "slice 32 does not exist: the pool 10.0.64.0/20 has slices 0 to 31")],
    ),
    Boundary(
        "gateway-first-host-not-network-address",
        {"gateway": "10.0.0.1"},
        {"gateway": "10.0.0.0"},
        [("gateway", "the gateway 10.0.0.0 is the network or broadcast address of 10.0.0.0/17")],
    ),
    Boundary(
        "gateway-last-host-not-broadcast",
        {"gateway": "10.0.127.254"},
        {"gateway": "10.0.127.255"},
        [("gateway", "the gateway 10.0.127.255 is the network or broadcast address of 10.0.0.0/17")],
    ),
    Boundary(
        "node-first-host-not-network-address",
        {"nodes[1].address": "10.0.0.1"},
        {"nodes[1].address": "10.0.0.0", "nodes[1].podSlice": 5},
        [("nodes[1].address", "10.0.0.0 is the network or broadcast address of 10.0.0.0/17")],
    ),
    Boundary(
        "node-just-below-the-pool",
        {"nodes[1].address": "10.0.63.255", "nodes[1].podSlice": 5},
        {"nodes[1].address": "10.0.64.0", "nodes[1].podSlice": 5},
        [("nodes[1].address", "10.0.64.0 lies inside the pod pool 10.0.64.0/20: a pod could be given this host's address")],
    ),
    Boundary(
        "containerd-at-the-support-matrix-minimum",
        {"containerd": {"version": "2.1.5-1"}},
        {"containerd": {"version": "2.1.4-1"}},
        [(
            "containerd.version",
            "containerd 2.1.4-1 is older than 2.1.5, the oldest containerd 2.x that containerd's support matrix "
            "recommends for Kubernetes 1.35",
        )],
    ),
]


@pytest.mark.parametrize("boundary", BOUNDARIES, ids=[b.id for b in BOUNDARIES])
def test_a_limit_accepts_the_value_just_inside_and_refuses_the_one_just_outside(boundary: Boundary) -> None:
    assert problems_of(boundary.inside, boundary.base) == []
    assert problems_of(boundary.outside, boundary.base) == boundary.refused


# ---------------------------------------------------------------------------- checks no other test fires


@pytest.mark.parametrize("name", ["default", "kube-system", "kube-public", "kube-node-lease"])
def test_every_namespace_kubernetes_reserves_is_refused_as_a_tenant(name: str) -> None:
    assert problems_of({"tenants[0].name": name}) == [
        ("tenants[0].name", f"{name} is a namespace Kubernetes reserves for itself")
    ]


def test_a_tenant_may_be_named_like_but_not_as_a_reserved_namespace() -> None:
    assert problems_of({"tenants[0].name": "kube-systems"}) == []
    assert problems_of({"tenants[0].name": "defaults"}) == []


def test_a_hand_set_platform_label_on_a_node_is_refused() -> None:
    """spark-on-metal.io/* labels are derived (the DNS DaemonSet selects spark-on-metal.io/dns);
    a hand-set one would put CoreDNS on a node that is not a DNS node."""
    assert problems_of({"nodes[1].labels": {"spark-on-metal.io/dns": "true", "team": "data"}}) == [
        (
            "nodes[1].labels",
            "label spark-on-metal.io/dns is the platform's: it derives spark-on-metal.io/* labels from roles and tenants",
        )
    ]
    assert problems_of({"nodes[1].labels": {"example.io/spark-on-metal.io": "x", "spark-on-metal": "x"}}) == []


def test_a_tenant_cannot_move_its_jobs_off_its_nodes_through_spark_settings() -> None:
    """The tenant's own node-selector key (derived from its label) is the platform's."""
    assert problems_of({"tenants[0].sparkConf": {"spark.kubernetes.node.selector.spark": "other"}}) == [
        (
            "tenants[0].sparkConf",
            "spark.kubernetes.node.selector.spark is set by the platform: it decides where tenant spark's jobs run",
        )
    ]
    assert problems_of({"spark": {"conf": {"spark.kubernetes.namespace": "kube-system"}}}) == [
        ("spark.conf", "spark.kubernetes.namespace is set by the platform: it decides where tenant spark's jobs run")
    ]


def test_every_unknown_top_level_key_is_reported_not_only_the_last() -> None:
    problems = problems_of({"podSubnett": "10.0.0.0/17", "clusterNmae": "x", "gatway": "10.0.127.254"})
    assert [key for key, _ in problems] == ["podSubnett", "clusterNmae", "gatway"]


def test_a_slice_out_of_range_does_not_hide_a_later_clash() -> None:
    changes = {"nodes[1].podSlice": 40, "nodes[3]": node("w3", "10.0.0.64", podSlice=3), "nodes[4]": node("w4", "10.0.0.65", podSlice=3)}
    assert [key for key, _ in problems_of(changes)] == ["nodes[1].podSlice", "nodes[4].podSlice"]


def test_a_duplicate_address_does_not_hide_a_later_slice_clash() -> None:
    """The duplicate is reported as an address (its derived slice clash is the same fact),
    and a real clash after it still is."""
    changes = {
        "nodes[2].address": "10.0.0.62",
        "nodes[3]": node("w3", "10.0.0.64", podSlice=3),
        "nodes[4]": node("w4", "10.0.0.65", podSlice=3),
    }
    assert [key for key, _ in problems_of(changes)] == ["nodes[2].address", "nodes[4].podSlice"]


def test_every_clash_is_reported() -> None:
    changes = {f"nodes[{3 + i}]": node(f"w{3 + i}", f"10.0.0.{64 + i}", podSlice=3 + i // 2) for i in range(4)}
    assert [key for key, _ in problems_of(changes)] == ["nodes[4].podSlice", "nodes[6].podSlice"]


# ---------------------------------------------------------------------------- the stack name


def test_the_platform_keeps_the_stack_name_and_names_its_cluster_by_it() -> None:
    """The Kubernetes provider's clusterIdentifier: two stacks must never share one, and a
    lost stack name would make it spark-on-metal/None/..., the same for every stack."""
    platform = load_platform(valid_config(), "prod", TODAY)
    assert platform.stack == "prod"
    assert cluster_identifier(platform) == "spark-on-metal/prod/spark-on-metal"
    renamed = load_platform(valid_config(clusterName="hadooptest"), "dev", TODAY)
    assert cluster_identifier(renamed) == "spark-on-metal/dev/hadooptest"


def test_the_platform_is_built_from_the_whole_configuration() -> None:
    """What loads is the configuration given, not a default of it."""
    platform = load_platform(valid_config(apiPort=7443, clusterName="rack7"), "prod", TODAY)
    assert (platform.config.api_port, platform.config.cluster_name) == (7443, "rack7")
    assert [n.name for n in platform.nodes] == ["cp", "w1", "w2"]


def test_problems_are_reported_in_one_error_naming_each() -> None:
    with pytest.raises(ConfigError) as caught:
        load_platform(with_settings(valid_config(), {"gateway": "10.1.0.1", "podSlicePrefix": 31}), "prod", TODAY)
    assert [(p.key, type(p)) for p in caught.value.problems] == [("gateway", ConfigProblem), ("podSlicePrefix", ConfigProblem)]


# ---------------------------------------------------------------------------- what the operator reads


# Every check's whole text, as the working tree has it (2026-12-03): the message says
# what is wrong and the fix what to type; both are what an operator acts on, so a changed
# word is a decision that changes this table too.
EXACT: dict[str, tuple[Mapping[str, Any], list[tuple[str, str, str]]]] = {
    'unknown-key': ({"podSubnett": "10.0.0.0/17"}, [('podSubnett', 'unknown setting', "remove it or correct its spelling (unknown settings are never ignored); did you mean 'podSubnet'?")]),
    'required-missing': ({"podPool": REMOVE}, [('podPool', 'required setting is missing', 'set it; it has no default')]),
    'nodes-not-a-list': ({"nodes": "cp"}, [('nodes', "expected a list, got the text 'cp'", 'write nodes as a YAML list')]),
    'no-nodes': ({"nodes": []}, [('nodes', 'the stack has no nodes', 'list at least one control-plane node')]),
    'eol': ({"kubernetesVersion": "1.31.4"}, [('kubernetesVersion', 'Kubernetes 1.31.4 is past its end of life and no longer supported', 'choose a supported release: 1.35 (end of life 2027-02-28), 1.36 (end of life 2027-06-28), 1.37 (end of life 2027-10-28)')]),
    'too-new': ({"kubernetesVersion": "1.38.0"}, [('kubernetesVersion', 'Kubernetes 1.38.0 is newer than the support table (its kubeadm images and containerd line are not known here)', 'choose a supported release: 1.35 (end of life 2027-02-28), 1.36 (end of life 2027-06-28), 1.37 (end of life 2027-10-28); supporting it means adding its row to components/versions.py')]),
    'eol-allowed-other': ({"allowEndOfLife": "1.34"}, [('allowEndOfLife', 'it names 1.34 but the stack runs Kubernetes 1.35', "remove it, or write '1.35' if that is meant")]),
    'eol-allowed-supported': ({"allowEndOfLife": "1.35"}, [('allowEndOfLife', 'Kubernetes 1.35 is supported until 2027-02-28: there is nothing to allow', 'remove allowEndOfLife')]),
    'mirror-twice': ({"registryMirrors": [{"registry": "docker.io", "mirror": "https://a.example.com"}, {"registry": "docker.io", "mirror": "https://b.example.com"}]}, [('registryMirrors[1].registry', 'registry docker.io already has a mirror (registryMirrors[0])', 'give each registry one entry')]),
    'pool-outside': ({"podPool": "10.1.64.0/20"}, [('podPool', 'the pod pool 10.1.64.0/20 is not inside the pod subnet 10.0.0.0/17', 'choose a podPool inside 10.0.0.0/17 (the reference: subnet 10.0.0.0/17, pool 10.0.64.0/20)')]),
    'gw-outside': ({"gateway": "10.1.0.1"}, [('gateway', 'the gateway 10.1.0.1 is outside the pod subnet 10.0.0.0/17', "give the router's address in 10.0.0.0/17")]),
    'gw-in-pool': ({"gateway": "10.0.64.1"}, [('gateway', "the gateway 10.0.64.1 lies inside the pod pool 10.0.64.0/20: a pod could be given the router's address", 'move the pool so it excludes the gateway, or correct the gateway')]),
    'svc-contains-gw': ({"serviceCidr": "10.0.127.0/24"}, [('serviceCidr', 'the service CIDR 10.0.127.0/24 contains the gateway 10.0.127.254', "choose a service CIDR that excludes the router's address")]),
    'svc-contains-node': ({"serviceCidr": "10.0.0.62/32"}, [('serviceCidr', "the service CIDR 10.0.0.62/32 contains nodes[1]'s address 10.0.0.62", 'choose a service CIDR that contains no node address')]),
    'dup-name': ({"nodes[2].name": "w1", "tenants[0].nodes": ["w1"]}, [('nodes[2].name', 'node name w1 is already used by nodes[1]', 'give every node its own name')]),
    'dup-addr': ({"nodes[2].address": "10.0.0.62"}, [('nodes[2].address', 'address 10.0.0.62 is already used by nodes[1]', 'give every node its own address')]),
    'node-outside-subnet': ({"nodes[1].address": "192.168.1.10"}, [('nodes[1].address', '192.168.1.10 is outside the pod subnet 10.0.0.0/17: pods could not reach the node on layer 2', "give the node its address in 10.0.0.0/17, or widen podSubnet to the hosts' network")]),
    'node-is-gw': ({"nodes[1].address": "10.0.127.254"}, [('nodes[1].address', "10.0.127.254 is the gateway's address", 'the gateway is the physical router; give the node its own address')]),
    'uplink-mac0': ({"nodes[1].uplink": "mac0"}, [('nodes[1].uplink', 'the uplink mac0 has the name reserved for the macvlan sub-interface', 'rename macvlanInterface or correct the uplink')]),
    'explicit-clash': ({"nodes[1].podSlice": 3, "nodes[2].podSlice": 3}, [('nodes[2].podSlice', "pod slice 3 (10.0.65.128/25) is already nodes[1]'s", 'set podSlice explicitly to a free slice (0, 1, 2, 4, 5)')]),
    'derived-clash': ({"nodes[2].address": "10.0.0.94"}, [('nodes[2].podSlice', "pod slice 30 (10.0.79.0/25) is already nodes[1]'s (derived from the address)", 'set podSlice explicitly to a free slice (0, 1, 2, 3, 4)')]),
    'no-cp': ({"nodes[0].roles": ["worker", "dns"]}, [('nodes', 'no node has the role control-plane', "add 'control-plane' to the roles of the node that runs kubeadm init")]),
    'dns-only': ({"nodes[3]": node("d1", "10.0.0.70", "dns")}, [('nodes[3].roles', 'DNS node d1 is not in the cluster (no control-plane or worker role), so CoreDNS cannot run there', "add 'worker' (or 'control-plane') to its roles, or remove 'dns'")]),
    'no-dns': ({"nodes[0].roles": ["control-plane"]}, [('nodes', 'no node has the role dns', "add 'dns' to the roles of one to three nodes that carry no tenant")]),
    'tenant-twice': ({"tenants[1]": {"name": "spark", "nodes": ["w3"], "nodeLabel": "other=other"}, "nodes[3]": node("w3", "10.0.0.64")}, [('tenants[1].name', 'tenant spark is defined twice (first at tenants[0])', 'merge the two entries or rename one')]),
    'same-label': ({"tenants[1]": {"name": "ml", "nodes": ["w3"], "nodeLabel": "spark=spark"}, "nodes[3]": node("w3", "10.0.0.64")}, [('tenants[1].nodeLabel', "tenant ml selects spark=spark, as tenants[0] does: each would run on the other's nodes", 'give every tenant its own node label')]),
    'unknown-node': ({"tenants[0].nodes[1]": "w9"}, [('tenants[0].nodes[1]', "tenant spark names 'w9', which is not a node of this stack", 'use one of: cp, w1, w2')]),
    'node-twice-tenant': ({"tenants[0].nodes[2]": "w1"}, [('tenants[0].nodes[2]', 'node w1 is listed twice in tenant spark', 'list each node once, in one tenant')]),
    'node-two-tenants': ({"tenants[1]": {"name": "ml", "nodes": ["w2"], "nodeLabel": "ml=ml"}}, [('tenants[1].nodes[0]', "node w2 is already tenant spark's: a node belongs to one tenant", 'list each node once, in one tenant')]),
    'cp-in-tenant': ({"tenants[0].nodes[2]": "cp"}, [('tenants[0].nodes[2]', 'node cp is a control-plane node; tenant workloads never share it', 'give the tenant worker nodes only')]),
    'dns-in-tenant': ({"nodes[1].roles": ["worker", "dns"]}, [('tenants[0].nodes[0]', 'node w1 serves cluster DNS; DNS nodes carry no tenant', 'give the tenant other nodes, or move the dns role')]),
    'label-carrier': ({"nodes[2].labels": {"spark": "spark"}, "tenants[0].nodes": ["w1"]}, [('nodes[2].labels', "node w2 carries spark=spark, tenant spark's selector, without belonging to it", 'remove the label or add the node to the tenant')]),
    'upload-key': ({"spark": {"conf": {"spark.kubernetes.file.upload.path": "s3a://b/x"}}}, [('spark.conf', 'spark.kubernetes.file.upload.path has its own, checked setting', 'remove it here and set spark.uploadPath (an s3a:// or hdfs:// URI) instead')]),
    'ssh-plain': ({"sshPrivateKey": SecretSetting(stored_as_secret=False)}, [('sshPrivateKey', 'the SSH private key is stored in plain text', 'remove it and store it encrypted: pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519')]),
    'ssh-missing': ({"sshPrivateKey": None}, [('sshPrivateKey', 'required setting is missing', 'store the key as a secret: pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519')]),
    'broken-slice-no-followup': ({"podSlicePrefix": 32, "nodes[1].podSlice": 7, "nodes[2].podSlice": 7}, [('podSlicePrefix', 'a /32 slice leaves no usable pod address (its first and last addresses are never handed out)', 'use a prefix of /30 or shorter; /25 gives 126 pods per node')]),
}

BOUNDARY_TEXTS: dict[str, list[tuple[str, str, str]]] = {
    'service-cidr-/12-largest-kube-apiserver-takes': [('serviceCidr', 'the service CIDR 172.0.0.0/11 is larger than kube-apiserver accepts (/12 at most)', 'use a prefix of /12 or longer, e.g. a /24')],
    'service-cidr-next-to-the-pool': [('serviceCidr', 'the service CIDR 10.0.79.240/28 overlaps the pod pool 10.0.64.0/20', "choose a service CIDR outside the pool (it may lie inside podSubnet, as the reference's 10.0.80.0/24 does)")],
    'three-dns-nodes-glibc-reads-three': [('nodes', '4 nodes have the role dns but resolv.conf takes at most 3 nameservers (glibc reads no more)', 'keep the dns role on at most three nodes')],
    'dns-min-servers-met-exactly': [('dns.minServers', 'the stack asks for at least 3 DNS servers but only 2 node(s) have the role dns', 'add the dns role to more nodes that carry no tenant, or lower dns.minServers')],
    'slice-/30-smallest-with-a-pod-address': [('podSlicePrefix', 'a /31 slice leaves no usable pod address (its first and last addresses are never handed out)', 'use a prefix of /30 or shorter; /25 gives 126 pods per node')],
    'slice-as-large-as-the-pool': [('podSlicePrefix', 'a /19 slice is larger than the pod pool 10.0.64.0/20', 'use a prefix of at least /20 (the reference: /25, 126 pods per node)')],
    'as-many-nodes-as-slices': [('nodes', '5 nodes need 5 slices but the pool 10.0.64.0/24 holds only 4 /26 slices', 'widen podPool or lengthen podSlicePrefix (smaller slices, fewer pods per node)')],
    'last-slice-of-the-pool': [('nodes[2].podSlice', 'slice 32 does not exist: the pool 10.0.64.0/20 has slices 0 to 31', 'choose a free slice from 0 to 31')],
    'gateway-first-host-not-network-address': [('gateway', 'the gateway 10.0.0.0 is the network or broadcast address of 10.0.0.0/17', "give the router's real host address")],
    'gateway-last-host-not-broadcast': [('gateway', 'the gateway 10.0.127.255 is the network or broadcast address of 10.0.0.0/17', "give the router's real host address")],
    'node-first-host-not-network-address': [('nodes[1].address', '10.0.0.0 is the network or broadcast address of 10.0.0.0/17', 'give the node a host address')],
    'node-just-below-the-pool': [('nodes[1].address', "10.0.64.0 lies inside the pod pool 10.0.64.0/20: a pod could be given this host's address", 'give the node an address outside 10.0.64.0/20')],
    'containerd-at-the-support-matrix-minimum': [('containerd.version', "containerd 2.1.4-1 is older than 2.1.5, the oldest containerd 2.x that containerd's support matrix recommends for Kubernetes 1.35", 'use 2.2.* (the default) or another version from 2.1.5 on')],
}


@pytest.mark.parametrize("name", list(EXACT))
def test_a_problem_reads_exactly_so(name: str) -> None:
    changes, expected = EXACT[name]
    assert full_problems_of(changes) == expected


@pytest.mark.parametrize("boundary", BOUNDARIES, ids=lambda b: b.id)
def test_a_refused_limit_reads_exactly_so(boundary: Boundary) -> None:
    assert full_problems_of(boundary.outside, boundary.base) == BOUNDARY_TEXTS[boundary.id]


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"tenants[0].name": "default"}, [("tenants[0].name", "default is a namespace Kubernetes reserves for itself", "name the tenant after its team or group")]),
        (
            {"nodes[1].labels": {"spark-on-metal.io/dns": "true"}},
            [("nodes[1].labels", "label spark-on-metal.io/dns is the platform's: it derives spark-on-metal.io/* labels from roles and tenants", "remove it; give the node the dns role or add it to a tenant instead")],
        ),
        (
            {"tenants[0].sparkConf": {"spark.kubernetes.node.selector.spark": "other"}},
            [("tenants[0].sparkConf", "spark.kubernetes.node.selector.spark is set by the platform: it decides where tenant spark's jobs run", "remove it (the platform's value always wins)")],
        ),
    ],
)
def test_reserved_and_platform_problems_read_exactly_so(changes: Mapping[str, Any], expected: list[tuple[str, str, str]]) -> None:
    assert full_problems_of(changes) == expected
