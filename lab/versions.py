"""Every version the lab builds, boots or installs, in one table keyed by Kubernetes release.

Why one table: a Kubernetes release fixes the etcd, CoreDNS and pause versions kubeadm
deploys (``cmd/kubeadm/app/constants``), and the containerd line that supports it
(containerd's RELEASES.md matrix); the Pulumi plugins must be exactly what the pinned
PyPI wheels request. Reading them off one row keeps the toolchain, the images, the apt
mirror and the stack config in agreement.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KubernetesRow:
    """What one Kubernetes patch release needs around it."""

    kubernetes: str  # k8s.io/kubernetes module version, e.g. "1.35.4"
    etcd: str  # kubeadm constants.DefaultEtcdVersion without the "-0" image suffix
    etcd_image_suffix: str  # "-0": kubeadm's etcd image tag is "<etcd>-0"
    coredns: str  # kubeadm constants.CoreDNSVersion ("v1.13.1")
    pause: str  # kubeadm constants.PauseVersion
    containerd: str  # a containerd 2.x release that supports this Kubernetes minor
    runc: str  # the runc line that containerd release is tested with
    cri_tools: str  # crictl: the nearest cri-tools release the module proxy serves
    # the k8s.io/* modules k8s.io/kubernetes' go.mod replaces with ./staging/src/...: a build
    # outside that repository must pin each of them to ``staging`` (lab/toolchain checks the list)
    staging_modules: tuple[str, ...] = ()

    @property
    def minor(self) -> int:
        return int(self.kubernetes.split(".")[1])

    @property
    def staging(self) -> str:
        """The ``v0.X.Y`` version of the k8s.io staging modules of this release."""
        _, minor, patch = self.kubernetes.split(".")
        return f"v0.{minor}.{patch}"

    @property
    def etcd_image_tag(self) -> str:
        return f"{self.etcd}{self.etcd_image_suffix}"


# k8s.io/kubernetes v1.35.4's go.mod: the modules it replaces with ./staging/src/...
STAGING_1_35 = (
    "api", "apiextensions-apiserver", "apimachinery", "apiserver", "cli-runtime",
    "client-go", "cloud-provider", "cluster-bootstrap", "code-generator",
    "component-base", "component-helpers", "controller-manager", "cri-api",
    "cri-client", "csi-translation-lib", "dynamic-resource-allocation",
    "endpointslice", "externaljwt", "kms", "kube-aggregator",
    "kube-controller-manager", "kube-proxy", "kube-scheduler", "kubectl", "kubelet",
    "metrics", "mount-utils", "pod-security-admission", "sample-apiserver",
    "sample-cli-plugin", "sample-controller",
)

KUBERNETES: dict[str, KubernetesRow] = {
    "1.35.4": KubernetesRow(
        kubernetes="1.35.4",
        etcd="3.6.6",
        etcd_image_suffix="-0",
        coredns="v1.13.1",
        pause="3.10.1",
        containerd="2.2.9",
        runc="1.3.4",
        cri_tools="1.34.0",
        staging_modules=STAGING_1_35,
    ),
    # The lab's upgrade test moves a running cluster one minor up (1.35.4 -> 1.36.1), then
    # one patch (1.36.1 -> 1.36.3): the module proxy serves one 1.35 patch only, two 1.36
    # ones. 1.36.1 and 1.36.3 deploy the same etcd, CoreDNS and pause (kubeadm's constants),
    # so the patch adds one build. containerd, runc and crictl stay those of 1.35's row:
    # containerd's matrix lists "1.36 | 2.3.0+, 2.2.0+", and a node keeps its containerd.
    **{patch: KubernetesRow(
        kubernetes=patch,
        etcd="3.6.8",
        etcd_image_suffix="-0",
        coredns="v1.14.2",
        pause="3.10.2",
        containerd="2.2.9",
        runc="1.3.4",
        cri_tools="1.34.0",
        # 1.36's go.mod replaces two more: cri-streaming and streaming
        staging_modules=tuple(sorted((*STAGING_1_35, "cri-streaming", "streaming"))),
    ) for patch in ("1.36.1", "1.36.3")},
}

# The release every lab cluster is brought up with, then the releases its upgrade test
# moves one cluster through, in order: a minor upgrade, then a patch one.
LAB_RELEASE = "1.35.4"
UPGRADE_PATH = ("1.36.1", "1.36.3")


@dataclass(frozen=True)
class PulumiRow:
    """The Pulumi toolchain: CLI and language host from one pulumi/pulumi tag, and the
    provider plugins at exactly the versions the pinned PyPI wheels request."""

    cli: str  # github.com/pulumi/pulumi/pkg/v3 tag the module proxy serves
    python_sdk: str  # the PyPI `pulumi` wheel (requirements.txt)
    kubernetes_plugin: str  # PyPI `pulumi-kubernetes` == provider/v4 commit of tag v<this>
    kubernetes_provider_module: str  # provider/v4 pseudo-version of that tag's commit
    command_plugin: str  # PyPI `pulumi-command`; its provider module is not served (see lab/standins)
    # pulumi-language-python/v3 has no tags: the pseudo-version of the pkg/v<cli> tag's commit;
    # "" while that commit is unknown here (the language host then cannot be built)
    language_host_module: str = ""


PULUMI = PulumiRow(
    cli="3.276.0",
    python_sdk="3.272.0",
    kubernetes_plugin="4.25.0",
    kubernetes_provider_module="v4.0.0-20260115033456-f47bc2d6f199",
    command_plugin="1.2.1",
)

GO_VERSION = "1.26"  # the local Go toolchain every build uses (GOTOOLCHAIN=local)
