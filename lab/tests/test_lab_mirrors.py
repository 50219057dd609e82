"""The lab's mirrors: an image registry and a pkgs.k8s.io-style apt repository, as an
air-gapped site has them, running in a lab namespace behind the lab's CA and key.

Pure tests check the package plan (names, versions, Depends, contents) and the service
layout. The real tests bring up a lab fabric with the services on it, fill them, and
use them the way nodes will: curl and skopeo verifying TLS with the lab CA by name,
apt-get verifying the repository's signature, all from inside lab namespaces. Binaries
are the toolchain's when built, else placeholders (see lab/tests/test_lab_images.py).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from lab import netns
from lab.cleanup import remove_lab
from lab.images import programs
from lab.images.inputs import cached_bin_dirs, needed_binaries, placeholder_bin_dirs, placeholder_cache
from lab.images.spec import ProjectProgram
from lab.images.spec import plan as image_plan
from lab.proc import LabError, all_pids, cmdline, netns_inode
from lab.services import __main__ as services_cli
from lab.services import apt, debs, mirrors, network, process, registry, repo
from lab.services.mirrors import Filled
from lab.services.packages import DEBIAN_CNI, CniPlugins, HostDirectory, Text, plan, repository_path
from lab.services.site import APT_HOST, REGISTRY_HOST, Site, service_address, site_for
from lab.spec import LabNames, new_lab_id
from lab.testing import requires_root
from lab.versions import KUBERNETES

ROW = KUBERNETES["1.35.4"]
SUBNET, GATEWAY, PREFIXLEN = "10.99.0.0/17", "10.99.127.254", 17


def packages(cni: CniPlugins = DEBIAN_CNI) -> dict[str, object]:
    return {spec.name: spec for spec in plan(ROW, cni)}


# --- the package plan (pure) ----------------------------------------------------------

def test_names_and_versions_follow_pkgs_k8s_io() -> None:
    assert {name: spec.version for name, spec in packages().items()} == {
        "kubeadm": "1.35.4-1.1", "kubelet": "1.35.4-1.1", "kubectl": "1.35.4-1.1",
        "cri-tools": "1.34.0-1.1", "kubernetes-cni": "1.1.1-1.1",
        "containerd": "2.2.9-1", "runc": "1.3.4-1",
    }
    assert packages()["kubeadm"].filename == "kubeadm_1.35.4-1.1_amd64.deb"
    assert repository_path(ROW) == "core:/stable:/v1.35/deb"


def test_depends_lines_are_upstreams() -> None:
    specs = packages()
    assert specs["kubeadm"].depends == ()  # no dependencies since 1.32 (krel metadata.yaml)
    assert specs["kubectl"].depends == () and specs["cri-tools"].depends == ()
    assert specs["kubelet"].depends == ("kubernetes-cni (>= 1.1.1)", "mount", "util-linux")
    assert specs["kubelet"].recommends == ("iptables (>= 1.8.4)",)
    assert specs["containerd"].depends == ("runc (>= 1.3.4)",)
    newer = packages(CniPlugins("/opt/plugins", "1.8.0"))
    assert newer["kubelet"].depends[0] == "kubernetes-cni (>= 1.2.0)"  # upstream's floor when met
    assert newer["kubernetes-cni"].version == "1.8.0-1.1"


def test_every_dependency_inside_the_repository_is_satisfied_by_it() -> None:
    specs = packages()
    for spec in specs.values():
        for depend in spec.depends:
            name, _, constraint = depend.partition(" ")
            if name not in specs or not constraint:
                continue
            operator, version = constraint.strip("()").split()
            compare = {">=": "ge", "<=": "le", "=": "eq", ">>": "gt", "<<": "lt"}[operator]
            satisfied = subprocess.run(["dpkg", "--compare-versions", specs[name].version, compare, version])
            assert satisfied.returncode == 0, f"{spec.name} needs {depend}; the repository has {specs[name].version}"


def _text(spec: object, path: str) -> str:
    source = next(f.source for f in spec.files if f.path == path)  # type: ignore[attr-defined]
    assert isinstance(source, Text)
    return source.content


def test_kubeadm_ships_the_kubelet_drop_in_with_kubeadms_contract() -> None:
    specs = packages()
    drop_in = _text(specs["kubeadm"], "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf")
    lines = [line for line in drop_in.splitlines() if line and not line.startswith("#")]
    assert lines == [
        "[Service]",
        'Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf '
        '--kubeconfig=/etc/kubernetes/kubelet.conf"',
        'Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"',
        "EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env",
        "EnvironmentFile=-/etc/default/kubelet",
        "ExecStart=",
        "ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS "
        "$KUBELET_EXTRA_ARGS",
    ]
    assert not any("10-kubeadm" in f.path for f in specs["kubelet"].files)


def test_kubelet_ships_its_unit_defaults_and_kept_directories() -> None:
    kubelet = packages()["kubelet"]
    assert {f.path for f in kubelet.files} == {
        "/usr/bin/kubelet", "/usr/lib/systemd/system/kubelet.service", "/etc/default/kubelet",
        "/var/lib/kubelet/.kubelet-keep", "/etc/kubernetes/manifests/.kubelet-keep"}
    assert kubelet.conffiles == ("/etc/default/kubelet",)
    unit = _text(kubelet, "/usr/lib/systemd/system/kubelet.service")
    for setting in ("ExecStart=/usr/bin/kubelet", "Restart=always", "RestartSec=10", "StartLimitIntervalSec=0",
                    "WantedBy=multi-user.target", "After=network-online.target"):
        assert setting in unit.splitlines()
    assert _text(kubelet, "/etc/default/kubelet") == "KUBELET_EXTRA_ARGS=\n"
    assert dict(kubelet.scripts)["postinst"].count("systemctl enable kubelet.service") == 1


def test_containerd_runs_as_upstreams_unit_does() -> None:
    containerd = packages()["containerd"]
    assert {f.path for f in containerd.files} == {
        "/usr/bin/containerd", "/usr/bin/containerd-shim-runc-v2", "/usr/bin/ctr",
        "/usr/lib/systemd/system/containerd.service"}
    unit = _text(containerd, "/usr/lib/systemd/system/containerd.service").splitlines()
    for setting in ("ExecStart=/usr/bin/containerd", "Type=notify", "Delegate=yes", "KillMode=process",
                    "ExecStartPre=-/sbin/modprobe overlay", "OOMScoreAdjust=-999", "TasksMax=infinity"):
        assert setting in unit


def test_kubernetes_cni_puts_the_plugins_in_opt_cni_bin() -> None:
    cni = packages()["kubernetes-cni"]
    assert cni.files[0].path == "/opt/cni/bin"
    assert cni.files[0].source == HostDirectory("/usr/lib/cni")
    assert "/etc/cni/net.d/.kubernetes-cni-keep" in {f.path for f in cni.files}


def test_the_service_address_is_the_highest_free_one_below_the_gateway() -> None:
    assert service_address(SUBNET, GATEWAY) == "10.99.127.253"
    assert service_address(SUBNET, GATEWAY, ["10.99.127.253"]) == "10.99.127.252"
    assert service_address("10.0.0.0/24", "10.0.0.1") == "10.0.0.254"
    with pytest.raises(ValueError, match="no free address"):
        service_address("10.0.0.0/30", "10.0.0.1", ["10.0.0.2"])
    site = site_for("abc123", SUBNET, GATEWAY)
    assert site.netns == "som-abc123-svc"
    assert site.image_repository == "registry.lab.internal:5000/k8s"
    assert site.apt_url(35) == "https://apt.lab.internal/core:/stable:/v1.35/deb/"
    assert site.hosts_line() == "10.99.127.253\tregistry.lab.internal apt.lab.internal\n"
    assert site.state_dir == Path("/run/som-lab/abc123/services")


def test_the_registry_listens_on_the_service_address_only_over_tls() -> None:
    site = site_for("abc123", SUBNET, GATEWAY)
    config = json.loads(registry.config_text(site, Path("/data"), mirrors.tls_files(site)))
    assert config["http"]["addr"] == "10.99.127.253:5000"
    assert config["http"]["tls"] == {"certificate": "/run/som-lab/abc123/services/tls/server.crt",
                                     "key": "/run/som-lab/abc123/services/tls/server.key"}
    assert "auth" not in config


def test_the_index_lists_each_deb_with_checksums_the_release_covers() -> None:
    data = b"not really a deb"
    deb = repo.DebInfo("Package: kubectl\nVersion: 1.35.4-1.1\n", "amd64/kubectl_1.35.4-1.1_amd64.deb",
                       len(data), repo.digests(data))
    packages_text = repo.packages_text([deb])
    assert f"Filename: amd64/kubectl_1.35.4-1.1_amd64.deb\nSize: {len(data)}\n" in packages_text
    assert f"SHA256: {hashlib.sha256(data).hexdigest()}\n" in packages_text
    release = repo.release_text("core:stable:v1.35", {"Packages": packages_text.encode()})
    assert f" {hashlib.sha256(packages_text.encode()).hexdigest()} {len(packages_text)} Packages" in release
    assert "Label: core:stable:v1.35\n" in release


# --- real: packages, services -----------------------------------------------------------

@pytest.fixture(scope="module")
def bin_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    wanted = needed_binaries([*image_plan(ROW), *plan(ROW)])
    real = cached_bin_dirs(wanted)
    if real:
        return real
    pause = programs.build(ProjectProgram("pause", ROW.pause), tmp_path_factory.mktemp("pause") / "pause")
    return placeholder_bin_dirs(wanted, pause, tmp_path_factory.mktemp("bin"))


@requires_root
def test_debs_are_reproducible_and_owned_by_root(bin_dirs: dict[str, Path], tmp_path: Path) -> None:
    kubelet = packages()["kubelet"]
    first = debs.build(kubelet, bin_dirs, tmp_path / "a")
    second = debs.build(kubelet, bin_dirs, tmp_path / "b")
    assert not first.cached and not second.cached
    assert first.path.read_bytes() == second.path.read_bytes()
    assert debs.build(kubelet, bin_dirs, tmp_path / "a").cached
    contents = subprocess.run(["dpkg-deb", "--contents", str(first.path)], capture_output=True, text=True,
                              check=True).stdout.splitlines()
    assert all(" root/root " in line and " 1970-01-01 00:00 " in line for line in contents)
    assert any(line.endswith("./usr/lib/systemd/system/kubelet.service") for line in contents)
    fields = subprocess.run(["dpkg-deb", "--field", str(first.path), "Package", "Version", "Depends"],
                            capture_output=True, text=True, check=True).stdout
    assert fields == "Package: kubelet\nVersion: 1.35.4-1.1\nDepends: kubernetes-cni (>= 1.1.1), mount, util-linux\n"
    control = subprocess.run(["dpkg-deb", "--ctrl-tarfile", str(first.path)], capture_output=True, check=True).stdout
    assert b"./postinst" in control and b"./conffiles" in control


@dataclass
class Mirror:
    site: Site
    filled: Filled


@pytest.fixture(scope="module")
def mirror(bin_dirs: dict[str, Path]) -> Iterator[Mirror]:
    """A lab fabric with the services on it, filled; everything removed afterwards."""
    if os.geteuid() != 0:
        pytest.skip("the lab needs root: it creates network namespaces")
    lab_id = new_lab_id()
    names = LabNames(lab_id)
    site = site_for(lab_id, SUBNET, GATEWAY)
    # placeholders are built into a cache of their own, never next to real builds
    cache = None if cached_bin_dirs(bin_dirs) == bin_dirs else placeholder_cache()
    try:
        names.state_dir.mkdir(parents=True)
        netns.create_fabric(names, GATEWAY, PREFIXLEN)
        mirrors.up(site)
        filled = mirrors.fill(site, ROW, bin_dirs, image_plan(ROW), plan(ROW), cache)
        print(f"\nimage builds (s): {filled.images}\npackage builds (s): {filled.packages}\n"
              f"push {filled.push_seconds:.1f}s, repository {filled.repository_seconds:.1f}s")
        yield Mirror(site, filled)
    finally:
        mirrors.down(site)
        remove_lab(lab_id)
    assert not netns.som_namespaces(lab_id)
    assert not names.state_dir.exists()
    assert not processes_of(site)


def processes_of(site: Site) -> list[int]:
    """Processes whose command line names the site's state dir (services, agents)."""
    return [pid for pid in all_pids() if str(site.state_dir) in " ".join(cmdline(pid))]


@requires_root
def test_a_failed_up_leaves_nothing_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    lab_id = new_lab_id()
    names = LabNames(lab_id)
    site = site_for(lab_id, SUBNET, GATEWAY)

    def broken(site: Site, tls: object) -> None:
        assert process.load(site)["registry"].pid  # the registry is already up: it must be undone
        raise LabError("the apt server failed on purpose")

    monkeypatch.setattr(apt, "start", broken)
    try:
        names.state_dir.mkdir(parents=True)
        netns.create_fabric(names, GATEWAY, PREFIXLEN)
        with pytest.raises(LabError, match="on purpose"):
            mirrors.up(site)
        assert not netns.exists(site.netns)
        assert not site.state_dir.exists()
        assert not processes_of(site)
        assert netns.exists(names.fabric_netns)  # the lab itself is not the services' to remove
    finally:
        remove_lab(lab_id)


@requires_root
def test_the_command_line_names_a_lab_without_services(capsys: pytest.CaptureFixture[str]) -> None:
    assert services_cli.main(["status", "--id", "nolab0"]) == 1
    assert "lab nolab0 has no services" in capsys.readouterr().err


def in_fabric(mirror: Mirror, argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    """A client on the lab's fabric (an administrator's machine), with the lab's names."""
    return subprocess.run(network.client_argv(mirror.site, argv, mirror.site.names.fabric_netns),
                          capture_output=True, text=True, timeout=300, **kwargs)  # type: ignore[call-overload]


def ca(mirror: Mirror) -> str:
    return str(mirrors.tls_files(mirror.site).ca_cert)


def test_keys_stay_private_in_the_labs_state_dir(mirror: Mirror) -> None:
    tls = mirrors.tls_files(mirror.site)
    for key in tls.keys:
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key
        assert key.is_relative_to(mirror.site.names.state_dir)
    gnupg = mirror.site.state_dir / "apt" / "gnupg"
    assert stat.S_IMODE(gnupg.stat().st_mode) == 0o700
    secret = list((gnupg / "private-keys-v1.d").glob("*.key"))
    assert secret and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in secret)
    for running in process.load(mirror.site).values():  # keys are named by path, never passed
        assert all("PRIVATE KEY" not in arg for arg in cmdline(running.pid))


def test_services_run_only_in_the_service_namespace(mirror: Mirror) -> None:
    service_ns = netns.netns_file(mirror.site.netns).stat().st_ino
    running = process.load(mirror.site)
    assert set(running) == {"registry", "apt"}
    for service in running.values():
        assert process.is_ours(mirror.site, service)
        assert netns_inode(service.pid) == service_ns != netns_inode(1)
    leftovers = [pid for pid in all_pids() if cmdline(pid)[:1] == ["gpg-agent"]
                 and str(mirror.site.state_dir) in " ".join(cmdline(pid))]
    assert not leftovers, "gpg's agent must not outlive the signing"


def test_the_catalog_is_served_over_tls_verified_with_the_lab_ca(mirror: Mirror) -> None:
    url = f"https://{REGISTRY_HOST}:5000/v2/_catalog"
    served = in_fabric(mirror, ["curl", "-fsS", "--cacert", ca(mirror), url])
    assert served.returncode == 0, served.stderr
    assert json.loads(served.stdout)["repositories"] == sorted(f"k8s/{s.name}" for s in image_plan(ROW))
    unverified = in_fabric(mirror, ["curl", "-fsS", url])  # the machine's CAs do not know the lab's
    assert unverified.returncode == 60, unverified.stderr
    tags = in_fabric(mirror, ["curl", "-fsS", "--cacert", ca(mirror), f"https://{REGISTRY_HOST}:5000/v2/k8s/etcd/tags/list"])
    assert json.loads(tags.stdout) == {"name": "k8s/etcd", "tags": ["3.6.6-0"]}


def test_an_image_pulled_back_has_kubeadms_entrypoint(mirror: Mirror, tmp_path: Path) -> None:
    certs = str(registry.files(mirror.site).cert_dir)
    for name, tag, entrypoint in (("kube-apiserver", "v1.35.4", ["/usr/local/bin/kube-apiserver"]),
                                  ("pause", "3.10.1", ["/pause"]), ("coredns", "v1.13.1", ["/coredns"])):
        reference = f"docker://{mirror.site.image_repository}/{name}:{tag}"
        inspected = in_fabric(mirror, ["skopeo", "inspect", "--config", "--cert-dir", certs, reference])
        assert inspected.returncode == 0, inspected.stderr
        config = json.loads(inspected.stdout)
        assert config["config"]["Entrypoint"] == entrypoint
        assert "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" in config["config"]["Env"]
    pulled = tmp_path / "pulled"
    copy = in_fabric(mirror, ["skopeo", "--policy", str(registry.files(mirror.site).policy), "copy", "--quiet",
                              "--src-cert-dir", certs, f"docker://{mirror.site.image_repository}/pause:3.10.1",
                              f"oci:{pulled}:3.10.1"])
    assert copy.returncode == 0, copy.stderr
    index = json.loads((pulled / "index.json").read_text())
    assert index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"] == "3.10.1"


def apt_options(root: Path, ca_file: str) -> list[str]:
    """apt with every directory in root: the machine's apt state and sources are untouched."""
    etc, state, cache = root / "etc", root / "state", root / "cache"
    for directory in (etc / "sources.list.d", etc / "apt.conf.d", etc / "preferences.d", etc / "trusted.gpg.d",
                      state / "lists" / "partial", cache / "archives" / "partial"):
        directory.mkdir(parents=True, exist_ok=True)
    (root / "status").touch()
    settings = {
        "Dir::Etc": etc, "Dir::Etc::SourceList": etc / "sources.list", "Dir::Etc::SourceParts": etc / "sources.list.d",
        "Dir::Etc::Parts": etc / "apt.conf.d", "Dir::Etc::Preferences": etc / "preferences",
        "Dir::Etc::PreferencesParts": etc / "preferences.d", "Dir::Etc::Trusted": etc / "trusted.gpg",
        "Dir::Etc::TrustedParts": etc / "trusted.gpg.d", "Dir::State": state, "Dir::State::status": root / "status",
        "Dir::Cache": cache, "Acquire::https::CAInfo": ca_file, "APT::Sandbox::User": "root",
        "Debug::NoLocking": "1",
        # apt asks DNS for SRV records first; the lab's namespaces reach no resolver
        "Acquire::EnableSrvRecords": "false",
    }
    return [arg for key, value in settings.items() for arg in ("-o", f"{key}={value}")]


def test_apt_verifies_the_signature_and_sees_kubeadm(mirror: Mirror, tmp_path: Path) -> None:
    url = mirror.filled.repository_url
    assert url == f"https://{APT_HOST}/core:/stable:/v1.35/deb/"
    keyring = tmp_path / "kubernetes-apt-keyring.gpg"
    key = in_fabric(mirror, ["curl", "-fsSL", "--cacert", ca(mirror), f"{url}Release.key"])
    assert key.returncode == 0 and key.stdout.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    subprocess.run(["gpg", "--batch", "--dearmor", "-o", str(keyring)], input=key.stdout, text=True, check=True)
    options = apt_options(tmp_path / "apt", ca(mirror))
    (tmp_path / "apt" / "etc" / "sources.list").write_text(f"deb [signed-by={keyring}] {url} /\n")
    update = in_fabric(mirror, ["apt-get", *options, "update"])
    assert update.returncode == 0 and "W:" not in update.stderr and "E:" not in update.stderr, update.stderr
    policy = in_fabric(mirror, ["apt-cache", *options, "policy", "kubeadm"])
    assert "Candidate: 1.35.4-1.1" in policy.stdout
    show = in_fabric(mirror, ["apt-cache", *options, "show", "kubelet=1.35.4-1.1"])
    assert "Depends: kubernetes-cni (>= 1.1.1), mount, util-linux" in show.stdout
    download = in_fabric(mirror, ["sh", "-c", 'cd "$1" && shift && exec apt-get "$@" download kubeadm=1.35.4-1.1',
                                  "sh", str(tmp_path), *options])
    assert download.returncode == 0, download.stderr
    deb = tmp_path / "kubeadm_1.35.4-1.1_amd64.deb"
    listing = subprocess.run(["dpkg-deb", "--contents", str(deb)], capture_output=True, text=True, check=True).stdout
    assert "./usr/bin/kubeadm" in listing and "./usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf" in listing


def test_apt_refuses_the_repository_under_another_key(mirror: Mirror, tmp_path: Path) -> None:
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    other = tmp_path / "other.gpg"
    try:
        subprocess.run(["gpg", "--batch", "--homedir", str(home), "--pinentry-mode", "loopback", "--passphrase", "",
                        "--quick-gen-key", "someone else <x@example.invalid>", "ed25519", "sign", "1d"],
                       check=True, capture_output=True)
        subprocess.run(["gpg", "--batch", "--homedir", str(home), "--output", str(other), "--export"], check=True)
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], check=False)
    options = apt_options(tmp_path / "apt", ca(mirror))
    source = f"deb [signed-by={other}] {mirror.filled.repository_url} /\n"
    (tmp_path / "apt" / "etc" / "sources.list").write_text(source)
    update = in_fabric(mirror, ["apt-get", *options, "update"])
    assert "NO_PUBKEY" in update.stderr or "not signed" in update.stderr, update.stderr
    policy = in_fabric(mirror, ["apt-cache", *options, "policy", "kubeadm"])
    assert "Candidate: 1.35.4-1.1" not in policy.stdout


def test_the_published_index_matches_the_served_debs(mirror: Mirror) -> None:
    directory = mirror.site.state_dir / "apt" / "www" / repository_path(ROW)
    packages_text = gzip.decompress((directory / "Packages.gz").read_bytes()).decode()
    assert packages_text == (directory / "Packages").read_text()
    for stanza in packages_text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in stanza.splitlines() if ": " in line)
        served = (directory / fields["Filename"]).read_bytes()
        assert hashlib.sha256(served).hexdigest() == fields["SHA256"]
    assert {f"{name}" for name in mirror.filled.packages} == {p.filename for p in plan(ROW)}


def test_a_second_patch_joins_its_minors_repository(mirror: Mirror, bin_dirs: dict[str, Path],
                                                   tmp_path_factory: pytest.TempPathFactory) -> None:
    """pkgs.k8s.io keeps every patch of a minor in one repository: a cluster at one patch
    installs the next from the same source line, and the first stays installable (runs
    last: it adds to the module's repository)."""
    following = replace(ROW, kubernetes="1.35.5")
    [kubeadm] = [spec for spec in plan(following) if spec.name == "kubeadm"]
    # its own cache: a 1.35.5 package made of 1.35.4's binaries must never reach the real one
    deb = debs.build(kubeadm, bin_dirs, tmp_path_factory.mktemp("patch-cache"))
    apt.publish(mirror.site, following, [deb])
    root = tmp_path_factory.mktemp("patch-apt")
    keyring = root / "keyring.gpg"
    key = in_fabric(mirror, ["curl", "-fsSL", "--cacert", ca(mirror), f"{mirror.filled.repository_url}Release.key"])
    subprocess.run(["gpg", "--batch", "--dearmor", "-o", str(keyring)], input=key.stdout, text=True, check=True)
    options = apt_options(root / "apt", ca(mirror))
    (root / "apt" / "etc" / "sources.list").write_text(f"deb [signed-by={keyring}] {mirror.filled.repository_url} /\n")
    update = in_fabric(mirror, ["apt-get", *options, "update"])
    assert update.returncode == 0 and "E:" not in update.stderr, update.stderr
    versions = in_fabric(mirror, ["apt-cache", *options, "madison", "kubeadm"]).stdout
    assert [line.split("|")[1].strip() for line in versions.splitlines()] == ["1.35.5-1.1", "1.35.4-1.1"], versions
    assert "Version: 1.35.4-1.1" in in_fabric(mirror, ["apt-cache", *options, "show", "kubelet=1.35.4-1.1"]).stdout
