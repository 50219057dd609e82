"""Which builds the lab's toolchain consists of, computed from lab/versions.py alone.

Why a pure plan: the list of modules, flags and binaries is what a reviewer checks and
what the cache keys on; it must not depend on what this machine happens to have. Each
builder below reads one project's own release tooling (Makefile, build script) and
states the same tags and version stamps, so every binary reports the version it is.

Where a project stamps a commit id and the module proxy (which carries no VCS data)
cannot tell us one, the module version tag is stamped instead: it names the source
exactly. The order of ``plan()`` is the order other helpers need the binaries in.
"""

from __future__ import annotations

from ..versions import KUBERNETES, LAB_RELEASE, PULUMI, UPGRADE_PATH, KubernetesRow, PulumiRow
from .spec import BuildSpec, CopiedModule, GoBuild, ModuleFile, VersionCheck

PULUMI_REPO = "github.com/pulumi/pulumi"
PULUMI_VERSION_SYMBOL = f"{PULUMI_REPO}/sdk/v3/go/common/version.Version"
# pkg/v3 and the language host both build with this fork (their go.mod replace lines)
PULUMI_FORKS = (("github.com/atotto/clipboard",
                 "github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e"),)
LANGUAGE_HOST_MODULE = f"{PULUMI_REPO}/sdk/python/cmd/pulumi-language-python/v3"
K8S_PROVIDER_MODULE = "github.com/pulumi/pulumi-kubernetes/provider/v4"
KUBERNETES_COMMANDS = ("kubeadm", "kubelet", "kubectl", "kube-apiserver",
                       "kube-controller-manager", "kube-scheduler", "kube-proxy")
# k8s.io/kubernetes stamps buildDate from SOURCE_DATE_EPOCH when set: a fixed date keeps
# the build reproducible (same inputs, same bytes)
KUBERNETES_BUILD_DATE = "1970-01-01T00:00:00Z"
CONTAINERD = "github.com/containerd/containerd/v2"
RUNC_APT = ("gcc", "libc6-dev", "libseccomp-dev", "pkg-config")


def lab_kubernetes() -> KubernetesRow:
    """The row every lab cluster is brought up with (the toolchain's default)."""
    return KUBERNETES[LAB_RELEASE]


def upgrade_path() -> tuple[KubernetesRow, ...]:
    """The rows the lab's upgrade test moves a running cluster through, in order."""
    return tuple(KUBERNETES[release] for release in UPGRADE_PATH)


def bare(version: str) -> str:
    """A cache-key version: without the leading "v" some tables carry."""
    return version.removeprefix("v")


def pulumi_cli(p: PulumiRow) -> BuildSpec:
    tag = f"v{p.cli}"
    return BuildSpec(
        name="pulumi", version=p.cli,
        requires=(f"{PULUMI_REPO}/pkg/v3/cmd/pulumi@{tag}",),
        replaces=PULUMI_FORKS, upstream=f"{PULUMI_REPO}/pkg/v3@{tag}",
        builds=(GoBuild((f"{PULUMI_REPO}/pkg/v3/cmd/pulumi",), ("pulumi",),
                        ldflags_x=((PULUMI_VERSION_SYMBOL, tag),)),),
        checks=(VersionCheck("pulumi", ("version",), tag),),
        versions=(("pulumi/pkg/v3", tag),),
    )


def python_language_host(p: PulumiRow) -> BuildSpec:
    """The language host and the exec script it runs, from the CLI's own release.

    The script is part of the sdk/v3 module (``python/cmd/pulumi-language-python-exec``)
    and the host looks for it beside itself.
    """
    tag = f"v{p.cli}"
    module = p.language_host_module or "<pseudo-version of the pkg/" + tag + " commit>"
    return BuildSpec(
        name="pulumi-language-python", version=p.cli,
        requires=(f"{LANGUAGE_HOST_MODULE}@{module}", f"{PULUMI_REPO}/pkg/v3@{tag}",
                  f"{PULUMI_REPO}/sdk/v3@{tag}"),
        replaces=PULUMI_FORKS, upstream=f"{LANGUAGE_HOST_MODULE}@{module}",
        builds=(GoBuild((LANGUAGE_HOST_MODULE,), ("pulumi-language-python",),
                        ldflags_x=((PULUMI_VERSION_SYMBOL, tag),)),),
        files=(ModuleFile(f"{PULUMI_REPO}/sdk/v3", tag, "python/cmd/pulumi-language-python-exec",
                          "pulumi-language-python-exec"),),
        checks=(VersionCheck("pulumi-language-python", ("-version",), tag),),
        versions=(("pulumi-language-python/v3", module), ("pulumi/sdk/v3", tag)),
        blocked="" if p.language_host_module else (
            f"the Go module proxy refuses {LANGUAGE_HOST_MODULE} (403 'This module version is "
            f"not available' for @latest and for the pseudo-versions of tags pkg/v3.258.0 and "
            f"pkg/v3.259.0); it has no tags and the commit of pkg/{tag} is unknown here: set "
            "PulumiRow.language_host_module in lab/versions.py once one is served"),
    )


def kubernetes_provider(p: PulumiRow) -> BuildSpec:
    """pulumi-resource-kubernetes, built in a copy of its module.

    Its main.go embeds schema-embed.json and terraform-mapping-embed.json, which its
    ``go generate`` (generate.go, VERSION from the environment) writes from the
    committed schema.json; the module's ``sdk/v4 => ../sdk`` replace points outside it.
    """
    provider = f"{K8S_PROVIDER_MODULE}/cmd/pulumi-resource-kubernetes"
    return BuildSpec(
        name="pulumi-resource-kubernetes", version=p.kubernetes_plugin,
        copied=CopiedModule(
            K8S_PROVIDER_MODULE, p.kubernetes_provider_module,
            drop_replaces=("github.com/pulumi/pulumi-kubernetes/sdk/v4",),
            generate=("cmd/pulumi-resource-kubernetes",),
            generate_env=(("VERSION", p.kubernetes_plugin),)),
        upstream=f"{K8S_PROVIDER_MODULE}@{p.kubernetes_provider_module}",
        builds=(GoBuild((provider,), ("pulumi-resource-kubernetes",),
                        ldflags_x=((f"{K8S_PROVIDER_MODULE}/pkg/version.Version", p.kubernetes_plugin),)),),
        versions=(("provider/v4", p.kubernetes_provider_module),),
    )


def kubernetes_version_stamps(row: KubernetesRow) -> tuple[tuple[str, str], ...]:
    """hack/lib/version.sh's ldflags: the same keys into component-base and client-go."""
    values = (("gitVersion", f"v{row.kubernetes}"), ("gitMajor", row.kubernetes.split(".")[0]),
              ("gitMinor", str(row.minor)), ("gitTreeState", "clean"),
              ("buildDate", KUBERNETES_BUILD_DATE))
    return tuple((f"{package}.{key}", value)
                 for package in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version")
                 for key, value in values)


def staging_replaces(row: KubernetesRow) -> tuple[tuple[str, str], ...]:
    """Every staging module pinned to this release's v0.X.Y (go.mod requires v0.0.0)."""
    return tuple((f"k8s.io/{name}", f"k8s.io/{name} {row.staging}") for name in row.staging_modules)


def kubernetes(row: KubernetesRow) -> BuildSpec:
    tag = f"v{row.kubernetes}"
    return BuildSpec(
        name="kubernetes", version=row.kubernetes,
        requires=tuple(f"k8s.io/kubernetes/cmd/{c}@{tag}" for c in KUBERNETES_COMMANDS),
        replaces=staging_replaces(row), upstream=f"k8s.io/kubernetes@{tag}",
        builds=(GoBuild(tuple(f"k8s.io/kubernetes/cmd/{c}" for c in KUBERNETES_COMMANDS),
                        KUBERNETES_COMMANDS, ldflags_x=kubernetes_version_stamps(row)),),
        checks=(VersionCheck("kubeadm", ("version", "-o", "short"), tag),
                VersionCheck("kubectl", ("version", "--client"), f"Client Version: {tag}"),
                *(VersionCheck(c, ("--version",), f"Kubernetes {tag}")
                  for c in KUBERNETES_COMMANDS if c not in ("kubeadm", "kubectl"))),
        versions=(("k8s.io/kubernetes", tag), ("staging", row.staging)),
    )


def containerd(row: KubernetesRow) -> BuildSpec:
    """containerd's Makefile: urfave_cli_no_docs everywhere, no_grpc for the shim.

    Without cgo the btrfs snapshotter (``!no_btrfs && cgo``) is left out anyway; the
    tag says so explicitly. The shim is built CGO-off upstream too (SHIM_CGO_ENABLED=0).
    """
    tag = f"v{row.containerd}"
    stamps = ((f"{CONTAINERD}/version.Version", tag), (f"{CONTAINERD}/version.Revision", tag),
              (f"{CONTAINERD}/version.Package", CONTAINERD))
    tags = ("urfave_cli_no_docs", "no_btrfs")
    return BuildSpec(
        name="containerd", version=row.containerd,
        requires=tuple(f"{CONTAINERD}/cmd/{c}@{tag}" for c in ("containerd", "ctr", "containerd-shim-runc-v2")),
        upstream=f"{CONTAINERD}@{tag}",
        builds=(GoBuild((f"{CONTAINERD}/cmd/containerd", f"{CONTAINERD}/cmd/ctr"), ("containerd", "ctr"),
                        ldflags_x=stamps, tags=tags),
                GoBuild((f"{CONTAINERD}/cmd/containerd-shim-runc-v2",), ("containerd-shim-runc-v2",),
                        ldflags_x=stamps, tags=(*tags, "no_grpc"))),
        checks=(VersionCheck("containerd", ("--version",), tag), VersionCheck("ctr", ("--version",), tag),
                VersionCheck("containerd-shim-runc-v2", ("-v",), tag)),
        versions=(("containerd/v2", tag),),
    )


def runc(row: KubernetesRow) -> BuildSpec:
    """runc's Makefile: cgo (libcontainer/nsenter is C), tags seccomp urfave_cli_no_docs.

    runc embeds its VERSION file as main.version, so the version needs no stamp; the
    Makefile stamps main.gitCommit from ``git describe``, here the tag.
    """
    tag = f"v{row.runc}"
    return BuildSpec(
        name="runc", version=row.runc,
        requires=(f"github.com/opencontainers/runc@{tag}",), upstream=f"github.com/opencontainers/runc@{tag}",
        builds=(GoBuild(("github.com/opencontainers/runc",), ("runc",), cgo=True,
                        tags=("seccomp", "urfave_cli_no_docs"), ldflags_x=(("main.gitCommit", tag),)),),
        checks=(VersionCheck("runc", ("--version",), f"runc version {row.runc}"),),
        apt=RUNC_APT, versions=(("runc", tag),),
    )


def crictl(row: KubernetesRow) -> BuildSpec:
    tag = f"v{row.cri_tools}"
    return BuildSpec(
        name="crictl", version=row.cri_tools,
        requires=(f"sigs.k8s.io/cri-tools/cmd/crictl@{tag}",), upstream=f"sigs.k8s.io/cri-tools@{tag}",
        builds=(GoBuild(("sigs.k8s.io/cri-tools/cmd/crictl",), ("crictl",),
                        ldflags_x=(("sigs.k8s.io/cri-tools/pkg/version.Version", row.cri_tools),)),),
        checks=(VersionCheck("crictl", ("--version",), f"crictl version {row.cri_tools}"),),
        versions=(("cri-tools", tag),),
    )


def etcd(row: KubernetesRow) -> BuildSpec:
    """etcd and etcdctl; the version is a constant in api/v3, the build script stamps GitSHA."""
    tag = f"v{row.etcd}"
    stamps = (("go.etcd.io/etcd/api/v3/version.GitSHA", tag),)
    return BuildSpec(
        name="etcd", version=row.etcd,
        requires=(f"go.etcd.io/etcd/server/v3@{tag}", f"go.etcd.io/etcd/etcdctl/v3@{tag}"),
        upstream=f"go.etcd.io/etcd/server/v3@{tag}",
        builds=(GoBuild(("go.etcd.io/etcd/server/v3",), ("etcd",), ldflags_x=stamps, output="etcd"),
                GoBuild(("go.etcd.io/etcd/etcdctl/v3",), ("etcdctl",), ldflags_x=stamps, output="etcdctl")),
        checks=(VersionCheck("etcd", ("--version",), f"etcd Version: {row.etcd}"),
                VersionCheck("etcdctl", ("version",), f"etcdctl version: {row.etcd}")),
        versions=(("etcd", tag),),
    )


def coredns(row: KubernetesRow) -> BuildSpec:
    tag = f"v{bare(row.coredns)}"
    return BuildSpec(
        name="coredns", version=bare(row.coredns),
        requires=(f"github.com/coredns/coredns@{tag}",), upstream=f"github.com/coredns/coredns@{tag}",
        builds=(GoBuild(("github.com/coredns/coredns",), ("coredns",),
                        ldflags_x=(("github.com/coredns/coredns/coremain.GitCommit", tag),)),),
        checks=(VersionCheck("coredns", ("-version",), f"CoreDNS-{bare(row.coredns)}"),),
        versions=(("coredns", tag),),
    )


def plan(row: KubernetesRow | None = None, pulumi: PulumiRow = PULUMI) -> list[BuildSpec]:
    """Every build of one release (default the lab's), in the order the rest of the
    project needs the binaries."""
    row = row or lab_kubernetes()
    return [pulumi_cli(pulumi), python_language_host(pulumi), kubernetes_provider(pulumi),
            kubernetes(row), containerd(row), runc(row), crictl(row), etcd(row), coredns(row)]


def every_build(rows: tuple[KubernetesRow, ...] | None = None) -> list[BuildSpec]:
    """What ``build`` makes: the lab release's plan, then what each further release (the
    upgrade test's) adds; a build two releases share (same name and version) once."""
    rows = rows or (lab_kubernetes(), *upgrade_path())
    found: dict[tuple[str, str], BuildSpec] = {}
    for row in rows:
        for spec in plan(row):
            found.setdefault((spec.name, spec.version), spec)
    return list(found.values())


def select(specs: list[BuildSpec], names: list[str]) -> list[BuildSpec]:
    """The named specs in plan order; an unknown name is a ValueError naming the known ones."""
    known = {s.name for s in specs}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown toolchain build {', '.join(unknown)} "
                         f"(known: {', '.join(s.name for s in specs)})")
    return [s for s in specs if not names or s.name in names]


def apt_packages(specs: list[BuildSpec] | None = None) -> list[str]:
    """Debian packages the builds need (the setup script installs them)."""
    return sorted({p for s in (specs if specs is not None else plan()) for p in s.apt})
