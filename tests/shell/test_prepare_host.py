"""The prepare-host step, run for real with bash on a throwaway copy of the host's /etc.

The rendered script runs unchanged inside a private mount namespace whose /etc and
/var/lib are overlays (writes land in a tmpfs; the machine's own files are never
touched). apt-get, curl, dpkg-query, apt-mark, systemctl, sysctl, swapon/swapoff,
modprobe, containerd and the kube tools are small fakes first on PATH that log every call
and behave as the real ones do where it matters: ``apt-get update`` fails with apt's
"is not signed" (exit 100) when a source line's keyring is missing, an install drops
binaries that report the installed versions. What is asserted is the order of the
calls, the flags, and what the host looks like after apply, a second apply, and remove.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import pytest

from components.config import Platform
from components.steps import prepare_host
from tests.factories import load, valid_config, with_settings

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="a private mount namespace with overlays needs root")

ARMOURED = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBGMHoXcBEADOTCq1\n-----END PGP PUBLIC KEY BLOCK-----\n"
HOSTS_OWN_CONTAINERD = "# the host's own containerd configuration\ndisabled_plugins = ['cri']\n"

FAKES: dict[str, str] = {
    # the CRI service answers after FAKE_STATE/cri-unready-for (a count) more questions
    "sleep": "exit 0\n",  # waits are counted in questions asked, not in seconds
    "crictl": r"""
log crictl "$@"
left=$(cat "$FAKE_STATE/cri-unready-for" 2>/dev/null || echo 0)
if [ "$left" -gt 0 ]; then
  echo $((left - 1)) >"$FAKE_STATE/cri-unready-for"
  echo 'rpc error: code = Unimplemented desc = unknown service runtime.v1.RuntimeService' >&2
  exit 1
fi
""",
    "networkctl": r"""
log networkctl "$@"
cat "$FAKE_STATE/networkctl-list" 2>/dev/null || true
""",
    "apt-get": r"""
log apt-get "$@"
case "$1" in
  update)
    for list in /etc/apt/sources.list.d/*.list; do
      [ -f "$list" ] || continue
      keyring=$(sed -n 's/.*signed-by=\([^] ]*\).*/\1/p' "$list")
      if [ -n "$keyring" ] && [ ! -s "$keyring" ]; then
        echo "E: The repository '$list' is not signed." >&2
        exit 100
      fi
    done ;;
  install)
    for arg in "$@"; do
      name=${arg%%=*} version=${arg#*=}
      case "$name" in
        ca-certificates) echo "# fake bundle" >/etc/ssl/certs/ca-certificates.crt ;;
        containerd.io)
          printf 'ii |%s\n' "${FAKE_CONTAINERD_DEB}" >"$FAKE_STATE/dpkg-$name"
          printf '#!/bin/bash\necho "containerd containerd.io %s 1c4457e00facac03ce1d75f7b6777a7a851e5c41"\n' "$FAKE_CONTAINERD_VERSION" >"$FAKE_BIN/containerd" ;;
        kubeadm) printf '#!/bin/bash\necho v%s\n' "${version%-*}" >"$FAKE_BIN/kubeadm.version" ;;
        kubelet) printf '#!/bin/bash\necho "Kubernetes v%s"\n' "${version%-*}" >"$FAKE_BIN/kubelet" ;;
        kubectl) printf '#!/bin/bash\necho "Client Version: v%s"\n' "${version%-*}" >"$FAKE_BIN/kubectl" ;;
      esac
      chmod +x "$FAKE_BIN"/* 2>/dev/null || true
    done ;;
esac
""",
    "curl": r"""
log curl "$@"
out=
while [ $# -gt 0 ]; do
  case "$1" in -o) out=$2; shift ;; esac
  shift
done
if [ -n "${FAKE_CURL_HTML:-}" ]; then echo '<html>captive portal</html>' >"$out"; else printf '%s' "$FAKE_KEY" >"$out"; fi
""",
    "dpkg-query": r"""
for pkg; do :; done
cat "$FAKE_STATE/dpkg-$pkg" 2>/dev/null || exit 1
""",
    "apt-mark": 'log apt-mark "$@"\n',
    "systemctl": r"""
log systemctl "$@"
for unit; do :; done
case "$1" in
  is-enabled)
    for state in masked enabled; do
      if [ -f "$FAKE_STATE/$state-$unit" ]; then echo "$state"; exit 0; fi
    done
    exit 1 ;;
  is-active) [ -f "$FAKE_STATE/active-$unit" ] ;;
  enable) touch "$FAKE_STATE/enabled-$unit" ;;
  mask) touch "$FAKE_STATE/masked-$unit" ;;
  unmask) rm -f "$FAKE_STATE/masked-$unit" ;;
  list-units) if [ "$*" != "${*/--type=swap/}" ]; then echo "swapfile.swap loaded active active /swapfile"; fi ;;
  list-unit-files) if [ "$*" != "${*/zramswap/}" ]; then echo "zramswap.service enabled enabled"; fi ;;
esac
exit 0
""",
    "sysctl": r"""
log sysctl "$@"
case "$1" in
  -n) cat "$FAKE_STATE/sysctl-$2" ;;
  -q) shift 2; echo "${1#*=}" >"$FAKE_STATE/sysctl-${1%%=*}" ;;
esac
""",
    "swapon": r"""
log swapon "$@"
if [ "$1" = --show ] && [ -f "$FAKE_STATE/swap-on" ]; then echo "/swapfile file 1G 0B -2"; fi
if [ "$1" = -a ]; then touch "$FAKE_STATE/swap-on"; fi
exit 0
""",
    "swapoff": 'log swapoff "$@"\nrm -f "$FAKE_STATE/swap-on"\n',
    "modprobe": 'log modprobe "$@"\n',
    "kubeadm": r"""
log kubeadm "$@"
if [ "$1" = version ] && [ -x "$FAKE_BIN/kubeadm.version" ]; then exec "$FAKE_BIN/kubeadm.version"; fi
[ "$1" = config ] || exit 1
""",
}


@dataclass
class Host:
    """The fake host: a directory with the fakes, their state, the call log and the copy
    of /etc and /var/lib that survives between runs (the overlays' upper directories)."""

    root: Path

    @property
    def calls(self) -> list[str]:
        log = self.root / "calls.log"
        return log.read_text().splitlines() if log.exists() else []

    def etc(self, path: str) -> Path:
        return self.root / "upper-etc" / path.removeprefix("/etc/")

    def var_lib(self, path: str) -> Path:
        return self.root / "upper-var-lib" / path.removeprefix("/var/lib/")

    def sysctl(self, key: str) -> str:
        return (self.root / "state" / f"sysctl-{key}").read_text().strip()


@pytest.fixture
def host(tmp_path: Path) -> Host:
    root = tmp_path / "host"
    for sub in ("bin", "state", "upper-etc", "work-etc", "upper-var-lib", "work-var-lib"):
        (root / sub).mkdir(parents=True)
    for name, body in FAKES.items():
        path = root / "bin" / name
        path.write_text('#!/bin/bash\nlog() { printf "%s\\n" "$*" >>"$FAKE_CALLS"; }\n' + body)
        path.chmod(0o755)
    (root / "state" / "sysctl-net.ipv4.ip_forward").write_text("0\n")
    (root / "state" / "swap-on").touch()
    return Host(root)


def run(host: Host, platform: Platform, node: str, action: str, env: Mapping[str, str] | None = None,
        setup: str = "") -> subprocess.CompletedProcess[str]:
    """The rendered step script, `bash -s -- <action>`, on the fake host."""
    script = host.root / "step.sh"
    script.write_text(prepare_host.step(platform, platform.node(node)).script())
    r = host.root
    mounts = "".join(
        f"mount -t overlay overlay -o lowerdir={target},upperdir={r}/upper-{name},workdir={r}/work-{name} {target}\n"
        for name, target in (("etc", "/etc"), ("var-lib", "/var/lib"))
    )
    inner = f"set -e\n{mounts}{setup}\nexec bash -s -- {shlex.quote(action)} <{shlex.quote(str(script))}\n"
    environment = {
        "PATH": f"{r}/bin:{os.environ.get('PATH', '/usr/sbin:/usr/bin:/sbin:/bin')}",
        "FAKE_BIN": f"{r}/bin", "FAKE_STATE": f"{r}/state", "FAKE_CALLS": f"{r}/calls.log",
        "FAKE_KEY": ARMOURED, "FAKE_CONTAINERD_VERSION": "2.2.1", "FAKE_CONTAINERD_DEB": "2.2.1-1~debian.12~bookworm",
        **(env or {}),
    }
    return subprocess.run(
        # a network namespace of its own: the machine's interfaces are not the fake host's
        ["unshare", "--mount", "--net", "--propagation", "private", "bash", "-c", inner],
        env=environment, capture_output=True, text=True, timeout=120,
    )


def dev_like(**changes: Any) -> Platform:
    """The factories' stack as the lab runs it (cgroupV1: allow: this machine is cgroup v1)."""
    return load(with_settings(valid_config(), {"cgroupV1": "allow", **changes}))


def test_a_fresh_host_gets_keys_before_sources_and_pinned_held_packages(host: Host) -> None:
    """On a host with none of our sources: a missing prerequisite from the host's own
    sources, then both keys, then (their lists now readable) a second update, containerd at
    the release's line and the kube packages at the exact release, without a conffile
    prompt, held. A second apply changes nothing; remove puts the host back."""
    platform = dev_like()
    setup = (
        f"mkdir -p /etc/containerd && printf '%s' {shlex.quote(HOSTS_OWN_CONTAINERD)} >/etc/containerd/config.toml\n"
        "printf '/swapfile none swap sw 0 0\\n' >>/etc/fstab\n"
        "rm -f /etc/ssl/certs/ca-certificates.crt"  # a prerequisite missing: from the host's own sources first
    )
    result = run(host, platform, "cp", "apply", setup=setup)
    assert result.returncode == 0, result.stderr
    calls = host.calls
    keys = [call for call in calls if call.startswith("curl ")]
    assert [call.split()[-1] for call in keys] == [
        "https://pkgs.k8s.io/core:/stable:/v1.35/deb/Release.key", "https://download.docker.com/linux/debian/gpg",
    ]
    updates = [i for i, call in enumerate(calls) if call == "apt-get update -q"]
    first_key, last_key = calls.index(keys[0]), calls.index(keys[-1])
    assert len(updates) == 2 and updates[0] < first_key and updates[1] > last_key, calls
    installs = [call for call in calls if call.startswith("apt-get install")]
    flags = "apt-get install -q -y --no-install-recommends --allow-change-held-packages -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold"
    assert calls.index(f"{flags} ca-certificates") < first_key
    assert installs == [
        f"{flags} ca-certificates",
        f"{flags} containerd.io=2.2.*",
        f"{flags} kubelet=1.35.4-1.1 kubeadm=1.35.4-1.1 kubectl=1.35.4-1.1 kubernetes-cni cri-tools",
    ]
    assert "apt-mark hold containerd.io" in calls and "apt-mark hold kubelet kubeadm kubectl" in calls
    assert "systemctl restart containerd" in calls
    assert "kubeadm config images pull --config /etc/kubernetes/kubeadm/images.yaml" in calls
    assert "systemctl mask swapfile.swap" in calls and "systemctl mask zramswap.service" in calls
    assert host.sysctl("net.ipv4.ip_forward") == "1"
    assert "# disabled by spark-on-metal: /swapfile none swap sw 0 0" in host.etc("/etc/fstab").read_text()
    assert host.etc("/etc/apt/keyrings/spark-on-metal-kubernetes.asc").read_text() == ARMOURED
    assert host.etc("/etc/containerd/config.toml.spark-on-metal-previous").read_text() == HOSTS_OWN_CONTAINERD
    assert host.etc("/etc/containerd/config.toml").read_text().startswith("# spark-on-metal: containerd 2.x")

    before = len(calls)
    again = run(host, platform, "cp", "apply")
    assert again.returncode == 0, again.stderr
    repeated = host.calls[before:]
    assert not [call for call in repeated if call.startswith(("apt-get", "curl", "systemctl restart", "systemctl mask", "kubeadm config"))], repeated
    assert "wrote" not in again.stderr, again.stderr

    removed = run(host, platform, "cp", "remove")
    assert removed.returncode == 0, removed.stderr
    assert host.sysctl("net.ipv4.ip_forward") == "0"
    assert "systemctl unmask swapfile.swap" in host.calls and "systemctl unmask zramswap.service" in host.calls
    fstab = host.etc("/etc/fstab").read_text()
    assert "/swapfile none swap sw 0 0\n" in fstab and "disabled by spark-on-metal" not in fstab
    assert (host.root / "state" / "swap-on").exists(), "swap that was on is turned on again"
    assert host.etc("/etc/containerd/config.toml").read_text() == HOSTS_OWN_CONTAINERD
    assert not host.etc("/etc/containerd/config.toml.spark-on-metal-previous").exists()
    assert not host.etc("/etc/apt/sources.list.d/spark-on-metal-kubernetes.list").exists()
    assert not host.etc("/etc/apt/keyrings/spark-on-metal-kubernetes.asc").exists()


def test_containerd_older_than_the_release_needs_stops_the_step(host: Host) -> None:
    """A repository that serves containerd 2.1.4 for Kubernetes 1.35 (2.1.5 or later):
    the step fails, saying which version is installed, which is needed and what to set."""
    result = run(host, dev_like(), "w1", "apply", env={"FAKE_CONTAINERD_VERSION": "2.1.4", "FAKE_CONTAINERD_DEB": "2.2.0-1"})
    assert result.returncode == 1
    assert (
        "containerd 2.1.4 is installed, but Kubernetes 1.35 needs containerd 2.1.5 or later (containerd's support matrix; "
        "this platform writes containerd 2.x's configuration): set containerd.version and containerd.repository"
    ) in result.stderr
    assert not any(call.startswith("apt-get install") and "kubeadm=" in call for call in host.calls)


def test_a_key_url_that_serves_no_armoured_key_stops_before_apt_reads_its_source(host: Host) -> None:
    """A captive portal's page instead of the key: the step says so, and no source line
    was written that apt could not verify."""
    result = run(host, dev_like(), "w1", "apply", env={"FAKE_CURL_HTML": "1"})
    assert result.returncode == 1
    assert "https://pkgs.k8s.io/core:/stable:/v1.35/deb/Release.key did not return an ASCII-armoured public key" in result.stderr
    assert not host.etc("/etc/apt/sources.list.d/spark-on-metal-kubernetes.list").exists()
    assert not host.etc("/etc/apt/keyrings/spark-on-metal-kubernetes.asc").exists()


def test_inline_keys_need_no_download_and_no_curl(host: Host) -> None:
    """An air-gapped site's keys in the stack: nothing is fetched; the lists still follow
    their keys and apt reads them."""
    platform = dev_like(
        packageRepository={"url": "http://apt.site.example/kubernetes/", "signingKey": ARMOURED},
        containerd={"repository": {"url": "http://apt.site.example/runtime", "suite": "bookworm", "components": ["main"], "signingKey": ARMOURED}},
    )
    result = run(host, platform, "w1", "apply")
    assert result.returncode == 0, result.stderr
    assert not [call for call in host.calls if call.startswith("curl")]
    assert host.etc("/etc/apt/sources.list.d/spark-on-metal-containerd.list").read_text() == (
        "deb [signed-by=/etc/apt/keyrings/spark-on-metal-containerd.asc] http://apt.site.example/runtime bookworm main\n"
    )


def test_a_cgroup_v1_host_is_refused_unless_the_stack_allows_it(host: Host) -> None:
    """On cgroup v1 (this machine: /sys/fs/cgroup is a tmpfs), the default stack stops at
    the first check, before anything is written, naming both ways out."""
    fs = subprocess.run(["stat", "-fc", "%T", "/sys/fs/cgroup"], capture_output=True, text=True).stdout.strip()
    if fs == "cgroup2fs":
        pytest.skip("this machine runs cgroup v2: nothing to refuse")
    result = run(host, load(valid_config()), "w1", "apply")
    assert result.returncode == 1
    assert f"this host runs cgroup v1 (/sys/fs/cgroup is {fs}, not cgroup2fs) and kubelet v1.35.4 refuses it" in result.stderr
    assert "or set cgroupV1: allow in the stack" in result.stderr
    assert only_looked(host) and not host.etc("/etc/containerd/config.toml").exists()


def only_looked(host: Host) -> bool:
    """Nothing on the host was changed: the only calls made were read-only questions."""
    return all(call.startswith(("systemctl is-active ", "networkctl list ")) for call in host.calls)


def test_images_are_pulled_only_once_the_restarted_runtime_answers_cri(host: Host) -> None:
    """containerd's socket is up before its CRI service: the control plane's image pull
    (and kubelet later) waits until ``crictl info`` answers instead of failing."""
    (host.root / "state" / "cri-unready-for").write_text("2\n")
    result = run(host, dev_like(), "cp", "apply")
    assert result.returncode == 0, result.stderr
    calls = host.calls
    asked = [i for i, call in enumerate(calls) if call.startswith("crictl ") and " info" in call]
    pull = next(i for i, call in enumerate(calls) if call.startswith("kubeadm config images pull"))
    assert len(asked) == 3 and asked[-1] < pull


def test_a_runtime_that_never_answers_cri_stops_the_step_with_its_reason(host: Host) -> None:
    (host.root / "state" / "cri-unready-for").write_text("1000\n")
    platform = dev_like()
    step = prepare_host.step(platform, platform.node("w1"))
    assert step.variables["CRI_WAIT_SECONDS"] == 60
    result = run(host, platform, "w1", "apply")
    assert result.returncode == 1
    assert "containerd's CRI service at unix:///run/containerd/containerd.sock did not answer within 60s" in result.stderr
    # asked at once, then once a second for 60 seconds (som_wait_for in lib.sh)
    assert len([call for call in host.calls if call.startswith("crictl ")]) == 61


def test_a_host_whose_uplink_a_network_manager_owns_is_refused_before_anything_changes(host: Host) -> None:
    """systemd-networkd configuring the uplink would put the host's address back on it
    after the move: the first check stops the step, naming the manager and the fixes."""
    (host.root / "state" / "active-systemd-networkd").touch()
    (host.root / "state" / "networkctl-list").write_text("  2 eth0 ether routable configured\n")
    result = run(host, dev_like(), "w1", "apply")
    assert result.returncode == 1
    assert "the uplink eth0 is configured by systemd-networkd" in result.stderr
    assert "Unmanaged=yes in a .network matching eth0" in result.stderr
    assert only_looked(host) and not host.etc("/etc/containerd/config.toml").exists()
    (host.root / "state" / "networkctl-list").write_text("  2 eth0 ether routable unmanaged\n")
    assert run(host, dev_like(), "w1", "apply").returncode == 0


def test_a_mirror_that_left_the_stack_loses_its_hosts_file(host: Host) -> None:
    """hosts.toml files are the stack's: one removed from registryMirrors is deleted on the
    next apply (a foreign file in certs.d stays)."""
    mirrors = [{"registry": "docker.io", "mirror": "https://m.example.com"}, {"registry": "quay.io", "mirror": "https://m.example.com/quay"}]
    assert run(host, dev_like(registryMirrors=mirrors), "w1", "apply").returncode == 0
    assert host.etc("/etc/containerd/certs.d/quay.io/hosts.toml").exists()
    foreign = "mkdir -p /etc/containerd/certs.d/ghcr.io && echo 'server = \"https://ghcr.io\"' >/etc/containerd/certs.d/ghcr.io/hosts.toml"
    result = run(host, dev_like(registryMirrors=mirrors[:1]), "w1", "apply", setup=foreign)
    assert result.returncode == 0, result.stderr
    assert not host.etc("/etc/containerd/certs.d/quay.io").exists()
    assert host.etc("/etc/containerd/certs.d/docker.io/hosts.toml").exists()
    assert host.etc("/etc/containerd/certs.d/ghcr.io/hosts.toml").exists()


def test_unshare_is_available() -> None:
    """The tests above need util-linux's unshare (a missing tool must not read as a pass)."""
    assert shutil.which("unshare"), "util-linux unshare is missing"
