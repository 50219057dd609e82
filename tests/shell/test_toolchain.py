"""The toolchain: its plan (pure), its cache rules, and the built binaries' versions.

The binary tests run what `python -m lab.toolchain build` stored; they skip, naming the
command to run, only when a build is not in the cache (CI builds it first).
"""

from __future__ import annotations

import json
import os
import select
import subprocess
from pathlib import Path

import pytest

from lab.toolchain import ensure
from lab.toolchain import gomod
from lab.toolchain.__main__ import main
from lab.toolchain.build import BuildError, ensure_built, go_env
from lab.toolchain.cache import DEFAULT_ROOT, Layout, cache_root, is_cached, missing_reason
from lab.toolchain.plan import apt_packages, lab_kubernetes, plan, select as select_specs
from lab.toolchain.spec import BuildSpec, GoBuild, VersionCheck
from lab.versions import PULUMI

ROW = lab_kubernetes()
SPECS = {spec.name: spec for spec in plan()}
LAYOUT = Layout(cache_root())


def stamps(spec: BuildSpec) -> dict[str, str]:
    return {symbol: value for step in spec.builds for symbol, value in step.ldflags_x}


# ---- the plan --------------------------------------------------------------------------

def test_plan_order_is_the_order_the_project_needs() -> None:
    assert list(SPECS) == ["pulumi", "pulumi-language-python", "pulumi-resource-kubernetes",
                           "kubernetes", "containerd", "runc", "crictl", "etcd", "coredns"]


def kubernetes_go_mods() -> list[Path]:
    """The real go.mod of the planned release, wherever a module cache holds it."""
    version = f"v{ROW.kubernetes}"
    return [path for root in (LAYOUT.gomodcache, Path.home() / "go" / "pkg" / "mod")
            for path in (root / "cache" / "download" / "k8s.io" / "kubernetes" / "@v" / f"{version}.mod",
                         root / "k8s.io" / f"kubernetes@{version}" / "go.mod")
            if path.is_file()]


def test_kubernetes_replaces_pin_every_staging_module_of_the_real_go_mod() -> None:
    go_mods = kubernetes_go_mods()
    if not go_mods:
        pytest.skip(f"k8s.io/kubernetes@v{ROW.kubernetes} is in no module cache here")
    text = go_mods[0].read_text()
    planned = dict(SPECS["kubernetes"].replaces)
    staging = {r.module for r in gomod.replaces(text) if "/staging/" in r.target}
    assert staging and staging <= planned.keys()
    assert gomod.problems(text, planned) == []
    assert {target for target in planned.values()} == {f"{m} {ROW.staging}" for m in planned}


def test_kubernetes_replaces_use_the_release_staging_version() -> None:
    replaces = dict(SPECS["kubernetes"].replaces)
    assert replaces["k8s.io/client-go"] == f"k8s.io/client-go v0.{ROW.minor}.{ROW.kubernetes.split('.')[2]}"
    assert len(replaces) == len(ROW.staging_modules) > 20


GO_MOD = """module example.com/app

go 1.25.0

godebug default=go1.25

require (
\texample.com/staged v0.0.0
\texample.com/sibling v1.2.3 // indirect
)

replace (
\texample.com/staged => ./staging/staged
\texample.com/sibling => ../sibling
)

replace example.com/lib v1.0.0 => example.com/fork v1.0.1
replace example.com/never => ./FORBIDDEN_DEPENDENCY
"""


def test_go_mod_reading() -> None:
    assert gomod.module_path(GO_MOD) == "example.com/app"
    assert gomod.godebug(GO_MOD) == [("default", "go1.25")]
    assert gomod.pins_needed(GO_MOD) == {"example.com/staged"}
    assert gomod.forks(GO_MOD) == {"example.com/lib": "example.com/fork v1.0.1"}


def test_go_mod_problems_name_a_missing_pin_and_a_missing_fork() -> None:
    problems = gomod.problems(GO_MOD, {})
    assert len(problems) == 2
    assert "example.com/staged" in problems[0] and "example.com/fork v1.0.1" in problems[1]
    assert gomod.problems(GO_MOD, {"example.com/staged": "example.com/staged v0.1.0",
                                   "example.com/lib": "example.com/fork v1.0.1"}) == []


@pytest.mark.parametrize(("name", "symbol", "value"), [
    ("pulumi", "github.com/pulumi/pulumi/sdk/v3/go/common/version.Version", f"v{PULUMI.cli}"),
    ("pulumi-language-python", "github.com/pulumi/pulumi/sdk/v3/go/common/version.Version", f"v{PULUMI.cli}"),
    ("pulumi-resource-kubernetes", "github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version",
     PULUMI.kubernetes_plugin),
    ("kubernetes", "k8s.io/component-base/version.gitVersion", f"v{ROW.kubernetes}"),
    ("kubernetes", "k8s.io/client-go/pkg/version.gitVersion", f"v{ROW.kubernetes}"),
    ("kubernetes", "k8s.io/component-base/version.gitMinor", str(ROW.minor)),
    ("kubernetes", "k8s.io/component-base/version.gitTreeState", "clean"),
    ("containerd", "github.com/containerd/containerd/v2/version.Version", f"v{ROW.containerd}"),
    ("crictl", "sigs.k8s.io/cri-tools/pkg/version.Version", ROW.cri_tools),
    ("etcd", "go.etcd.io/etcd/api/v3/version.GitSHA", f"v{ROW.etcd}"),
    ("coredns", "github.com/coredns/coredns/coremain.GitCommit", ROW.coredns),
])
def test_ldflags_stamp_the_version(name: str, symbol: str, value: str) -> None:
    spec = SPECS[name]
    assert stamps(spec)[symbol] == value
    assert all(f"-X {symbol}={value}" in step.ldflags() for step in spec.builds)


def test_kubernetes_is_one_go_build_of_all_seven_commands() -> None:
    (step,) = SPECS["kubernetes"].builds
    argv = step.argv("/out")
    assert argv[:3] == ["go", "build", "-trimpath"] and "/out/" in argv
    assert [p.rsplit("/", 1)[1] for p in step.packages] == list(step.binaries)
    assert set(step.binaries) == {"kubeadm", "kubelet", "kubectl", "kube-apiserver",
                                  "kube-controller-manager", "kube-scheduler", "kube-proxy"}


def test_only_runc_needs_cgo_and_its_debian_packages_are_listed() -> None:
    cgo = {name for name, spec in SPECS.items() if any(step.cgo for step in spec.builds)}
    assert cgo == {"runc"}
    assert "seccomp" in SPECS["runc"].builds[0].tags
    assert {"libseccomp-dev", "gcc", "pkg-config"} <= set(apt_packages())


def test_containerd_shim_is_built_without_grpc_like_upstream() -> None:
    daemon, shim = SPECS["containerd"].builds
    assert "no_grpc" in shim.tags and "no_grpc" not in daemon.tags
    assert shim.binaries == ("containerd-shim-runc-v2",)


def test_etcd_binary_is_named_etcd_not_after_its_v3_package() -> None:
    server = SPECS["etcd"].builds[0]
    assert server.packages == ("go.etcd.io/etcd/server/v3",)
    assert server.argv("/out")[server.argv("/out").index("-o") + 1] == "/out/etcd"


def test_language_host_is_blocked_exactly_while_its_commit_is_unknown() -> None:
    spec = SPECS["pulumi-language-python"]
    assert bool(spec.blocked) == (not PULUMI.language_host_module)
    assert "pulumi-language-python-exec" in spec.binaries


def test_kubernetes_provider_generates_its_embedded_files_with_the_plugin_version() -> None:
    copied = SPECS["pulumi-resource-kubernetes"].copied
    assert copied is not None and copied.version == PULUMI.kubernetes_provider_module
    assert dict(copied.generate_env) == {"VERSION": PULUMI.kubernetes_plugin}
    assert copied.drop_replaces == ("github.com/pulumi/pulumi-kubernetes/sdk/v4",)


def test_plan_is_pure_and_the_recipe_fingerprint_follows_the_flags() -> None:
    assert plan() == plan()
    spec = SPECS["crictl"]
    restamped = BuildSpec(**{**spec.__dict__, "builds": (GoBuild(
        spec.builds[0].packages, spec.builds[0].binaries, ldflags_x=(("x.Version", "other"),)),)})
    assert restamped.fingerprint() != spec.fingerprint()
    assert spec.fingerprint() == SPECS["crictl"].fingerprint()


# ---- the cache -------------------------------------------------------------------------

def test_cache_keys_are_name_and_version_under_som_cache() -> None:
    assert cache_root({}) == DEFAULT_ROOT == Path("/var/cache/spark-on-metal")
    root = cache_root({"SOM_CACHE": "/tmp/som"})
    layout = Layout(root)
    kube = SPECS["kubernetes"]
    assert layout.bin_dir(kube) == Path(f"/tmp/som/toolchain/kubernetes/{ROW.kubernetes}/bin")
    assert layout.gomodcache == root / "go" / "mod" and layout.gocache == root / "go" / "build"
    assert not [s.version for s in SPECS.values() if s.version.startswith("v")]
    keys = {(s.name, s.version) for s in SPECS.values()}
    assert len(keys) == len(SPECS)


def test_go_env_is_local_toolchain_and_caches_under_the_root(tmp_path: Path) -> None:
    env = go_env(Layout(tmp_path), cgo=True)
    assert env["GOTOOLCHAIN"] == "local" and env["CGO_ENABLED"] == "1"
    assert env["GOMODCACHE"] == str(tmp_path / "go" / "mod")
    assert env["GOCACHE"] == str(tmp_path / "go" / "build")
    assert go_env(Layout(tmp_path))["CGO_ENABLED"] == "0"


def fake_build(layout: Layout, spec: BuildSpec) -> None:
    """What a finished build leaves: binaries, then the stamp."""
    layout.bin_dir(spec).mkdir(parents=True)
    for binary in spec.binaries:
        (layout.bin_dir(spec) / binary).write_text("#!/bin/sh\n")
    layout.stamp(spec).write_text(json.dumps({"recipe": spec.fingerprint()}))


def test_a_missing_stamp_or_binary_or_another_recipe_means_rebuild(tmp_path: Path) -> None:
    layout, spec = Layout(tmp_path), SPECS["containerd"]
    assert missing_reason(layout, spec) == "no stamp"
    fake_build(layout, spec)
    assert is_cached(layout, spec)
    (layout.bin_dir(spec) / "ctr").unlink()
    assert missing_reason(layout, spec) == "missing ctr"
    (layout.bin_dir(spec) / "ctr").write_text("")
    layout.stamp(spec).write_text("{trunc")
    assert missing_reason(layout, spec) == "no stamp"
    layout.stamp(spec).write_text(json.dumps({"recipe": "0" * 16}))
    assert missing_reason(layout, spec) == "built from another recipe"


def test_ensure_returns_cached_bin_dirs_without_building(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    fake_build(layout, SPECS["crictl"])
    fake_build(layout, SPECS["etcd"])
    assert ensure(["etcd", "crictl"], layout) == {"crictl": layout.bin_dir(SPECS["crictl"]),
                                                  "etcd": layout.bin_dir(SPECS["etcd"])}
    assert not (tmp_path / "go").exists()


def test_unknown_names_are_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match="unknown toolchain build kubelet"):
        select_specs(plan(), ["etcd", "kubelet"])
    assert main(["build", "kubelet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "known: pulumi," in err


def test_a_blocked_build_fails_before_touching_the_cache(tmp_path: Path) -> None:
    spec = BuildSpec(name="x", version="1", builds=(), blocked="the module is not served")
    with pytest.raises(BuildError, match="not served"):
        ensure_built(spec, Layout(tmp_path))
    assert not Layout(tmp_path).version_dir(spec).exists()


def shared_go_caches(tmp_path: Path) -> Layout:
    """A fresh cache root whose Go caches are the real ones (so a std build is quick)."""
    (tmp_path / "go").mkdir()
    for name in ("mod", "build"):
        (LAYOUT.root / "go" / name).mkdir(parents=True, exist_ok=True)
        (tmp_path / "go" / name).symlink_to(LAYOUT.root / "go" / name)
    return Layout(tmp_path)


def test_a_real_build_installs_binaries_and_stamp_and_a_failed_one_installs_nothing(tmp_path: Path) -> None:
    """End to end on a standard-library command: no module download needed."""
    layout = shared_go_caches(tmp_path)
    spec = BuildSpec(name="buildid", version="1", builds=(GoBuild(("cmd/buildid",), ("buildid",)),))
    manifest = ensure_built(spec, layout)
    assert manifest is not None and is_cached(layout, spec)
    stamp = json.loads(layout.stamp(spec).read_text())
    assert stamp["binaries"]["buildid"] == manifest["binaries"]["buildid"] and stamp["seconds"] >= 0
    assert ensure_built(spec, layout) is None  # cached
    broken = BuildSpec(name="broken", version="1", builds=(GoBuild(("cmd/no-such-command",), ("x",)),))
    with pytest.raises(BuildError, match="no-such-command"):
        ensure_built(broken, layout)
    parent = layout.version_dir(broken).parent
    assert not layout.version_dir(broken).exists() and not list(parent.glob(".1.tmp-*"))


# ---- the built binaries ----------------------------------------------------------------

def built(spec: BuildSpec) -> Path:
    if spec.blocked:
        pytest.skip(f"{spec.name} cannot be built here: {spec.blocked}")
    reason = missing_reason(LAYOUT, spec)
    if reason:
        pytest.skip(f"toolchain not built ({spec.name}: {reason}): python -m lab.toolchain build {spec.name}")
    return LAYOUT.bin_dir(spec)


CHECKS = [(spec.name, check) for spec in plan() for check in spec.checks]


@pytest.mark.parametrize(("name", "check"), CHECKS, ids=[f"{c.binary}" for _, c in CHECKS])
def test_built_binary_reports_its_version(name: str, check: VersionCheck) -> None:
    bin_dir = built(SPECS[name])
    result = subprocess.run([str(bin_dir / check.binary), *check.args], capture_output=True, text=True,
                            timeout=60, check=False, env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent",
                                                          "PULUMI_SKIP_UPDATE_CHECK": "true"})
    assert check.expect in result.stdout + result.stderr, result.stdout + result.stderr


def test_kubeadm_version_short_is_exactly_the_release() -> None:
    bin_dir = built(SPECS["kubernetes"])
    out = subprocess.run([str(bin_dir / "kubeadm"), "version", "-o", "short"], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    assert out.strip() == f"v{ROW.kubernetes}"


@pytest.mark.parametrize("name", list(SPECS))
def test_stamp_hashes_match_the_installed_binaries(name: str) -> None:
    import hashlib

    bin_dir = built(SPECS[name])
    stamp = json.loads(LAYOUT.stamp(SPECS[name]).read_text())
    for binary, digest in stamp["binaries"].items():
        assert hashlib.sha256((bin_dir / binary).read_bytes()).hexdigest() == digest, binary


def test_kubernetes_provider_serves_and_reports_its_plugin_version() -> None:
    """The engine starts a plugin, reads its port from stdout and asks GetPluginInfo."""
    grpc = pytest.importorskip("grpc")
    from google.protobuf import empty_pb2
    from pulumi.runtime.proto import provider_pb2_grpc

    bin_dir = built(SPECS["pulumi-resource-kubernetes"])
    proc = subprocess.Popen([str(bin_dir / "pulumi-resource-kubernetes")], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True,
                            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/nonexistent"})
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        assert ready, "the provider printed no port within 60s"
        port = int(proc.stdout.readline().strip())  # type: ignore[union-attr]
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=30)
            info = provider_pb2_grpc.ResourceProviderStub(channel).GetPluginInfo(empty_pb2.Empty(), timeout=30)
        assert info.version == PULUMI.kubernetes_plugin
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
