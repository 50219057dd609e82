"""Host files as rendered: what the CNI plugins, kubeadm, kubelet and containerd will read.

The CNI conflist is checked field by field against the network plan, then handed to the
real host-local plugin (from /usr/lib/cni) inside a throwaway network namespace. The
kubeadm documents (kubeadm.k8s.io/v1beta4 for every supported release: dev 1.35, prod
1.36) are checked against the settings the design depends on.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import tomllib
from ipaddress import IPv4Address, IPv4Interface
from pathlib import Path, PurePosixPath
from typing import Any, Iterator, NamedTuple

import pytest
import yaml

from components.config import Platform
from components.hostfiles import hostnet, kubeadm
from components.network import NodeNetwork, plan
from components.stack import load_stack_file
from tests.conftest import RenderedStack
from tests.factories import load, node, valid_config, with_settings

HOST_LOCAL = Path("/usr/lib/cni/host-local")
# Where containerd's CRI plugin reads CNI configs (conf_dir, default /etc/cni/net.d): the
# lexically first file wins, so ours is named to sort first. Literal, not cni.CONF_PATH:
# a file written anywhere else is never read, and a test following the constant would not see it.
CONFLIST = "etc/cni/net.d/00-spark-on-metal.conflist"
ADMISSION_PLUGINS = {"NodeRestriction", "PodNodeSelector", "PodTolerationRestriction"}


class Expected(NamedTuple):
    """What each stack's kubeadm documents must say, written out independently of the code."""

    api: str
    extra_args_type: type
    image_repository: str
    endpoint: str
    pod_pool: str
    service_cidr: str
    cluster_dns: list[str]


EXPECTED = {
    # the dev stack's endpoint is its control plane's virtual IP (controlPlaneVip)
    "dev": Expected("kubeadm.k8s.io/v1beta4", list, "registry.k8s.io", "10.99.0.10:6443", "10.99.64.0/20", "10.99.80.0/24", ["10.99.0.11"]),
    "prod": Expected(
        "kubeadm.k8s.io/v1beta4", list, "registry.aliyuncs.com/google_containers",
        "k8s-api.hadooptest.internal:6443", "10.0.64.0/20", "10.0.80.0/24", ["10.0.0.61", "10.0.0.65"],
    ),
}
STACKS = sorted(EXPECTED)


def node_networks(stack: str) -> list[tuple[Platform, NodeNetwork]]:
    platform = load_stack_file(stack)
    return [(platform, net) for net in plan(platform).nodes]


def rendered_conflist(root: Path, node: str) -> dict[str, Any]:
    return json.loads((root / "nodes" / node / CONFLIST).read_text())


def documents(path: Path) -> dict[str, dict[str, Any]]:
    """A multi-document kubeadm file, by kind (each kind appears once)."""
    docs = [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    by_kind = {doc["kind"]: doc for doc in docs}
    assert len(by_kind) == len(docs), f"a kind repeats in {path}"
    return by_kind


def extra_args(value: Any, expected: Expected) -> dict[str, str]:
    """extraArgs in the form the config API requires: v1beta4 a list of name/value pairs."""
    assert isinstance(value, expected.extra_args_type), value
    if isinstance(value, list):
        assert all(set(item) == {"name", "value"} for item in value), value
        value = {item["name"]: item["value"] for item in value}
    assert all(isinstance(v, str) for v in value.values()), value
    return value


# ---------------------------------------------------------------------------- CNI


@pytest.mark.parametrize("stack", STACKS)
def test_conflist_has_what_macvlan_and_host_local_read(stack: str, rendered_stack: RenderedStack) -> None:
    """macvlan: type, master (the node's uplink), mode bridge; host-local: one range on the
    layer-2 subnet from the node's slice, the physical gateway, and the plan's routes;
    then portmap with the portMappings capability (a pod's hostPort)."""
    for platform, net in node_networks(stack):
        conflist = rendered_conflist(rendered_stack(stack), net.name)
        assert conflist["cniVersion"] == "1.0.0" and conflist["name"] == "spark-on-metal"
        plugin, portmap = conflist["plugins"]
        assert portmap == {"type": "portmap", "capabilities": {"portMappings": True}}
        assert (plugin["type"], plugin["master"], plugin["mode"]) == ("macvlan", net.uplink, "bridge")
        ipam = plugin["ipam"]
        assert ipam["type"] == "host-local"
        assert ipam["ranges"] == [
            [
                {
                    "subnet": str(platform.config.pod_subnet),
                    "rangeStart": str(net.range_start),
                    "rangeEnd": str(net.range_end),
                    "gateway": str(platform.config.gateway),
                }
            ]
        ]
        assert ipam["routes"] == [
            {"dst": "0.0.0.0/0", "gw": str(platform.config.gateway)},
            {"dst": str(platform.config.service_cidr), "gw": str(net.address)},
        ]


def test_prod_control_plane_conflist_has_the_reference_range(rendered_stack: RenderedStack) -> None:
    """The file on hadooptest-cp says what the reference says: .1 to .126 of 10.0.64.0/25,
    default via 10.0.127.254, services via the node itself."""
    ipam = rendered_conflist(rendered_stack("prod"), "hadooptest-cp")["plugins"][0]["ipam"]
    assert ipam["ranges"][0][0] == {
        "subnet": "10.0.0.0/17", "rangeStart": "10.0.64.1", "rangeEnd": "10.0.64.126", "gateway": "10.0.127.254"
    }
    assert ipam["routes"] == [{"dst": "0.0.0.0/0", "gw": "10.0.127.254"}, {"dst": "10.0.80.0/24", "gw": "10.0.0.61"}]


@pytest.fixture
def netns() -> Iterator[str]:
    """A throwaway network namespace (not named som-*, which the lab's cleanup owns)."""
    if os.geteuid() != 0:
        pytest.skip("creating a network namespace needs root")
    if not HOST_LOCAL.exists():
        pytest.skip(f"{HOST_LOCAL} is missing (Debian package containernetworking-plugins)")
    name = f"spm-ipam-{secrets.token_hex(4)}"
    created = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True, timeout=30)
    if created.returncode != 0:
        pytest.skip(f"cannot create a network namespace here: {created.stderr.strip()}")
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "delete", name], capture_output=True, timeout=30)


def host_local(command: str, netns: str, config: dict[str, Any], container: str = "") -> dict[str, Any]:
    """Run the real host-local plugin inside ``netns`` the way a runtime does."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
        "CNI_COMMAND": command,
        "CNI_CONTAINERID": container,
        "CNI_NETNS": f"/var/run/netns/{netns}",
        "CNI_IFNAME": "eth0",
        "CNI_PATH": str(HOST_LOCAL.parent),
    }
    result = subprocess.run(
        ["ip", "netns", "exec", netns, str(HOST_LOCAL)],
        input=json.dumps(config), capture_output=True, text=True, env=env, timeout=30,
    )
    assert result.returncode == 0, f"host-local {command}: {result.stdout}{result.stderr}"
    return json.loads(result.stdout) if result.stdout.strip() else {}


@pytest.mark.parametrize("stack", STACKS)
def test_real_host_local_allocates_from_the_nodes_range(
    stack: str, rendered_stack: RenderedStack, netns: str, tmp_path: Path
) -> None:
    """host-local accepts the rendered ipam section as is (dataDir aside): VERSION lists the
    conflist's cniVersion, ADD hands out an address of the node's range with the planned
    gateway and routes, DEL releases it."""
    for platform, net in node_networks(stack):
        conflist = rendered_conflist(rendered_stack(stack), net.name)
        data_dir = tmp_path / net.name
        ipam = {**conflist["plugins"][0]["ipam"], "dataDir": str(data_dir)}
        config = {"cniVersion": conflist["cniVersion"], "name": conflist["name"], "ipam": ipam}
        assert conflist["cniVersion"] in host_local("VERSION", netns, config)["supportedVersions"]
        result = host_local("ADD", netns, config, container=f"pod-{net.name}")
        [ip] = result["ips"]
        address = IPv4Interface(ip["address"])
        assert net.range_start <= address.ip <= net.range_end
        assert address.network == platform.config.pod_subnet
        assert IPv4Address(ip["gateway"]) == platform.config.gateway
        assert result["routes"] == [
            {"dst": "0.0.0.0/0", "gw": str(platform.config.gateway)},
            {"dst": str(platform.config.service_cidr), "gw": str(net.address)},
        ]
        assert (data_dir / conflist["name"] / str(address.ip)).exists()
        host_local("DEL", netns, config, container=f"pod-{net.name}")
        assert not (data_dir / conflist["name"] / str(address.ip)).exists()


# ---------------------------------------------------------------------------- kubeadm


@pytest.mark.parametrize("stack", STACKS)
def test_init_configuration_documents(stack: str, rendered_stack: RenderedStack) -> None:
    """init.yaml: the four documents with the fields the design relies on (mirror, stable
    endpoint, pool and services, admission plugins with their config mounted, no node
    CIDR allocation, kube-proxy on the pool with masqueradeAll, DNS on the DNS nodes)."""
    expected = EXPECTED[stack]
    platform = load_stack_file(stack)
    root = rendered_stack(stack) / "nodes" / platform.init_node.name
    docs = documents(root / kubeadm.INIT_CONFIG.lstrip("/"))
    assert set(docs) == {"InitConfiguration", "ClusterConfiguration", "KubeletConfiguration", "KubeProxyConfiguration"}
    init, cluster = docs["InitConfiguration"], docs["ClusterConfiguration"]
    assert init["apiVersion"] == cluster["apiVersion"] == expected.api
    assert init["localAPIEndpoint"]["advertiseAddress"] == str(platform.init_node.address)
    assert extra_args(init["nodeRegistration"]["kubeletExtraArgs"], expected) == {"node-ip": str(platform.init_node.address)}

    assert cluster["imageRepository"] == expected.image_repository
    assert cluster["controlPlaneEndpoint"] == expected.endpoint
    assert cluster["networking"]["podSubnet"] == expected.pod_pool
    assert cluster["networking"]["serviceSubnet"] == expected.service_cidr
    api_args = extra_args(cluster["apiServer"]["extraArgs"], expected)
    assert ADMISSION_PLUGINS <= set(api_args["enable-admission-plugins"].split(","))
    admission_file = PurePosixPath(api_args["admission-control-config-file"])
    mounts = [v for v in cluster["apiServer"]["extraVolumes"] if admission_file.is_relative_to(v["mountPath"])]
    assert mounts and mounts[0]["hostPath"] == mounts[0]["mountPath"] and mounts[0]["readOnly"] is True
    assert (root / str(admission_file).lstrip("/")).is_file(), "the admission config is rendered where it is mounted from"
    assert extra_args(cluster["controllerManager"]["extraArgs"], expected)["allocate-node-cidrs"] == "false"

    proxy, kubelet = docs["KubeProxyConfiguration"], docs["KubeletConfiguration"]
    assert proxy["clusterCIDR"] == expected.pod_pool
    assert proxy["iptables"]["masqueradeAll"] is True
    assert kubelet["clusterDNS"] == expected.cluster_dns and len(kubelet["clusterDNS"]) <= 3
    assert kubelet["cgroupDriver"] == "systemd"


@pytest.mark.parametrize("stack", STACKS)
def test_join_configuration_documents(stack: str, rendered_stack: RenderedStack) -> None:
    """join.yaml on every joining node: discovery through the stable endpoint with the token
    and CA-hash placeholders (filled in on the host), the node's own registration."""
    expected = EXPECTED[stack]
    platform = load_stack_file(stack)
    joining = platform.joining_nodes
    assert joining
    for node in joining:
        docs = documents(rendered_stack(stack) / "nodes" / node.name / kubeadm.JOIN_CONFIG.lstrip("/"))
        join = docs["JoinConfiguration"]
        assert join["apiVersion"] == expected.api
        assert join["discovery"] == {
            "bootstrapToken": {
                "apiServerEndpoint": expected.endpoint,
                "token": kubeadm.TOKEN_PLACEHOLDER,
                "caCertHashes": [kubeadm.CA_HASH_PLACEHOLDER],
            }
        }
        assert join["nodeRegistration"]["name"] == node.name
        assert extra_args(join["nodeRegistration"]["kubeletExtraArgs"], expected) == {"node-ip": str(node.address)}


@pytest.mark.parametrize("stack", STACKS)
def test_nothing_skips_ca_verification(stack: str, rendered_stack: RenderedStack) -> None:
    """No rendered file, kubeadm config or script, ever turns off CA pinning."""
    for path in rendered_stack(stack).rglob("*"):
        if path.is_file():
            assert "unsafeSkipCAVerification" not in path.read_text(), path
            assert "--discovery-token-unsafe-skip-ca-verification" not in path.read_text(), path


def test_tenant_nodes_register_with_their_tenant_taint(rendered_stack: RenderedStack) -> None:
    """The reference tenant's nodes join tainted spark=spark:NoSchedule, so nothing else lands there first."""
    docs = documents(rendered_stack("prod") / "nodes" / "hadooptest-001" / kubeadm.JOIN_CONFIG.lstrip("/"))
    assert {"key": "spark", "value": "spark", "effect": "NoSchedule"} in docs["JoinConfiguration"]["nodeRegistration"]["taints"]


# ---------------------------------------------------------------------------- the rest


def test_containerd_config_is_containerd_2_format_with_systemd_cgroups_and_kubeadms_pause(rendered_stack: RenderedStack) -> None:
    """containerd 2.x's format (version 3, the cri.v1 plugin ids): kubeadm 1.36's pause
    image from the mirror pinned as the sandbox, SystemdCgroup on, the CNI directories,
    registry hosts under certs.d, restrict_oom_score_adj as the stack says."""
    text = (rendered_stack("prod") / "nodes" / "hadooptest-cp" / "etc/containerd/config.toml").read_text()
    config = tomllib.loads(text)
    assert config["version"] == 3
    assert set(config["plugins"]) == {"io.containerd.cri.v1.images", "io.containerd.cri.v1.runtime"}
    images, runtime = config["plugins"]["io.containerd.cri.v1.images"], config["plugins"]["io.containerd.cri.v1.runtime"]
    assert images == {
        "pinned_images": {"sandbox": "registry.aliyuncs.com/google_containers/pause:3.10.2"},
        "registry": {"config_path": "/etc/containerd/certs.d"},
    }
    assert runtime["containerd"]["runtimes"]["runc"] == {"runtime_type": "io.containerd.runc.v2", "options": {"SystemdCgroup": True}}
    assert runtime["cni"] == {"bin_dirs": ["/opt/cni/bin"], "conf_dir": "/etc/cni/net.d"}
    assert runtime["restrict_oom_score_adj"] is False
    dev = tomllib.loads((rendered_stack("dev") / "nodes" / "cp1" / "etc/containerd/config.toml").read_text())
    assert dev["plugins"]["io.containerd.cri.v1.runtime"]["restrict_oom_score_adj"] is True
    assert dev["plugins"]["io.containerd.cri.v1.images"]["pinned_images"]["sandbox"] == "registry.k8s.io/pause:3.10.1"


def test_kubelet_resolv_conf_lists_upstreams_with_the_dns_remedies(rendered_stack: RenderedStack) -> None:
    """With dns.upstreams set, kubelet's resolv.conf lists them with single-request-reopen."""
    text = (rendered_stack("prod") / "nodes" / "infra-001" / "etc/spark-on-metal/resolv.conf").read_text()
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert lines == ["nameserver 10.0.0.2", "nameserver 10.0.0.3", "options single-request-reopen timeout:2 attempts:2"]


def test_host_network_script_carries_the_nodes_address_and_a_stable_mac(rendered_stack: RenderedStack) -> None:
    """The host script moves the node's own address/prefix; its MAC is locally administered
    unicast, different per node, and the same at every render."""
    root = rendered_stack("prod")
    macs = set()
    for _, net in node_networks("prod"):
        script = (root / "nodes" / net.name / hostnet.HOST_NETWORK_SCRIPT.lstrip("/")).read_text()
        assert f"readonly HOST_CIDR={net.address}/17\n" in script
        assert "readonly GATEWAY=10.0.127.254\n" in script
        mac = hostnet.stable_mac(net.name)
        assert f"readonly MACVLAN_MAC={mac}\n" in script
        first = int(mac.split(":")[0], 16)
        assert first & 0b10 and not first & 0b1
        macs.add(mac)
    assert len(macs) == len(node_networks("prod"))


def test_rendered_host_scripts_are_executable_files_in_their_steps() -> None:
    """Scripts the boot unit runs are installed 0755 and listed in the unit (DNS nodes also
    run the NOTRACK script); kubeadm configs are private (0600)."""
    platform = load_stack_file("dev")
    net = plan(platform).nodes[0]
    for is_dns in (False, True):
        files = {f.path: f for f in hostnet.files(platform, net, is_dns)}
        unit = files[hostnet.UNIT_PATH].content
        for script in hostnet.boot_scripts(is_dns):
            assert files[script].mode == "0755"
            assert f"ExecStart={script} apply\n" in unit
        assert (hostnet.DNS_NOTRACK_SCRIPT in files) is is_dns
    assert kubeadm.init_file(platform).mode == kubeadm.join_file(platform, platform.nodes[1]).mode == "0600"


# ---------------------------------------------------------------------------- releases, cgroups, pods


def init_documents(platform: Platform) -> dict[str, dict[str, Any]]:
    return {doc["kind"]: doc for doc in yaml.safe_load_all(kubeadm.init_file(platform).content)}


def join_documents(platform: Platform, name: str) -> dict[str, dict[str, Any]]:
    return {doc["kind"]: doc for doc in yaml.safe_load_all(kubeadm.join_file(platform, platform.node(name)).content)}


def test_cgroup_v1_allowed_turns_off_kubelets_refusal_and_the_preflight_check() -> None:
    """cgroupV1: allow (the dev stack, for the lab's cgroup v1 machines): kubelet's
    failCgroupV1 false, and SystemVerification skipped at init and at every join."""
    platform = load(with_settings(valid_config(), {"cgroupV1": "allow"}))
    docs = init_documents(platform)
    assert docs["KubeletConfiguration"]["failCgroupV1"] is False
    assert docs["InitConfiguration"]["nodeRegistration"]["ignorePreflightErrors"] == ["SystemVerification"]
    for name in ("w1", "w2"):
        assert join_documents(platform, name)["JoinConfiguration"]["nodeRegistration"]["ignorePreflightErrors"] == ["SystemVerification"]


def test_cgroup_v1_refused_by_default_leaves_kubelet_and_kubeadm_strict() -> None:
    """By default nothing relaxes: no failCgroupV1 (kubelet's default true), no skipped check."""
    platform = load(valid_config())
    docs = init_documents(platform)
    assert "failCgroupV1" not in docs["KubeletConfiguration"]
    assert "ignorePreflightErrors" not in docs["InitConfiguration"]["nodeRegistration"]
    assert "ignorePreflightErrors" not in join_documents(platform, "w1")["JoinConfiguration"]["nodeRegistration"]


@pytest.mark.parametrize(("prefix", "max_pods"), [(25, 110), (26, 62), (28, 14)])
def test_kubelet_max_pods_never_exceeds_a_nodes_slice(prefix: int, max_pods: int) -> None:
    """kubelet's 110 when a slice holds more (a /25: 126 addresses), else the slice's size."""
    platform = load(with_settings(valid_config(), {"podSlicePrefix": prefix}))
    assert init_documents(platform)["KubeletConfiguration"]["maxPods"] == max_pods


def test_every_document_uses_kubeadm_v1beta4() -> None:
    """Every supported release reads v1beta4 (v1beta3 is gone from kubeadm 1.37)."""
    for version in ("1.35.4", "1.36.3", "1.37.2"):
        platform = load(with_settings(valid_config(), {"kubernetesVersion": version}))
        kinds = [*init_documents(platform).values(), *join_documents(platform, "w1").values()]
        assert {doc["apiVersion"] for doc in kinds if doc["kind"] in ("InitConfiguration", "ClusterConfiguration", "JoinConfiguration")} == {
            "kubeadm.k8s.io/v1beta4"
        }


# ---------------------------------------------------------------------------- control planes


def two_control_planes() -> dict[str, Any]:
    return with_settings(valid_config(), {"nodes[3]": node("cp2", "10.0.0.60", "control-plane")})


def test_adding_a_control_plane_leaves_the_first_ones_init_inputs_unchanged() -> None:
    """init.yaml (and so the kubeadm-init step) is the same byte for byte with a second
    control plane; its certSANs are the endpoint and apiServerCertSANs, nothing per node."""
    one, two = load(valid_config()), load(two_control_planes())
    assert kubeadm.init_file(one) == kubeadm.init_file(two)
    assert init_documents(two)["ClusterConfiguration"]["apiServer"]["certSANs"] == ["10.0.0.61"]
    sans = load(with_settings(valid_config(), {"apiEndpoint": "k8s.example.com", "apiServerCertSANs": ["10.0.0.100", "api.example.com"]}))
    assert init_documents(sans)["ClusterConfiguration"]["apiServer"]["certSANs"] == ["10.0.0.100", "api.example.com", "k8s.example.com"]


def test_every_control_plane_gets_the_admission_configuration() -> None:
    """A joining control plane's kubeadm-join step installs the admission file the API
    server's static pod mounts (the same file the first one gets); workers get none."""
    from components.steps import steps_for

    platform = load(two_control_planes())
    steps = {(step.name, step.node): step for step in steps_for(platform)}
    init_files = {f.path: f for f in steps[("kubeadm-init", "cp")].files}
    cp2_files = {f.path: f for f in steps[("kubeadm-join", "cp2")].files}
    assert cp2_files[kubeadm.ADMISSION_CONFIG] == init_files[kubeadm.ADMISSION_CONFIG]
    assert kubeadm.ADMISSION_CONFIG not in {f.path for f in steps[("kubeadm-join", "w1")].files}
    cluster = init_documents(platform)["ClusterConfiguration"]
    assert {"name": "admission-control-config-file", "value": kubeadm.ADMISSION_CONFIG} in cluster["apiServer"]["extraArgs"]


# ---------------------------------------------------------------------------- containerd, mirrors, apt


def test_registry_mirrors_become_containerd_hosts_files() -> None:
    """One certs.d/<registry>/hosts.toml per mirror: the registry's own server (docker.io's
    is registry-1.docker.io), the mirror for pull and resolve, its CA when given."""
    from components.hostfiles import containerd

    platform = load(with_settings(valid_config(), {"registryMirrors": [
        {"registry": "docker.io", "mirror": "https://mirror.example.com:5000", "caFile": "/etc/ssl/certs/mirror-ca.pem"},
        {"registry": "quay.io", "mirror": "https://mirror.example.com/quay"},
    ]}))
    files = {f.path: f.content for f in containerd.files(platform)}
    assert files["/etc/containerd/certs.d/docker.io/hosts.toml"] == (
        "# spark-on-metal: pulls of docker.io images go to its mirror first\n"
        "server = 'https://registry-1.docker.io'\n\n"
        "[host.'https://mirror.example.com:5000']\n"
        "  capabilities = ['pull', 'resolve']\n"
        "  ca = '/etc/ssl/certs/mirror-ca.pem'\n"
    )
    assert tomllib.loads(files["/etc/containerd/certs.d/quay.io/hosts.toml"]) == {
        "server": "https://quay.io", "host": {"https://mirror.example.com/quay": {"capabilities": ["pull", "resolve"]}},
    }


def test_default_apt_sources_are_pkgs_k8s_io_of_the_minor_and_dockers_containerd() -> None:
    """Each source names its own armoured keyring; the keys are downloaded by prepare-host
    (none is rendered inline)."""
    from components.hostfiles import packages

    platform = load(with_settings(valid_config(), {"kubernetesVersion": "1.36.3"}))
    kube, runtime = packages.repositories(platform)
    assert kube.sources_file().content == (
        "deb [signed-by=/etc/apt/keyrings/spark-on-metal-kubernetes.asc] https://pkgs.k8s.io/core:/stable:/v1.36/deb/ /\n"
    )
    assert runtime.sources_file().content == (
        "deb [signed-by=/etc/apt/keyrings/spark-on-metal-containerd.asc] https://download.docker.com/linux/debian bookworm stable\n"
    )
    assert kube.key_download() == "/etc/apt/keyrings/spark-on-metal-kubernetes.asc https://pkgs.k8s.io/core:/stable:/v1.36/deb/Release.key"
    assert kube.key_file() is None and runtime.key_file() is None


ARMOURED = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBGMHoXcBEADOTCq1\n=abcd\n-----END PGP PUBLIC KEY BLOCK-----\n"


def test_an_air_gapped_site_names_its_mirror_and_inline_keys() -> None:
    """packageRepository and containerd.repository with inline keys: the keys land as
    files at the keyrings the source lines name, and nothing is downloaded."""
    from components.hostfiles import packages
    from components.steps import prepare_host

    platform = load(with_settings(valid_config(), {
        "packageRepository": {"url": "http://apt.site.example/kubernetes/", "signingKey": ARMOURED},
        "containerd": {"package": "containerd", "version": "2.2.9-1.1",
                       "repository": {"url": "http://apt.site.example/runtime", "suite": "bookworm", "components": ["main"], "signingKey": ARMOURED}},
    }))
    kube, runtime = packages.repositories(platform)
    assert kube.sources_file().content == "deb [signed-by=/etc/apt/keyrings/spark-on-metal-kubernetes.asc] http://apt.site.example/kubernetes/ /\n"
    assert runtime.sources_file().content == "deb [signed-by=/etc/apt/keyrings/spark-on-metal-containerd.asc] http://apt.site.example/runtime bookworm main\n"
    step = prepare_host.step(platform, platform.node("w1"))
    files = {f.path: f.content for f in step.files}
    assert files[kube.keyring] == files[runtime.keyring] == ARMOURED
    assert step.variables["APT_KEY_DOWNLOADS"] == ""
    assert (step.variables["CONTAINERD_PACKAGE"], step.variables["CONTAINERD_VERSION"]) == ("containerd", "2.2.9-1.1")
    assert {f.path for f in step.later_files} == {kube.sources_path, runtime.sources_path}
    assert not {f.path for f in step.files} & {kube.sources_path, runtime.sources_path}, "a source line only after its key"


def test_kube_proxy_leaves_conntrack_alone_only_when_the_stack_says_so() -> None:
    """kubeProxy.conntrackMaxPerCore: 0 (the dev stack: a network namespace cannot write
    nf_conntrack_max) reaches kube-proxy's configuration; unset, kube-proxy keeps its own."""
    dev = init_documents(load_stack_file("dev"))["KubeProxyConfiguration"]
    assert dev["conntrack"] == {"maxPerCore": 0}
    assert "conntrack" not in init_documents(load(valid_config()))["KubeProxyConfiguration"]
