"""The kubeadm stand-in's config checks, called directly (no lab, no root needed).

These are the checks that make the stand-in worth having: a config our scripts
render must be one the real kubeadm of that version reads, field for field.
"""

from __future__ import annotations

import textwrap

import pytest
import yaml

from lab.standins.kubeadm_config import ConfigError, extra_args, parse
from lab.testing import KUBEADM_V1BETA3 as V1BETA3
from lab.testing import KUBEADM_V1BETA4 as V1BETA4

HASH = "sha256:" + "ab" * 32


def join_doc(bootstrap: dict[str, object] | None = None, api: str = "v1beta4") -> str:
    """A worker JoinConfiguration with valid discovery, bootstrapToken fields overridable."""
    fields: dict[str, object] = {
        "apiServerEndpoint": "10.99.0.11:6443", "token": "abcdef.0123456789abcdef", "caCertHashes": [HASH]}
    fields.update(bootstrap or {})
    return yaml.safe_dump({"apiVersion": f"kubeadm.k8s.io/{api}", "kind": "JoinConfiguration",
                           "discovery": {"bootstrapToken": fields}})


def test_valid_v1beta4_and_v1beta3_sets_are_accepted() -> None:
    config = parse(V1BETA4, 31)
    assert set(config.docs) == {"InitConfiguration", "ClusterConfiguration", "KubeletConfiguration",
                                "KubeProxyConfiguration"}
    assert extra_args(config.get("ClusterConfiguration")["apiServer"]) == [
        ("enable-admission-plugins", "NodeRestriction,PodNodeSelector")]
    assert extra_args(parse(V1BETA3, 30).get("ClusterConfiguration")["apiServer"]) == [
        ("enable-admission-plugins", "NodeRestriction,PodNodeSelector")]
    parse(join_doc(), 31)
    parse(join_doc(api="v1beta3"), 30)


@pytest.mark.parametrize("text, minor, message", [
    (V1BETA4.replace("cgroupDriver: systemd", "cgroupDriver: systemd\nclusterDns: [1.2.3.4]"), 31,
     'unknown field "KubeletConfiguration.clusterDns"'),
    (V1BETA4.replace("  certSANs:", "  certSans:"), 31, 'unknown field "ClusterConfiguration.apiServer.certSans"'),
    (V1BETA3.replace("kind: InitConfiguration", "kind: InitConfiguration\ndryRun: true"), 30,
     'unknown field "InitConfiguration.dryRun"'),
    (V1BETA4.replace("mode: iptables", "mode: iptables\nmasqueradeAll: true"), 31,
     'unknown field "KubeProxyConfiguration.masqueradeAll"'),
], ids=["kubelet-typo", "nested-typo", "v1beta4-field-in-v1beta3", "kube-proxy-field"])
def test_unknown_fields_are_rejected(text: str, minor: int, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse(text, minor)


def test_extra_args_must_have_the_shape_of_the_api_version() -> None:
    list_in_v1beta3 = V1BETA3.replace(
        'extraArgs: {enable-admission-plugins: "NodeRestriction,PodNodeSelector"}',
        "extraArgs:\n  - {name: enable-admission-plugins, value: NodeRestriction}")
    with pytest.raises(ConfigError, match=r"apiServer.extraArgs: cannot unmarshal list"):
        parse(list_in_v1beta3, 30)
    map_in_v1beta4 = V1BETA4.replace(
        '  extraArgs:\n  - {name: enable-admission-plugins, value: "NodeRestriction,PodNodeSelector"}',
        "  extraArgs: {enable-admission-plugins: NodeRestriction}")
    with pytest.raises(ConfigError, match=r"apiServer.extraArgs: cannot unmarshal dict"):
        parse(map_in_v1beta4, 31)


@pytest.mark.parametrize("api, minor, accepted, message", [
    ("v1beta4", 31, True, None),
    ("v1beta4", 30, False, "experimental API spec"),
    ("v1beta4", 27, False, "no kind"),
    ("v1beta3", 22, True, None),
    ("v1beta3", 36, True, None),
    ("v1beta3", 37, False, r"old API spec.*kubeadm v1\.36"),
    ("v1beta2", 31, False, r"old API spec.*kubeadm v1\.22"),
])
def test_api_versions_follow_the_kubeadm_version(api: str, minor: int, accepted: bool, message: str | None) -> None:
    text = f"apiVersion: kubeadm.k8s.io/{api}\nkind: ClusterConfiguration\n"
    if accepted:
        parse(text, minor)
    else:
        with pytest.raises(ConfigError, match=message):
            parse(text, minor)


@pytest.mark.parametrize("overrides, message", [
    ({"token": "ABCDEF.0123456789abcdef"}, "bootstrap token is invalid"),
    ({"token": "abcdef0123456789abcdef"}, "bootstrap token is invalid"),
    ({"caCertHashes": ["sha256:1234"]}, "must be sha256:<64 hex>"),
    ({"caCertHashes": ["md5:" + "ab" * 32]}, "must be sha256:<64 hex>"),
    ({"caCertHashes": []}, "without caCertHashes"),
    ({"unsafeSkipCAVerification": True}, "unsafeSkipCAVerification"),
    ({"apiServerEndpoint": "10.99.0.11"}, "must be host:port"),
])
def test_join_discovery_is_checked(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse(join_doc(overrides), 31)


def test_control_plane_join_needs_a_64_hex_certificate_key() -> None:
    good = join_doc() + textwrap.dedent(f"""\
        controlPlane:
          certificateKey: {"0f" * 32}
        """)
    parse(good, 31)
    with pytest.raises(ConfigError, match="certificateKey"):
        parse(good.replace("0f" * 32, "0f" * 16), 31)


@pytest.mark.parametrize("text, message", [
    ("kind: InitConfiguration\n", "apiVersion is mandatory"),
    ("apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n---\n"
     "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n", "specified twice"),
    ("apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nnetworking: {podSubnet: 10.99.64.0/33}\n",
     "networking.podSubnet"),
    ("apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nlocalAPIEndpoint: {bindPort: '6443'}\n",
     "bindPort: '6443' is not a valid int"),
    ("apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nbootstrapTokens: [{token: abcdef.0123456789abcdef,"
     " ttl: 1day}]\n", "not a valid duration"),
    ("apiVersion: kubeadm.k8s.io/v1beta4\nkind: ResetConfiguration\n", "no kind"),
])
def test_malformed_documents_are_rejected(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse(text, 31)
