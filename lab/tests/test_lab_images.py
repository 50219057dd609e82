"""The lab's OCI images: named as kubeadm asks, runnable as kubeadm's manifests run them.

Pure tests check the plan against kubeadm's own rules (image names, tags, commands);
the build tests make real layouts with umoci (root: files owned by root) and look
inside them. Toolchain binaries are the real ones when the toolchain has built them,
otherwise placeholders (a static program under every name): packing does not depend
on what a binary does, and the test that needs real ones says so when it skips.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.images import hostfiles, programs
from lab.images.build import Built, build, key_parts, layer_listing, manifest
from lab.images.inputs import cached_bin_dirs, needed_binaries, parse_bin_dirs, placeholder_bin_dirs
from lab.images.spec import (
    IPTABLES_COMMANDS,
    LOCAL_BIN,
    ImageSpec,
    ProjectProgram,
    plan,
    references,
    select,
)
from lab.proc import wait_until
from lab.testing import requires_root
from lab.versions import KUBERNETES

ROW = KUBERNETES["1.35.4"]
MIRROR = "registry.lab.internal:5000/k8s"
KUBEADM_SOURCES = [Path(root) / "k8s.io" / f"kubernetes@v{ROW.kubernetes}" / "cmd" / "kubeadm" / "app"
                   for root in ("/root/go/pkg/mod", "/var/cache/spark-on-metal/go/mod")]


def by_name() -> dict[str, ImageSpec]:
    return {spec.name: spec for spec in plan(ROW)}


# --- the plan (pure) ------------------------------------------------------------------

def test_references_are_what_kubeadm_lists_for_a_non_default_repository() -> None:
    assert references(ROW, MIRROR) == [
        f"{MIRROR}/kube-apiserver:v1.35.4",
        f"{MIRROR}/kube-controller-manager:v1.35.4",
        f"{MIRROR}/kube-scheduler:v1.35.4",
        f"{MIRROR}/kube-proxy:v1.35.4",
        f"{MIRROR}/coredns:v1.13.1",  # not coredns/coredns: kubeadm nests only for registry.k8s.io
        f"{MIRROR}/pause:3.10.1",
        f"{MIRROR}/etcd:3.6.6-0",
    ]
    assert references(ROW, MIRROR + "/") == references(ROW, MIRROR)


def test_tags_match_kubeadm_constants_when_its_source_is_here() -> None:
    source = next((p for p in KUBEADM_SOURCES if p.is_dir()), None)
    if source is None:
        pytest.skip("kubeadm's module source is not in a module cache on this machine")
    constants = (source / "constants" / "constants.go").read_text()

    def constant(name: str) -> str:
        match = re.search(rf'\b{name}\s*=\s*"([^"]+)"', constants)
        assert match, name
        return match.group(1)

    images = by_name()
    assert images["etcd"].tag == constant("DefaultEtcdVersion")
    assert images["coredns"].tag == constant("CoreDNSVersion")
    assert images["pause"].tag == constant("PauseVersion")
    # the DNS image is nested only for the default repository
    dns = (source / "images" / "images.go").read_text()
    assert "if dnsImageRepository == kubeadmapiv1.DefaultImageRepository" in dns


def test_control_plane_binaries_are_on_path_where_kubeadm_calls_them() -> None:
    """kubeadm's static pods run `kube-apiserver ...` (a bare name); kube-proxy's
    DaemonSet runs /usr/local/bin/kube-proxy; CoreDNS gets only args."""
    images = by_name()
    for name in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy", "etcd"):
        spec = images[name]
        assert f"{LOCAL_BIN}/{name}" in {f.path for f in spec.files}
        assert spec.entrypoint == (f"{LOCAL_BIN}/{name}",)
        path_env = next(e for e in spec.env if e.startswith("PATH="))
        assert LOCAL_BIN in path_env.removeprefix("PATH=").split(":")
    assert {f.path for f in images["etcd"].files} == {f"{LOCAL_BIN}/etcd", f"{LOCAL_BIN}/etcdctl"}
    assert images["coredns"].entrypoint == ("/coredns",)
    assert images["pause"].entrypoint == ("/pause",)
    assert images["pause"].user == "65535:65535"
    assert images["pause"].files[0].source == ProjectProgram("pause", ROW.pause)


def test_kube_proxy_carries_iptables_and_only_it_does() -> None:
    images = by_name()
    proxy = images["kube-proxy"]
    assert proxy.host is not None and proxy.host.executables == ("/usr/sbin/xtables-nft-multi",)
    assert {path for path, _ in proxy.symlinks} == {f"/usr/sbin/{c}" for c in IPTABLES_COMMANDS}
    assert all(spec.host is None for name, spec in images.items() if name != "kube-proxy")


def test_images_need_only_the_toolchain_builds_that_exist() -> None:
    units = {u for spec in plan(ROW) for u in spec.units}
    assert units == {"kubernetes", "etcd", "coredns"}
    assert needed_binaries(plan(ROW))["kubernetes"] == {
        "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"}


def test_select_refuses_an_unknown_image_by_name() -> None:
    assert [s.name for s in select(plan(ROW), ["pause", "etcd"])] == ["pause", "etcd"]
    with pytest.raises(ValueError, match="unknown image kube-dns"):
        select(plan(ROW), ["kube-dns"])


def test_bin_dir_overrides_are_checked(tmp_path: Path) -> None:
    assert parse_bin_dirs([f"kubernetes={tmp_path}"]) == {"kubernetes": tmp_path}
    with pytest.raises(ValueError, match="expected UNIT=DIR"):
        parse_bin_dirs([str(tmp_path)])
    with pytest.raises(ValueError, match="is not a directory"):
        parse_bin_dirs([f"etcd={tmp_path / 'missing'}"])


def test_ldd_output_is_read_as_library_paths() -> None:
    output = ("\tlinux-vdso.so.1 (0x00007ffd)\n"
              "\tlibxtables.so.12 => /lib/x86_64-linux-gnu/libxtables.so.12 (0x00007f1)\n"
              "\t/lib64/ld-linux-x86-64.so.2 (0x00007f2)\n")
    assert hostfiles.parse_ldd(output) == ["/lib/x86_64-linux-gnu/libxtables.so.12", "/lib64/ld-linux-x86-64.so.2"]


# --- building (root) ------------------------------------------------------------------

@pytest.fixture(scope="module")
def pause_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return programs.build(ProjectProgram("pause", ROW.pause), tmp_path_factory.mktemp("pause") / "pause")


@pytest.fixture(scope="module")
def bin_dirs(pause_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The toolchain's binaries if built, else placeholders (see the module docstring)."""
    wanted = needed_binaries(plan(ROW))
    return cached_bin_dirs(wanted) or placeholder_bin_dirs(wanted, pause_binary, tmp_path_factory.mktemp("bin"))


@pytest.fixture(scope="module")
def built(bin_dirs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Built]]:
    if os.geteuid() != 0:
        pytest.skip("image layers are owned by root: building needs root")
    cache = tmp_path_factory.mktemp("cache")
    yield {spec.name: build(spec, bin_dirs, cache) for spec in plan(ROW)}


def test_pause_exits_0_on_sigterm_and_sigint_and_reports_its_version(pause_binary: Path) -> None:
    version = subprocess.run([str(pause_binary), "-v"], capture_output=True, text=True, check=True)
    assert version.stdout.strip() == f"pause version {ROW.pause}"
    assert hostfiles.libraries(pause_binary) == []  # static: the image needs no libc
    for sig in (signal.SIGTERM, signal.SIGINT):
        process = subprocess.Popen([str(pause_binary)])
        time.sleep(0.2)
        assert process.poll() is None, "pause must sleep until told to stop"
        process.send_signal(sig)
        assert process.wait(timeout=5) == 0


@requires_root
def test_pause_reaps_orphans_as_pid_1(pause_binary: Path) -> None:
    """In a pod sharing a PID namespace, orphans become pause's children: no zombies."""
    sandbox = subprocess.Popen(["unshare", "--pid", "--fork", "--kill-child", str(pause_binary)])
    try:
        wait_until(lambda: bool(_children(sandbox.pid)), timeout=5, what="pause to start")
        pause_pid = _children(sandbox.pid)[0]
        for _ in range(3):  # an orphan: its parent sh exits at once, leaving sleep to PID 1
            subprocess.run(["nsenter", "-t", str(pause_pid), "-p", "--", "sh", "-c", "sleep 0.2 &"], check=True)
        wait_until(lambda: len(_children(pause_pid)) == 3, timeout=5, what="orphans to be adopted")
        wait_until(lambda: not _children(pause_pid), timeout=10, what="pause to reap its orphans")
        os.kill(pause_pid, signal.SIGTERM)
        assert sandbox.wait(timeout=5) == 0
    finally:
        if sandbox.poll() is None:
            sandbox.kill()
            sandbox.wait()


def _children(pid: int) -> list[int]:
    """Children of pid, zombies included (a zombie is what an unreaped orphan looks like)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def test_every_image_has_kubeadms_entrypoint_and_files(built: dict[str, Built]) -> None:
    for name, image in built.items():
        config = manifest(image)["config"]
        assert config["architecture"] == "amd64" and config["os"] == "linux"
        assert config["config"]["Entrypoint"] == list(image.spec.entrypoint), name
        assert "Cmd" not in config["config"], name
        listing = set(layer_listing(image))
        for image_file in image.spec.files:
            assert image_file.path.lstrip("/") in listing, (name, image_file.path)
        assert {"etc/passwd", "etc/group", "etc/nsswitch.conf", "tmp"} <= listing
        assert image.layout.parts[-5:-2] == ("images", name, image.spec.tag)  # <root>/images/<name>/<tag>/<key>/oci
    assert manifest(built["pause"])["config"]["config"]["User"] == "65535:65535"


def test_a_rebuild_with_the_same_inputs_is_the_cache_and_the_same_bytes(
    built: dict[str, Built], bin_dirs: dict[str, Path], tmp_path: Path
) -> None:
    spec = built["coredns"].spec
    again = build(spec, bin_dirs, built["coredns"].layout.parents[4])
    assert again.cached and again.seconds == 0.0 and again.layout == built["coredns"].layout
    fresh = build(spec, bin_dirs, tmp_path)  # another cache: built again from scratch
    assert not fresh.cached
    assert manifest(fresh)["digest"] == manifest(built["coredns"])["digest"]


def test_a_changed_binary_changes_the_key(bin_dirs: dict[str, Path], tmp_path: Path) -> None:
    spec = by_name()["coredns"]
    changed = tmp_path / "coredns"
    changed.mkdir()
    (changed / "coredns").write_bytes((bin_dirs["coredns"] / "coredns").read_bytes() + b"\0")
    assert key_parts(spec, {"coredns": changed}, []) != key_parts(spec, bin_dirs, [])
    with pytest.raises(ValueError, match="has no coredns"):
        key_parts(spec, {"coredns": tmp_path}, [])


@requires_root
def test_iptables_inside_the_kube_proxy_image_works(built: dict[str, Built], tmp_path: Path) -> None:
    """kube-proxy's rules need iptables with its modules and libraries; run it from the
    image's root in a fresh network namespace (the machine's rules are not touched)."""
    image = built["kube-proxy"]
    bundle = tmp_path / "bundle"
    subprocess.run(["umoci", "unpack", "--image", f"{image.layout}:{image.spec.tag}", str(bundle)],
                   check=True, capture_output=True)
    rootfs = str(bundle / "rootfs")
    script = (f"chroot {rootfs} iptables -t filter -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED "
              f"-m comment --comment som -j ACCEPT && chroot {rootfs} iptables -t nat -A POSTROUTING "
              f"-m mark --mark 0x4000/0x4000 -j MASQUERADE && chroot {rootfs} iptables-save")
    result = subprocess.run(["unshare", "--net", "sh", "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "(nf_tables)" in result.stdout
    assert "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment som -j ACCEPT" in result.stdout
    assert "-A POSTROUTING -m mark --mark 0x4000/0x4000 -j MASQUERADE" in result.stdout


@requires_root
def test_real_binaries_run_by_name_inside_their_images(built: dict[str, Built], tmp_path: Path) -> None:
    if cached_bin_dirs(["kubernetes", "etcd", "coredns"]) is None:
        pytest.skip("the toolchain has not built kubernetes, etcd and coredns yet "
                    "(python -m lab.toolchain build kubernetes etcd coredns)")
    expected = {"kube-apiserver": ("--version", f"Kubernetes v{ROW.kubernetes}"),
                "etcd": ("--version", f"etcd Version: {ROW.etcd}"),
                "coredns": ("-version", f"CoreDNS-{ROW.coredns.removeprefix('v')}")}
    for name, (flag, wanted) in expected.items():
        image = built[name]
        bundle = tmp_path / name
        subprocess.run(["umoci", "unpack", "--image", f"{image.layout}:{image.spec.tag}", str(bundle)],
                       check=True, capture_output=True)
        # the command by its bare name, found on the image's PATH as a static pod's is
        command = image.spec.entrypoint[0].rsplit("/", 1)[-1] if name != "coredns" else "/coredns"
        version = subprocess.run(["/usr/sbin/chroot", str(bundle / "rootfs"), command, flag],
                                 capture_output=True, text=True, env={"PATH": LOCAL_BIN})
        assert wanted in version.stdout, (name, version.stdout, version.stderr)
