"""Validation of the stack configuration: every bad setting is named, explained and fixable.

Each case changes one thing in a valid configuration and expects exactly the problems it
causes: the config key the operator types with ``pulumi config set --path``, a part of
the message that says what is wrong, and a part of the fix that says what to do. The
expected keys are compared as a set, so a problem that drags spurious follow-up
complaints along fails its case.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any, Mapping, NamedTuple

import pytest

from components.config import SecretSetting
from components.problems import ConfigError, ConfigProblem
from components.stack import load_stack_file, raw_from_stack_file
from components.validation import load_platform
from tests.factories import (
    CIPHERTEXT,
    HOST_KEY,
    PLAIN_PRIVATE_KEY,
    REMOVE,
    TODAY,
    load,
    node,
    stack_document,
    valid_config,
    with_settings,
    write_project,
)

ED25519_BLOB = HOST_KEY.split()[1]


class Case(NamedTuple):
    id: str
    changes: Mapping[str, Any]
    key: str
    message: str
    fix: str
    also: tuple[str, ...] = ()  # other keys the same change rightly reports


def problems_of(config: Mapping[str, Any], today: date = TODAY) -> tuple[ConfigProblem, ...]:
    with pytest.raises(ConfigError) as caught:
        load_platform(config, "test", today)
    return caught.value.problems


def stack_problems(project: Path, stack: str) -> tuple[ConfigProblem, ...]:
    with pytest.raises(ConfigError) as caught:
        load_stack_file(stack, project)
    return caught.value.problems


def assert_reported(problems: tuple[ConfigProblem, ...], key: str, message: str, fix: str) -> None:
    at_key = [p for p in problems if p.key == key]
    assert at_key, f"nothing reported at {key}: {problems}"
    matching = [p for p in at_key if message in p.message]
    assert matching, f"no problem at {key} says {message!r}: {at_key}"
    assert all(p.fix.strip() for p in matching), f"a problem at {key} has no fix"
    assert any(fix in p.fix for p in matching), f"no fix at {key} says {fix!r}: {matching}"


def second_tenant(name: str, label: str, nodes: tuple[str, ...] = ("w3",)) -> dict[str, Any]:
    """Changes adding tenants[1] on ``nodes``; ``w3`` is added as a fresh worker."""
    changes: dict[str, Any] = {"tenants[1]": {"name": name, "nodes": list(nodes), "nodeLabel": label}}
    if "w3" in nodes:
        changes["nodes[3]"] = node("w3", "10.0.0.64")
    return changes


THREE_MORE_DNS = {f"nodes[{3 + i}]": node(f"d{i}", f"10.0.0.7{i}", "worker", "dns") for i in range(3)}

CASES = [
    # --- the network
    Case("pool-outside-subnet", {"podPool": "10.1.64.0/20"}, "podPool", "is not inside the pod subnet 10.0.0.0/17", "choose a podPool inside 10.0.0.0/17"),
    Case("gateway-outside-subnet", {"gateway": "10.1.0.1"}, "gateway", "is outside the pod subnet", "give the router's address in 10.0.0.0/17"),
    Case("gateway-is-network-address", {"gateway": "10.0.0.0"}, "gateway", "network or broadcast address", "real host address"),
    Case("gateway-inside-pool", {"gateway": "10.0.64.1"}, "gateway", "lies inside the pod pool", "move the pool"),
    Case("service-overlaps-pool", {"serviceCidr": "10.0.72.0/21"}, "serviceCidr", "overlaps the pod pool 10.0.64.0/20", "outside the pool"),
    Case("service-contains-node", {"serviceCidr": "10.0.0.62/32"}, "serviceCidr", "contains nodes[1]'s address 10.0.0.62", "contains no node address"),
    Case("service-contains-gateway", {"serviceCidr": "10.0.127.0/24"}, "serviceCidr", "contains the gateway 10.0.127.254", "excludes the router's address"),
    Case("service-cidr-too-large", {"serviceCidr": "172.0.0.0/11"}, "serviceCidr", "larger than kube-apiserver accepts", "/12 or longer"),
    Case(
        "more-nodes-than-slices",
        {"podPool": "10.0.64.0/24", "podSlicePrefix": 26, "nodes[3]": node("w3", "10.0.0.64"), "nodes[4]": node("w4", "10.0.0.65")},
        "nodes", "5 nodes need 5 slices but the pool 10.0.64.0/24 holds only 4 /26 slices", "widen podPool",
    ),
    Case("slice-prefix-31-no-usable-address", {"podSlicePrefix": 31}, "podSlicePrefix", "a /31 slice leaves no usable pod address", "/30 or shorter"),
    Case("slice-prefix-32-no-usable-address", {"podSlicePrefix": 32}, "podSlicePrefix", "a /32 slice leaves no usable pod address", "/30 or shorter"),
    Case("slice-larger-than-pool", {"podSlicePrefix": 19}, "podSlicePrefix", "a /19 slice is larger than the pod pool", "at least /20"),
    Case("uplink-named-like-macvlan", {"nodes[1].uplink": "mac0"}, "nodes[1].uplink", "name reserved for the macvlan sub-interface", "rename macvlanInterface"),
    Case("uplink-is-an-address-label", {"nodes[1].uplink": "eth0:1"}, "nodes[1].uplink", "is not a valid Linux interface name", "letters, digits"),
    # --- nodes
    Case("duplicate-node-name", {"nodes[2].name": "w1", "tenants[0].nodes": ["w1"]}, "nodes[2].name", "node name w1 is already used by nodes[1]", "its own name"),
    Case("duplicate-node-address", {"nodes[2].address": "10.0.0.62"}, "nodes[2].address", "address 10.0.0.62 is already used by nodes[1]", "its own address"),
    Case("node-address-in-pool", {"nodes[1].address": "10.0.64.9"}, "nodes[1].address", "lies inside the pod pool 10.0.64.0/20", "outside 10.0.64.0/20"),
    Case("node-address-outside-subnet", {"nodes[1].address": "192.168.1.10"}, "nodes[1].address", "is outside the pod subnet 10.0.0.0/17", "widen podSubnet"),
    Case("node-address-is-gateway", {"nodes[1].address": "10.0.127.254"}, "nodes[1].address", "is the gateway's address", "its own address"),
    Case("node-address-is-broadcast", {"nodes[1].address": "10.0.127.255", "nodes[1].podSlice": 5}, "nodes[1].address", "network or broadcast address", "a host address"),
    Case("roles-unknown", {"nodes[1].roles": ["master"]}, "nodes[1].roles[0]", "input should be 'control-plane', 'worker' or 'dns'", "write one of 'control-plane', 'worker' or 'dns'"),
    Case("roles-repeated", {"nodes[1].roles": ["worker", "worker"]}, "nodes[1].roles", "repeat a role", "list each role once"),
    Case("no-nodes", {"nodes": []}, "nodes", "the stack has no nodes", "at least one control-plane node"),
    Case("no-control-plane", {"nodes[0].roles": ["worker", "dns"]}, "nodes", "no node has the role control-plane", "add 'control-plane'"),
    # --- pod slices
    Case("pod-slice-out-of-range", {"nodes[1].podSlice": 32}, "nodes[1].podSlice", "slice 32 does not exist: the pool 10.0.64.0/20 has slices 0 to 31", "from 0 to 31"),
    Case("pod-slice-negative", {"nodes[1].podSlice": -1}, "nodes[1].podSlice", "greater than or equal to 0", "give 0 or more"),
    Case("two-nodes-on-one-explicit-slice", {"nodes[1].podSlice": 3, "nodes[2].podSlice": 3}, "nodes[2].podSlice", "pod slice 3 (10.0.65.128/25) is already nodes[1]'s", "set podSlice explicitly to a free slice (0, 1, 2, 4, 5)"),
    Case("two-nodes-on-one-derived-slice", {"nodes[2].address": "10.0.0.94"}, "nodes[2].podSlice", "pod slice 30 (10.0.79.0/25) is already nodes[1]'s (derived from the address)", "set podSlice explicitly"),
    Case("explicit-slice-taken-by-derived", {"nodes[2].podSlice": 30}, "nodes[2].podSlice", "pod slice 30 (10.0.79.0/25) is already nodes[1]'s", "free slice"),
    # --- DNS
    Case("dns-only-node", {"nodes[3]": node("d1", "10.0.0.70", "dns")}, "nodes[3].roles", "DNS node d1 is not in the cluster", "add 'worker'"),
    Case("more-than-three-dns-nodes", THREE_MORE_DNS, "nodes", "4 nodes have the role dns but resolv.conf takes at most 3", "at most three nodes"),
    Case("fewer-dns-nodes-than-min-servers", {"dns": {"minServers": 2}}, "dns.minServers", "at least 2 DNS servers but only 1 node(s)", "lower dns.minServers"),
    Case("no-dns-node", {"nodes[0].roles": ["control-plane"]}, "nodes", "no node has the role dns", "add 'dns'"),
    Case("too-many-upstreams", {"dns": {"upstreams": ["10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"]}}, "dns.upstreams", "at most 3 items", "give at most 3 item(s)"),
    # --- tenants
    Case("tenant-invalid-namespace-name", {"tenants[0].name": "Spark_Team"}, "tenants[0].name", "is not a valid namespace name", "lower-case letters"),
    Case("tenant-reserved-namespace", {"tenants[0].name": "kube-system"}, "tenants[0].name", "kube-system is a namespace Kubernetes reserves", "after its team"),
    Case("tenant-defined-twice", second_tenant("spark", "other=other"), "tenants[1].name", "tenant spark is defined twice (first at tenants[0])", "merge the two entries"),
    Case(
        "tenant-defined-twice-sharing-a-node", second_tenant("spark", "other=other", ("w2",)),
        "tenants[1].nodes[0]", "node w2 is already tenant spark's", "in one tenant", also=("tenants[1].name",),
    ),
    Case("tenant-names-unknown-node", {"tenants[0].nodes[1]": "w9"}, "tenants[0].nodes[1]", "names 'w9', which is not a node of this stack", "use one of: cp, w1, w2"),
    Case("node-in-two-tenants", second_tenant("ml", "ml=ml", ("w2",)), "tenants[1].nodes[0]", "node w2 is already tenant spark's", "in one tenant"),
    Case("node-listed-twice-in-tenant", {"tenants[0].nodes[2]": "w1"}, "tenants[0].nodes[2]", "node w1 is listed twice in tenant spark", "list each node once"),
    Case("dns-node-in-tenant", {"nodes[1].roles": ["worker", "dns"]}, "tenants[0].nodes[0]", "node w1 serves cluster DNS", "move the dns role"),
    Case("control-plane-node-in-tenant", {"tenants[0].nodes[2]": "cp"}, "tenants[0].nodes[2]", "node cp is a control-plane node", "worker nodes only"),
    Case("tenant-without-nodes", {"tenants[0].nodes": []}, "tenants[0].nodes", "at least 1 item", "give at least 1 item(s)"),
    # --- labels
    Case("node-label-key-invalid", {"nodes[1].labels": {"-team": "data"}}, "nodes[1].labels", "'-team' is not a valid label key", "[dns-prefix/]name"),
    Case("node-label-value-invalid", {"nodes[1].labels": {"team": "data science"}}, "nodes[1].labels", "'data science' (for 'team') is not a valid label value", "at most 63 characters"),
    Case("tenant-node-label-not-a-pair", {"tenants[0].nodeLabel": "spark"}, "tenants[0].nodeLabel", "'spark' is not 'key=value'", "key=value"),
    Case("tenant-node-label-key-invalid", {"tenants[0].nodeLabel": "spark team=spark"}, "tenants[0].nodeLabel", "'spark team' is not a valid label key", "[dns-prefix/]name"),
    Case("tenant-node-label-value-invalid", {"tenants[0].nodeLabel": "spark=-x"}, "tenants[0].nodeLabel", "'-x' (for 'spark') is not a valid label value", "at most 63 characters"),
    Case("two-tenants-same-node-label", second_tenant("ml", "spark=spark"), "tenants[1].nodeLabel", "tenant ml selects spark=spark, as tenants[0] does", "its own node label"),
    Case(
        "node-carries-another-tenants-label",
        {"nodes[2].labels": {"spark": "spark"}, "tenants[0].nodes": ["w1"]},
        "nodes[2].labels", "node w2 carries spark=spark, tenant spark's selector, without belonging to it", "remove the label",
    ),
    # --- Kubernetes release and images
    Case("kubernetes-version-malformed", {"kubernetesVersion": "1.35"}, "kubernetesVersion", "'1.35' is not a Kubernetes release", "MAJOR.MINOR.PATCH"),
    Case(
        "kubernetes-version-end-of-life", {"kubernetesVersion": "1.31.4"}, "kubernetesVersion",
        "Kubernetes 1.31.4 is past its end of life and no longer supported",
        "choose a supported release: 1.35 (end of life 2027-02-28), 1.36 (end of life 2027-06-28), 1.37 (end of life 2027-10-28)",
    ),
    Case(
        "kubernetes-version-too-new", {"kubernetesVersion": "1.38.0"}, "kubernetesVersion",
        "Kubernetes 1.38.0 is newer than the support table", "adding its row to components/versions.py",
    ),
    Case("end-of-life-allowed-for-another-minor", {"allowEndOfLife": "1.34"}, "allowEndOfLife", "it names 1.34 but the stack runs Kubernetes 1.35", "write '1.35'"),
    Case("end-of-life-allowed-while-supported", {"allowEndOfLife": "1.35"}, "allowEndOfLife", "supported until 2027-02-28: there is nothing to allow", "remove allowEndOfLife"),
    Case("end-of-life-allowed-as-a-float", {"allowEndOfLife": 1.35}, "allowEndOfLife", "input should be a valid string", "quoted if YAML would read it as a number"),
    Case("end-of-life-allowed-not-a-minor", {"allowEndOfLife": "1.35.4"}, "allowEndOfLife", "'1.35.4' is not a Kubernetes minor release", "'1.35'"),
    Case("cgroup-v1-unknown-choice", {"cgroupV1": "yes"}, "cgroupV1", "input should be 'refuse' or 'allow'", "write one of 'refuse' or 'allow'"),
    # --- packages: repositories, containerd, registry mirrors
    Case("package-repository-url-without-scheme", {"packageRepository": {"url": "mirror.example.com/k8s/", "signingKeyUrl": "https://mirror.example.com/k8s/Release.key"}}, "packageRepository.url", "is not an apt repository URL", "http(s)://host"),
    Case("package-repository-without-key", {"packageRepository": {"url": "https://mirror.example.com/k8s/"}}, "packageRepository", "the repository has no signing key", "signingKey"),
    Case("package-repository-with-two-keys", {"packageRepository": {"url": "https://mirror.example.com/k8s/", "signingKey": "-----BEGIN PGP PUBLIC KEY BLOCK-----\nmQ\n-----END PGP PUBLIC KEY BLOCK-----\n", "signingKeyUrl": "https://mirror.example.com/k8s/Release.key"}}, "packageRepository", "give exactly one of signingKey and signingKeyUrl", "not both"),
    Case("package-repository-key-not-armoured", {"packageRepository": {"url": "https://mirror.example.com/k8s/", "signingKey": "mQINBGMHoXcBEAD"}}, "packageRepository.signingKey", "not an ASCII-armoured public key", "gpg --armor --export"),
    Case("package-repository-flat-with-components", {"packageRepository": {"url": "https://mirror.example.com/k8s/", "components": ["main"], "signingKeyUrl": "https://mirror.example.com/k8s/Release.key"}}, "packageRepository", "is a path (a flat repository), which takes no components", "remove components"),
    Case("containerd-repository-suite-without-components", {"containerd": {"repository": {"url": "https://mirror.example.com/docker", "suite": "bookworm", "signingKeyUrl": "https://mirror.example.com/docker/gpg"}}}, "containerd.repository", "suite 'bookworm' needs at least one component", "[stable]"),
    Case("containerd-version-malformed", {"containerd": {"version": "latest"}}, "containerd.version", "'latest' is not a Debian package version", "2.2.*"),
    Case("containerd-version-too-old", {"containerd": {"version": "2.1.4-1"}}, "containerd.version", "containerd 2.1.4-1 is older than 2.1.5, the oldest containerd 2.x that containerd's support matrix recommends for Kubernetes 1.35", "use 2.2.*"),
    Case("containerd-1.7-for-1.36", {"kubernetesVersion": "1.36.3", "containerd": {"version": "1.7.*"}}, "containerd.version", "containerd 1.7.* is older than 2.2.0", "use 2.3.*"),
    Case("containerd-package-malformed", {"containerd": {"package": "Containerd IO"}}, "containerd.package", "is not a Debian package name", "containerd.io"),
    Case("registry-mirror-url-without-scheme", {"registryMirrors": [{"registry": "docker.io", "mirror": "mirror.example.com:5000"}]}, "registryMirrors[0].mirror", "is not a registry URL", "https://host[:port]"),
    Case("registry-mirror-registry-with-scheme", {"registryMirrors": [{"registry": "https://docker.io", "mirror": "https://mirror.example.com"}]}, "registryMirrors[0].registry", "is not a registry host", "host[:port]"),
    Case("registry-mirror-relative-ca", {"registryMirrors": [{"registry": "docker.io", "mirror": "https://mirror.example.com", "caFile": "ca.pem"}]}, "registryMirrors[0].caFile", "'ca.pem' is not an absolute path", "/etc/ssl/certs/mirror-ca.pem"),
    Case("registry-mirror-twice", {"registryMirrors": [{"registry": "docker.io", "mirror": "https://a.example.com"}, {"registry": "docker.io", "mirror": "https://b.example.com"}]}, "registryMirrors[1].registry", "registry docker.io already has a mirror (registryMirrors[0])", "one entry"),
    Case("api-server-cert-san-with-scheme", {"apiServerCertSANs": ["https://k8s.example.com"]}, "apiServerCertSANs[0]", "is not a host name or IPv4 address", "without scheme or port"),
    Case("image-repository-with-scheme", {"imageRepository": "https://registry.k8s.io"}, "imageRepository", "is not a valid image repository", "without a tag"),
    Case("image-repository-with-tag", {"imageRepository": "mirror.example.com/k8s:v1"}, "imageRepository", "is not a valid image repository", "mirror.example.com:5000/k8s"),
    Case("image-repository-trailing-newline", {"imageRepository": "registry.k8s.io\n"}, "imageRepository", "is not a valid image repository", "registry.k8s.io"),
    Case("spark-image-malformed", {"spark": {"image": "Apache/Spark:3.5.3"}}, "spark.image", "is not a valid image reference", "[registry[:port]/]path:tag"),
    Case("spark-image-without-tag", {"spark": {"image": "apache/spark"}}, "spark.image", "image 'apache/spark' has no tag or digest", "pin it"),
    Case("spark-image-tag-not-ascii", {"spark": {"image": "apache/spark:3.5.3é"}}, "spark.image", "is not a valid image reference", "path:tag"),
    Case("dns-image-malformed", {"dns": {"image": "coredns//coredns:v1.11.3"}}, "dns.image", "is not a valid image reference", "path:tag"),
    Case("dns-image-without-tag", {"dns": {"image": "registry.k8s.io/coredns/coredns"}}, "dns.image", "has no tag or digest", "pin it"),
    # --- pinned host keys
    Case("host-key-bad-base64", {"nodes[1].sshHostKey": "ssh-ed25519 AAAA!!!!"}, "nodes[1].sshHostKey", "not valid base64 of an SSH public key", "ssh-keyscan"),
    Case("host-key-unsupported-type", {"nodes[1].sshHostKey": f"ssh-dss {ED25519_BLOB}"}, "nodes[1].sshHostKey", "key type 'ssh-dss' is not one of", "ssh-keyscan"),
    Case("host-key-type-mismatch", {"nodes[1].sshHostKey": f"ssh-rsa {ED25519_BLOB}"}, "nodes[1].sshHostKey", "is a 'ssh-ed25519' key but the line says 'ssh-rsa'", "ssh-keyscan"),
    Case("host-key-with-host-name", {"nodes[1].sshHostKey": f"10.0.0.62 {HOST_KEY}"}, "nodes[1].sshHostKey", "key type '10.0.0.62' is not one of", "ssh-keyscan"),
    Case("host-key-truncated", {"nodes[1].sshHostKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5"}, "nodes[1].sshHostKey", "not a well-formed ssh-ed25519 key", "ssh-keyscan"),
    # --- Spark settings: Spark ignores a key it does not know, so the stack may not
    Case("spark-conf-misspelt-key", {"spark": {"conf": {"spark.executor.memroy": "4g"}}}, "spark.conf", "spark.executor.memroy is not a setting Spark 4 knows", "did you mean 'spark.executor.memory'?"),
    Case("tenant-spark-conf-misspelt-key", {"tenants[0].sparkConf": {"spark.sql.shuffle.partition": "64"}}, "tenants[0].sparkConf", "spark.sql.shuffle.partition is not a setting", "did you mean 'spark.sql.shuffle.partitions'?"),
    Case("spark-conf-misspelt-namespace", {"spark": {"conf": {"spark.kubernets.allocation.batch.size": "5"}}}, "spark.conf", "spark.kubernets.allocation.batch.size is not a setting", "did you mean 'spark.kubernetes.allocation.batch.size'?"),
    Case("spark-conf-key-outside-spark", {"spark": {"conf": {"executor.memory": "4g"}}}, "spark.conf", "is not a Spark setting: spark-submit ignores keys outside spark.*", "remove it"),
    Case("spark-conf-sets-the-upload-path", {"spark": {"conf": {"spark.kubernetes.file.upload.path": "s3a://b/x"}}}, "spark.conf", "spark.kubernetes.file.upload.path has its own, checked setting", "set spark.uploadPath"),
    Case("spark-conf-sets-the-deploy-mode", {"tenants[0].sparkConf": {"spark.submit.deployMode": "client"}}, "tenants[0].sparkConf", "spark.submit.deployMode is set by the platform", "remove it"),
    Case("spark-conf-sets-the-executor-account", {"spark": {"conf": {"spark.kubernetes.authenticate.executor.serviceAccountName": "spark"}}}, "spark.conf", "is set by the platform", "remove it"),
    Case("upload-path-not-a-filesystem-uri", {"spark": {"uploadPath": "/tmp/uploads"}}, "spark.uploadPath", "'/tmp/uploads' is not an upload path Spark can use", "s3a:// or hdfs://"),
    Case("upload-path-with-credentials", {"spark": {"uploadPath": "s3a://AKIA:hunter2@bucket/jobs"}}, "spark.uploadPath", "'s3a://***@bucket/jobs' is not an upload path", "without credentials"),
    # --- unknown keys: never ignored, with the likely intended key
    Case("unknown-top-level-key", {"podSubnett": "10.0.0.0/17"}, "podSubnett", "unknown setting", "did you mean 'podSubnet'?"),
    Case("unknown-node-key", {"nodes[1].adress": "10.0.0.62"}, "nodes[1].adress", "unknown setting", "did you mean 'address'?"),
    Case("unknown-tenant-key", {"tenants[0].nodeLabels": "spark=spark"}, "tenants[0].nodeLabels", "unknown setting", "did you mean 'nodeLabel'?"),
    Case("unknown-dns-key", {"dns": {"minServer": 1}}, "dns.minServer", "unknown setting", "did you mean 'minServers'?"),
    Case("unknown-spark-key", {"spark": {"images": "apache/spark:3.5.3"}}, "spark.images", "unknown setting", "did you mean 'image'?"),
    Case("unknown-quota-key", {"tenants[0].quota": {"cpus": "8"}}, "tenants[0].quota.cpus", "unknown setting", "did you mean 'cpu'?"),
    # --- types and required settings
    Case("api-port-not-an-integer", {"apiPort": "abc"}, "apiPort", "input should be a valid integer", "write a whole number without quotes, e.g. 6443"),
    Case("api-port-out-of-range", {"apiPort": 70000}, "apiPort", "less than or equal to 65535", "give 65535 or less"),
    Case("api-endpoint-with-scheme", {"apiEndpoint": "https://k8s:6443"}, "apiEndpoint", "is not a host name or IPv4 address", "without scheme or port"),
    Case("pod-subnet-not-a-network", {"podSubnet": "10.0.0.1/17"}, "podSubnet", "not a valid IPv4 network", "address/prefix with the host bits zero, e.g. 10.0.0.0/24"),
    Case("required-setting-missing", {"podPool": REMOVE}, "podPool", "required setting is missing", "it has no default"),
    Case("quota-not-a-quantity", {"tenants[0].quota": {"cpu": "lots"}}, "tenants[0].quota.cpu", "'lots' is not a Kubernetes quantity", "'500m'"),
]


def test_the_base_config_is_valid() -> None:
    """The cases below are meaningful only if the configuration they vary passes."""
    platform = load(valid_config())
    assert [n.name for n in platform.nodes] == ["cp", "w1", "w2"]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_setting_is_reported_at_its_key_with_a_fix(case: Case) -> None:
    """One bad setting: reported at its key, with what is wrong and what to do, and nothing else."""
    problems = problems_of(with_settings(valid_config(), case.changes))
    assert_reported(problems, case.key, case.message, case.fix)
    assert {p.key for p in problems} == {case.key, *case.also}, problems


# ---------------------------------------------------------------------------- end of life

AFTER_1_35 = date(2027, 3, 1)


def test_a_release_is_supported_through_its_end_of_life_day() -> None:
    """1.35's end of life is 2027-02-28 (kubernetes.io): that day it still loads."""
    assert load(valid_config(), today=date(2027, 2, 28)).version.minor == 35


def test_a_release_past_its_end_of_life_is_refused_naming_the_supported_ones() -> None:
    """The day after, the stack is refused with one problem that names what is still
    supported (1.35 no longer among them) and the explicit way to keep running it."""
    [problem] = problems_of(valid_config(), today=AFTER_1_35)
    assert problem.key == "kubernetesVersion"
    assert problem.message == "Kubernetes 1.35 reached its end of life on 2027-02-28 (no security fixes since)"
    assert problem.fix == (
        "upgrade to a supported release: 1.36 (end of life 2027-06-28), 1.37 (end of life 2027-10-28); "
        "or, knowingly and for a while, set allowEndOfLife: '1.35'"
    )


def test_an_end_of_life_release_runs_only_with_the_explicit_opt_in_and_a_warning() -> None:
    """allowEndOfLife naming the release lets it load, and the platform carries the
    warning every `pulumi up` and `render` prints."""
    platform = load(with_settings(valid_config(), {"allowEndOfLife": "1.35"}), today=AFTER_1_35)
    assert platform.end_of_life_warning == (
        "Kubernetes 1.35 reached its end of life on 2027-02-28 and gets no security fixes; the stack runs it "
        "because allowEndOfLife is '1.35'. Upgrade kubernetesVersion."
    )
    assert load(valid_config()).end_of_life_warning is None


def test_render_refuses_the_dev_stack_once_its_release_is_past_end_of_life(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`render` judges releases on the clock: on 2027-03-01 the dev stack (1.35) is refused
    with the end-of-life problem (exit 2, nothing written)."""
    from components import __main__ as cli, validation

    monkeypatch.setattr(validation, "today", lambda: AFTER_1_35)
    assert cli.main(["render", "--stack", "dev", "--out", str(tmp_path / "out")]) == 2
    assert "spark-on-metal:kubernetesVersion: Kubernetes 1.35 reached its end of life on 2027-02-28" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------- stack files


STACK_FILE_CASES = [
    Case("ssh-key-in-plain-text", {"sshPrivateKey": SecretSetting(stored_as_secret=False)}, "sshPrivateKey", "stored in plain text", "pulumi config set --secret"),
    Case("ssh-key-missing", {"sshPrivateKey": REMOVE}, "sshPrivateKey", "required setting is missing", "pulumi config set --secret"),
    Case("plain-setting-stored-encrypted", {"gateway": {"secure": CIPHERTEXT}}, "gateway", "is stored encrypted, but it is not a secret", "plain text"),
]


@pytest.mark.parametrize("case", STACK_FILE_CASES, ids=[case.id for case in STACK_FILE_CASES])
def test_stack_file_setting_is_reported(case: Case, tmp_path: Path) -> None:
    """What only a Pulumi.<stack>.yaml can get wrong (how a value is stored) is reported like any setting."""
    write_project(tmp_path, "bad", stack_document(with_settings(valid_config(), case.changes)))
    problems = stack_problems(tmp_path, "bad")
    assert_reported(problems, case.key, case.message, case.fix)
    assert {p.key for p in problems} == {case.key}


@pytest.mark.parametrize(
    "text, message",
    [
        pytest.param("config: [\n", "is not valid YAML", id="invalid-yaml"),
        pytest.param("- spark-on-metal:gateway: 10.0.127.254\n", "has no 'config:' mapping", id="not-a-mapping"),
        pytest.param("config:\n  spark-on-metl:gateway: 10.0.127.254\n", "unknown namespace 'spark-on-metl'", id="key-in-a-misspelt-namespace"),
    ],
)
def test_malformed_stack_file_is_a_config_problem(text: str, message: str, tmp_path: Path) -> None:
    """A stack file that is not a mapping of prefixed keys is reported, never a crash."""
    write_project(tmp_path, "bad", text)
    problems = stack_problems(tmp_path, "bad")
    assert any(message in p.message and p.fix for p in problems), problems


def test_a_secret_ssh_key_loads_from_a_stack_file(tmp_path: Path) -> None:
    """The encrypted key is only known to exist; the ciphertext is not kept in the model."""
    write_project(tmp_path, "good", stack_document(valid_config()))
    raw = raw_from_stack_file("good", tmp_path)
    assert raw["sshPrivateKey"] == SecretSetting(stored_as_secret=True)
    assert CIPHERTEXT not in repr(load(raw).config)
    assert PLAIN_PRIVATE_KEY not in repr(raw)


# ---------------------------------------------------------------------------- all at once


def test_every_problem_is_reported_in_one_error() -> None:
    """An operator fixing a rack's config sees all of it in one run, not one typo per run."""
    config = with_settings(
        valid_config(),
        {
            "gateway": "10.1.0.1",
            "kubernetesVersion": "1.35",
            "apiPort": "abc",
            "clusterNmae": "x",
            "nodes[1].adress": "10.0.0.62",
            "nodes[2].sshHostKey": "ssh-ed25519 AAAA!!!!",
            "tenants[0].name": "kube-system",
            "dns": {"minServers": 9},
            "spark": {"image": "apache/spark"},
            "sshPrivateKey": SecretSetting(stored_as_secret=False),
        },
    )
    assert {p.key for p in problems_of(config)} == {
        "gateway",
        "kubernetesVersion",
        "apiPort",
        "clusterNmae",
        "nodes[1].adress",
        "nodes[2].sshHostKey",
        "tenants[0].name",
        "dns.minServers",
        "spark.image",
        "sshPrivateKey",
    }


def test_a_broken_control_plane_node_causes_no_follow_up_complaints() -> None:
    """Nothing partially parsed leaks: a broken control-plane node is reported as itself,
    not also as "no control-plane node", a missing tenant node or a slice clash."""
    config = with_settings(valid_config(), {"nodes[0].address": "10.0.0.300", "tenants[0].nodes[0]": "cp"})
    problems = problems_of(config)
    assert [p.key for p in problems] == ["nodes[0].address"], problems


def test_a_broken_tenant_node_is_reported_once() -> None:
    """A tenant node with a bad role is reported at that role only: not as "not a node of
    this stack", and not as a roles list "too short" for the item that failed."""
    problems = problems_of(with_settings(valid_config(), {"nodes[1].roles": ["master"]}))
    assert [p.key for p in problems] == ["nodes[1].roles[0]"]


# ---------------------------------------------------------------------------- the report


def test_problem_renders_key_message_and_fix() -> None:
    """The format every surface (Pulumi, render) prints: project:key, message, indented fix."""
    problem = ConfigProblem("nodes[1].address", "10.0.64.9 lies inside the pod pool", "move it")
    assert problem.render() == "spark-on-metal:nodes[1].address: 10.0.64.9 lies inside the pod pool\n    fix: move it"


def test_report_counts_and_lists_problems_in_config_order() -> None:
    """The report says how many problems there are and keeps the order they were found in."""
    error = ConfigError(
        [ConfigProblem("b", "second", "f2"), ConfigProblem("a", "first", "f1"), ConfigProblem("b", "second", "f2")]
    )
    assert error.problems == (ConfigProblem("b", "second", "f2"), ConfigProblem("a", "first", "f1"))
    assert str(error).splitlines() == [
        "the stack configuration has 2 problems:",
        "spark-on-metal:b: second",
        "    fix: f2",
        "spark-on-metal:a: first",
        "    fix: f1",
    ]


def test_render_command_reports_config_errors_without_a_traceback(tmp_path: Path) -> None:
    """`python -m components render` on a bad stack: exit 2, the report on stderr, no
    traceback, and nothing written."""
    bad = with_settings(valid_config(), {"gateway": "10.1.0.1", "nodes[1].uplink": "mac0"})
    project = write_project(tmp_path / "project", "bad", stack_document(bad), with_package=True)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "components", "render", "--stack", "bad", "--out", str(out)],
        cwd=project, capture_output=True, text=True, env=env, timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "the stack configuration has 2 problems:" in result.stderr
    assert "spark-on-metal:gateway: the gateway 10.1.0.1 is outside the pod subnet" in result.stderr
    assert "spark-on-metal:nodes[1].uplink:" in result.stderr
    assert "\n    fix: " in result.stderr
    assert not out.exists()
