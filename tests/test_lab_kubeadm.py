"""The kubeadm stand-in inside lab nodes: init, join, tokens, certificate keys, reset."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

import pytest
import yaml

from lab import Lab, LabNodeSpec
from lab.testing import KUBEADM_V1BETA3
from lab.testing import KUBEADM_V1BETA4 as INIT_CONFIG
from lab.testing import LabFactory, install_kubernetes, requires_root

pytestmark = requires_root
pytest_plugins = ["lab.fixtures"]

SPKI_HASH = ("openssl x509 -pubkey -noout -in /etc/kubernetes/pki/ca.crt | "
             "openssl pkey -pubin -outform der | sha256sum | cut -d' ' -f1")


@dataclass
class Cluster:
    lab: Lab
    output: str
    token: str
    ca_hash: str


def kubeadm(lab: Lab, node: str, *args: str) -> subprocess.CompletedProcess[str]:
    return lab.node_exec(node, ["kubeadm", *args], check=False)


def join_config(token: str, ca_hash: str, *, endpoint: str = "10.99.0.11:6443",
                certificate_key: str | None = None) -> str:
    doc = {"apiVersion": "kubeadm.k8s.io/v1beta4", "kind": "JoinConfiguration",
           "discovery": {"bootstrapToken": {"apiServerEndpoint": endpoint, "token": token, "caCertHashes": [ca_hash]}}}
    if certificate_key:
        doc["controlPlane"] = {"certificateKey": certificate_key}
    return yaml.safe_dump(doc)


def join(cluster: Cluster, node: str, **overrides: str) -> subprocess.CompletedProcess[str]:
    fields = {"token": cluster.token, "ca_hash": cluster.ca_hash, **overrides}
    cluster.lab.write_file(node, "/root/join.yaml", join_config(**fields))
    return kubeadm(cluster.lab, node, "join", "--config", "/root/join.yaml")


@pytest.fixture(scope="module")
def cluster(lab: Lab) -> Cluster:
    """cp1 initialized with a v1beta4 config; every node has kubeadm 1.31.4 installed."""
    for spec in lab.nodes:
        install_kubernetes(lab, spec.name, "1.31.4-1.1")
    lab.write_file("cp1", "/root/kubeadm.yaml", INIT_CONFIG)
    result = kubeadm(lab, "cp1", "init", "--config", "/root/kubeadm.yaml", "--upload-certs")
    assert result.returncode == 0, result.stderr
    return Cluster(lab, result.stdout, first_group(r"--token (\S+)", result.stdout),
                   first_group(r"--discovery-token-ca-cert-hash (\S+)", result.stdout))


def first_group(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not in {text!r}"
    return match.group(1)


def test_versions_are_what_apt_get_installed(cluster: Cluster) -> None:
    assert kubeadm(cluster.lab, "w1", "version", "-o", "short").stdout == "v1.31.4\n"
    assert cluster.lab.node_exec("w1", ["kubelet", "--version"]).stdout == "Kubernetes v1.31.4\n"


def test_init_makes_a_real_ca_and_prints_the_join_command(cluster: Cluster) -> None:
    lab = cluster.lab
    assert re.search(r"^kubeadm join 10\.99\.0\.11:6443 --token [a-z0-9]{6}\.[a-z0-9]{16} \\\n"
                     r"\t--discovery-token-ca-cert-hash sha256:[0-9a-f]{64}$", cluster.output, re.M)
    assert "--control-plane --certificate-key" in cluster.output
    assert "sha256:" + lab.node_exec("cp1", ["sh", "-c", SPKI_HASH]).stdout.strip() == cluster.ca_hash
    admin = yaml.safe_load(lab.read_file("cp1", "/etc/kubernetes/admin.conf"))
    assert admin["clusters"][0]["cluster"]["server"] == "https://10.99.0.11:6443"
    assert lab.node_exec("cp1", ["sh", "-c", "base64 -d > /tmp/admin.crt && "
                                 "openssl verify -CAfile /etc/kubernetes/pki/ca.crt /tmp/admin.crt"],
                         stdin=admin["users"][0]["user"]["client-certificate-data"]).stdout.endswith("OK\n")
    apiserver = yaml.safe_load(lab.read_file("cp1", "/etc/kubernetes/manifests/kube-apiserver.yaml"))
    container = apiserver["spec"]["containers"][0]
    assert "--enable-admission-plugins=NodeRestriction,PodNodeSelector" in container["command"]
    assert container["image"] == "registry.example.com/k8s/kube-apiserver:v1.31.4"
    assert "cgroupDriver: systemd" in lab.read_file("cp1", "/var/lib/kubelet/config.yaml")
    assert cluster.token in lab.read_file("cp1", "/etc/kubernetes/som-lab-tokens")
    init_call = [c for c in lab.calls("cp1") if c["argv"][:2] == ["kubeadm", "init"]][-1]
    assert init_call["config"] == INIT_CONFIG


def test_config_images_pull_uses_the_mirror(cluster: Cluster) -> None:
    pulled = kubeadm(cluster.lab, "cp1", "config", "images", "pull", "--config", "/root/kubeadm.yaml").stdout
    assert "[config/images] Pulled registry.example.com/k8s/kube-apiserver:v1.31.4" in pulled


def test_token_create_needs_an_initialized_node_and_prints_a_token(cluster: Cluster) -> None:
    created = kubeadm(cluster.lab, "cp1", "token", "create", "--ttl", "2h", "--description", "w3")
    assert re.fullmatch(r"[a-z0-9]{6}\.[a-z0-9]{16}\n", created.stdout)
    assert created.stdout.strip() in cluster.lab.read_file("cp1", "/etc/kubernetes/som-lab-tokens")
    refused = kubeadm(cluster.lab, "w2", "token", "create")
    assert refused.returncode == 1 and "admin.conf" in refused.stderr


def test_certificate_keys_are_64_hex(cluster: Cluster) -> None:
    assert re.fullmatch(r"[0-9a-f]{64}\n", kubeadm(cluster.lab, "w2", "certs", "certificate-key").stdout)
    uploaded = kubeadm(cluster.lab, "cp1", "init", "phase", "upload-certs", "--upload-certs").stdout
    assert re.search(r"Using certificate key:\n[0-9a-f]{64}\n", uploaded)


def test_worker_join_then_a_second_join_is_refused(cluster: Cluster) -> None:
    first = join(cluster, "w1")
    assert first.returncode == 0, first.stderr
    assert "server: https://10.99.0.11:6443" in cluster.lab.read_file("w1", "/etc/kubernetes/kubelet.conf")
    assert "cgroupDriver: systemd" in cluster.lab.read_file("w1", "/var/lib/kubelet/config.yaml")
    second = join(cluster, "w1")
    assert second.returncode == 1 and "/etc/kubernetes/kubelet.conf already exists" in second.stderr
    nodes = cluster.lab.node_exec("cp1", ["kubectl", "--kubeconfig", "/etc/kubernetes/admin.conf", "get", "nodes"])
    assert "w1" in nodes.stdout


@pytest.mark.parametrize("overrides, message", [
    ({"token": "abcdef.0123456789ABCDEF"}, "bootstrap token is invalid"),
    ({"ca_hash": "sha256:abc"}, "must be sha256:<64 hex>"),
    ({"ca_hash": "sha256:" + "0" * 64}, "none of the public keys"),
    ({"token": "zzzzzz.zzzzzzzzzzzzzzzz"}, "could not find a JWS signature"),
    ({"endpoint": "10.99.0.12:6443"}, "connection refused"),
])
def test_joins_the_control_plane_would_refuse_are_refused(
    cluster: Cluster, overrides: dict[str, str], message: str
) -> None:
    refused = join(cluster, "w2", **overrides)
    assert refused.returncode == 1 and re.search(message, refused.stderr), refused.stderr


def test_unsafe_skip_ca_verification_is_refused(cluster: Cluster) -> None:
    refused = kubeadm(cluster.lab, "w2", "join", "10.99.0.11:6443", "--token", cluster.token,
                      "--discovery-token-unsafe-skip-ca-verification")
    assert refused.returncode == 1 and "unsafeSkipCAVerification" in refused.stderr


def test_control_plane_join_needs_the_uploaded_certificate_key(cluster: Cluster) -> None:
    uploaded = kubeadm(cluster.lab, "cp1", "init", "phase", "upload-certs", "--upload-certs").stdout
    key = uploaded.strip().splitlines()[-1]
    wrong = join(cluster, "w2", certificate_key="f" * 64)
    assert wrong.returncode == 1 and "certificate key" in wrong.stderr
    right = join(cluster, "w2", certificate_key=key)
    assert right.returncode == 0, right.stderr
    assert cluster.lab.node_path("w2", "/etc/kubernetes/admin.conf").exists()
    assert cluster.lab.node_path("w2", "/etc/kubernetes/manifests/kube-apiserver.yaml").exists()
    assert kubeadm(cluster.lab, "w2", "reset", "-f").returncode == 0


def test_reset_removes_what_init_and_join_wrote(cluster: Cluster) -> None:
    lab = cluster.lab
    join(cluster, "w1")
    assert kubeadm(lab, "w1", "reset").returncode == 1, "reset without -f must not proceed"
    assert kubeadm(lab, "w1", "reset", "-f").returncode == 0
    for path in ("/etc/kubernetes/kubelet.conf", "/etc/kubernetes/pki", "/var/lib/kubelet/config.yaml"):
        assert not lab.node_path("w1", path).exists(), path
    kubectl = ["kubectl", "--kubeconfig", "/etc/kubernetes/admin.conf"]
    assert "w1" in lab.node_exec("cp1", [*kubectl, "get", "nodes"]).stdout, "reset leaves the Node object"
    lab.node_exec("cp1", [*kubectl, "delete", "node", "w1"])
    assert "w1" not in lab.node_exec("cp1", [*kubectl, "get", "nodes"]).stdout
    assert join(cluster, "w1").returncode == 0


def test_config_api_versions_follow_the_installed_kubeadm(lab_factory: LabFactory) -> None:
    lab = lab_factory(nodes=[LabNodeSpec("old", "10.99.0.31")])
    install_kubernetes(lab, "old", "1.30.8-1.1")
    lab.write_file("old", "/root/v1beta3.yaml", "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\n")
    lab.write_file("old", "/root/v1beta4.yaml", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n")
    assert kubeadm(lab, "old", "config", "validate", "--config", "/root/v1beta3.yaml").returncode == 0
    refused = kubeadm(lab, "old", "config", "validate", "--config", "/root/v1beta4.yaml")
    assert refused.returncode == 1 and "experimental API spec" in refused.stderr
    lab.write_file("old", "/root/kubeadm.yaml", KUBEADM_V1BETA3)
    init = kubeadm(lab, "old", "init", "--config", "/root/kubeadm.yaml")
    assert init.returncode == 0, init.stderr
    assert "kubeadm join 10.99.0.31:6443" in init.stdout
    manifest = lab.read_file("old", "/etc/kubernetes/manifests/kube-apiserver.yaml")
    assert "--enable-admission-plugins=NodeRestriction,PodNodeSelector" in manifest
    assert "Public-Key: (2048 bit)" in lab.node_exec(
        "old", ["openssl", "x509", "-noout", "-text", "-in", "/etc/kubernetes/pki/ca.crt"]).stdout
