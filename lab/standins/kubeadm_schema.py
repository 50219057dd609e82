"""The fields the real kubeadm reads, per API version: what the kubeadm stand-in accepts.

Derived from the Go types, not guessed (json tags of each struct, field by field):
- kubeadm.k8s.io/v1beta3: kubernetes/kubernetes cmd/kubeadm/app/apis/kubeadm/v1beta3/types.go
  (commit 008b3652959ca58af8be3fb5b6ecfe9ae7638282)
- kubeadm.k8s.io/v1beta4: kubernetes/kubernetes cmd/kubeadm/app/apis/kubeadm/v1beta4/types.go
  (commit 1329935739c3aa007d23cb9a4dadfee9d59ff79b)
- BootstrapToken: cmd/kubeadm/app/apis/bootstraptoken/v1/types.go
- corev1.Taint / corev1.EnvVar: k8s.io/api core/v1 (key, value, effect, timeAdded /
  name, value, valueFrom)
- kubelet.config.k8s.io/v1beta1 KubeletConfiguration: kubernetes/kubelet
  config/v1beta1/types.go (commit 63b3249724f7d89a8aa48f9acb3811f193c9aa68, v1.37
  development; no top-level field was removed between v1.22 and it)
- kubeproxy.config.k8s.io/v1alpha1 KubeProxyConfiguration: kubernetes/kube-proxy
  config/v1alpha1/types.go (commit d37b2e75a8dce477550045acb61b3e1074813321), plus
  udpIdleTimeout, which v1.22-v1.25 still had.

Which kubeadm accepts which version (checked in the sources, see kubeadm_config.py):
v1beta3 from v1.22, deprecated (a warning) from v1.31, removed in v1.37 (CHANGELOG-1.37,
kubernetes/kubernetes#136016); v1beta4 experimental in v1.28-v1.30 (refused without
--allow-experimental-api), GA from v1.31.

A spec is: a scalar name (STR, BOOL, INT, DURATION, TIME, ANY), list_of(spec),
map_of(spec), or a dict {json field: spec} for a struct (unknown fields rejected).
Component configs are checked at the top level only.
"""

from __future__ import annotations

from typing import Any

STR, BOOL, INT, DURATION, TIME, ANY = "str", "bool", "int", "duration", "time", "any"

Spec = Any


def list_of(spec: Spec) -> tuple[str, Spec]:
    return ("list", spec)


def map_of(spec: Spec) -> tuple[str, Spec]:
    return ("map", spec)


TYPE_META = {"apiVersion": STR, "kind": STR}

# --- pieces identical in v1beta3 and v1beta4 ---
BOOTSTRAP_TOKEN = {
    "token": STR, "description": STR, "ttl": DURATION, "expires": TIME,
    "usages": list_of(STR), "groups": list_of(STR),
}
TAINT = {"key": STR, "value": STR, "effect": STR, "timeAdded": TIME}
API_ENDPOINT = {"advertiseAddress": STR, "bindPort": INT}
PATCHES = {"directory": STR}
HOST_PATH_MOUNT = {"name": STR, "hostPath": STR, "mountPath": STR, "readOnly": BOOL, "pathType": STR}
NETWORKING = {"serviceSubnet": STR, "podSubnet": STR, "dnsDomain": STR}
IMAGE_META = {"imageRepository": STR, "imageTag": STR}
EXTERNAL_ETCD = {"endpoints": list_of(STR), "caFile": STR, "certFile": STR, "keyFile": STR}
BOOTSTRAP_TOKEN_DISCOVERY = {
    "token": STR, "apiServerEndpoint": STR, "caCertHashes": list_of(STR),
    "unsafeSkipCAVerification": BOOL,
}
FILE_DISCOVERY = {"kubeConfigPath": STR}
JOIN_CONTROL_PLANE = {"localAPIEndpoint": API_ENDPOINT, "certificateKey": STR}
NODE_REGISTRATION_COMMON = {
    "name": STR, "criSocket": STR, "taints": list_of(TAINT),
    "ignorePreflightErrors": list_of(STR), "imagePullPolicy": STR,
}


def _version(extra_args: Spec, version_only: dict[str, dict[str, Spec]]) -> dict[str, Spec]:
    """Build one API version's kinds from the shared pieces.

    extra_args: how extraArgs / kubeletExtraArgs are typed (a map in v1beta3, a list
    of {name, value} in v1beta4). version_only: fields a version adds, per struct.
    """
    def add(struct: str, fields: dict[str, Spec]) -> dict[str, Spec]:
        return {**fields, **version_only.get(struct, {})}

    component = add("ControlPlaneComponent", {"extraArgs": extra_args, "extraVolumes": list_of(HOST_PATH_MOUNT)})
    node_registration = add("NodeRegistrationOptions", {**NODE_REGISTRATION_COMMON, "kubeletExtraArgs": extra_args})
    local_etcd = add("LocalEtcd", {
        **IMAGE_META, "dataDir": STR, "extraArgs": extra_args,
        "serverCertSANs": list_of(STR), "peerCertSANs": list_of(STR),
    })
    return {
        "InitConfiguration": add("InitConfiguration", {
            **TYPE_META, "bootstrapTokens": list_of(BOOTSTRAP_TOKEN),
            "nodeRegistration": node_registration, "localAPIEndpoint": API_ENDPOINT,
            "certificateKey": STR, "skipPhases": list_of(STR), "patches": PATCHES,
        }),
        "ClusterConfiguration": add("ClusterConfiguration", {
            **TYPE_META,
            "etcd": {"local": local_etcd, "external": EXTERNAL_ETCD},
            "networking": NETWORKING, "kubernetesVersion": STR, "controlPlaneEndpoint": STR,
            "apiServer": add("APIServer", {**component, "certSANs": list_of(STR)}),
            "controllerManager": component, "scheduler": component,
            "dns": add("DNS", dict(IMAGE_META)),
            "certificatesDir": STR, "imageRepository": STR,
            "featureGates": map_of(BOOL), "clusterName": STR,
        }),
        "JoinConfiguration": add("JoinConfiguration", {
            **TYPE_META, "nodeRegistration": node_registration, "caCertPath": STR,
            "discovery": add("Discovery", {
                "bootstrapToken": BOOTSTRAP_TOKEN_DISCOVERY, "file": FILE_DISCOVERY,
                "tlsBootstrapToken": STR,
            }),
            "controlPlane": JOIN_CONTROL_PLANE, "skipPhases": list_of(STR), "patches": PATCHES,
        }),
    }


TIMEOUTS = {
    name: DURATION
    for name in (
        "controlPlaneComponentHealthCheck", "kubeletHealthCheck", "kubernetesAPICall",
        "etcdAPICall", "tlsBootstrap", "discovery", "upgradeManifests",
    )
}
ENV_VAR = {"name": STR, "value": STR, "valueFrom": ANY}

V1BETA3 = _version(map_of(STR), {
    "APIServer": {"timeoutForControlPlane": DURATION},
    "Discovery": {"timeout": DURATION},
})
V1BETA4 = _version(list_of({"name": STR, "value": STR}), {
    "InitConfiguration": {"dryRun": BOOL, "timeouts": TIMEOUTS},
    "JoinConfiguration": {"dryRun": BOOL, "timeouts": TIMEOUTS},
    "ClusterConfiguration": {
        "proxy": {"disabled": BOOL}, "encryptionAlgorithm": STR,
        "certificateValidityPeriod": DURATION, "caCertificateValidityPeriod": DURATION,
    },
    "ControlPlaneComponent": {"extraEnvs": list_of(ENV_VAR)},
    "LocalEtcd": {"extraEnvs": list_of(ENV_VAR)},
    "DNS": {"disabled": BOOL},
    "NodeRegistrationOptions": {"imagePullSerial": BOOL},
})

ENCRYPTION_ALGORITHMS = ("RSA-2048", "RSA-3072", "RSA-4096", "ECDSA-P256", "ECDSA-P384")

KUBELET_CONFIGURATION_FIELDS = """
enableServer staticPodPath podLogsDir syncFrequency fileCheckFrequency
httpCheckFrequency staticPodURL staticPodURLHeader address port readOnlyPort tlsCertFile
tlsPrivateKeyFile tlsCipherSuites tlsCurvePreferences tlsMinVersion rotateCertificates
serverTLSBootstrap authentication authorization registryPullQPS registryBurst
imagePullCredentialsVerificationPolicy preloadedImagesVerificationAllowlist
eventRecordQPS eventBurst enableDebuggingHandlers enableContentionProfiling healthzPort
healthzBindAddress oomScoreAdj clusterDomain clusterDNS streamingConnectionIdleTimeout
nodeStatusUpdateFrequency nodeStatusReportFrequency nodeLeaseDurationSeconds
imageMinimumGCAge imageMaximumGCAge imageGCHighThresholdPercent
imageGCLowThresholdPercent volumeStatsAggPeriod kubeletCgroups systemCgroups cgroupRoot
cgroupsPerQOS cgroupDriver cpuManagerPolicy singleProcessOOMKill cpuManagerPolicyOptions
cpuManagerReconcilePeriod memoryManagerPolicy topologyManagerPolicy topologyManagerScope
topologyManagerPolicyOptions qosReserved runtimeRequestTimeout hairpinMode maxPods
podCIDR podPidsLimit resolvConf runOnce cpuCFSQuota cpuCFSQuotaPeriod
nodeStatusMaxImages maxOpenFiles contentType kubeAPIQPS kubeAPIBurst serializeImagePulls
maxParallelImagePulls evictionHard evictionSoft evictionSoftGracePeriod
evictionPressureTransitionPeriod evictionMaxPodGracePeriod evictionMinimumReclaim
mergeDefaultEvictionSettings podsPerCore enableControllerAttachDetach
protectKernelDefaults makeIPTablesUtilChains iptablesMasqueradeBit iptablesDropBit
featureGates failSwapOn memorySwap containerLogMaxSize containerLogMaxFiles
containerLogMaxWorkers containerLogMonitorInterval
configMapAndSecretChangeDetectionStrategy systemReserved kubeReserved reservedSystemCPUs
showHiddenMetricsForVersion systemReservedCgroup kubeReservedCgroup
enforceNodeAllocatable allowedUnsafeSysctls defaultPodSysctls volumePluginDir providerID
kernelMemcgNotification logging enableSystemLogHandler enableSystemLogQuery
shutdownGracePeriod shutdownGracePeriodCriticalPods shutdownGracePeriodByPodPriority
crashLoopBackOff reservedMemory enableProfilingHandler enableDebugFlagsHandler
seccompDefault memoryThrottlingFactor memoryReservationPolicy registerWithTaints
registerNode tracing localStorageCapacityIsolation containerRuntimeEndpoint
imageServiceEndpoint failCgroupV1 userNamespaces
""".split()

KUBE_PROXY_CONFIGURATION_FIELDS = """
featureGates clientConnection logging hostnameOverride bindAddress healthzBindAddress
metricsBindAddress bindAddressHardFail enableProfiling showHiddenMetricsForVersion mode
iptables ipvs nftables winkernel detectLocalMode detectLocal clusterCIDR
nodePortAddresses oomScoreAdj conntrack configSyncPeriod portRange windowsRunAsService
udpIdleTimeout
""".split()

COMPONENT_CONFIGS = {
    ("kubelet.config.k8s.io/v1beta1", "KubeletConfiguration"):
        {**TYPE_META, **{name: ANY for name in KUBELET_CONFIGURATION_FIELDS}},
    ("kubeproxy.config.k8s.io/v1alpha1", "KubeProxyConfiguration"):
        {**TYPE_META, **{name: ANY for name in KUBE_PROXY_CONFIGURATION_FIELDS}},
}

KUBEADM_VERSIONS = {"kubeadm.k8s.io/v1beta3": V1BETA3, "kubeadm.k8s.io/v1beta4": V1BETA4}
