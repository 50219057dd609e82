#!/usr/bin/env bash
# spark-on-metal step kubeadm-init: node hadooptest-cp, run on hadooptest-cp.
# Rendered from the stack configuration (components/steps); do not edit on the host.
# Usage: bash -s -- apply|remove < this-file
set -Eeuo pipefail
umask 022
readonly SOM_NODE=hadooptest-cp
readonly SOM_RUNS_ON=hadooptest-cp
readonly SOM_STEP=kubeadm-init
readonly INIT_CONFIG=/etc/kubernetes/kubeadm/init.yaml
readonly ADMIN_CONF=/etc/kubernetes/admin.conf
readonly API_SERVER_URL=https://k8s-api.hadooptest.internal:6443
readonly CONTROLLERS_TIMEOUT_SECONDS=300
# --- spark-on-metal step library (rendered into every step script) ---------------------
# Every step script is idempotent: each change is guarded by an "already done?" check,
# so a re-run after a failure converges and an unchanged re-run changes nothing.

SOM_CHANGED=()

som_log() {
  printf 'spark-on-metal[%s %s on %s]: %s\n' "$SOM_STEP" "$SOM_NODE" "$SOM_RUNS_ON" "$*" >&2
}

som_die() {
  som_log "ERROR: $*"
  exit 1
}

# On any failing command: say which node, which step, where and what (pulumi-command shows
# this with the output's tail; the command line itself is only `bash -s -- apply`).
som_on_error() {
  local status=$1 line=$2 command=$3
  printf 'spark-on-metal: FAILED step=%s node=%s host=%s line=%s exit=%s: %s\n' \
    "$SOM_STEP" "$SOM_NODE" "$SOM_RUNS_ON" "$line" "$status" "$command" >&2
  exit "$status"
}
trap 'som_on_error $? $LINENO "$BASH_COMMAND"' ERR

# som_install PATH MODE < content: write only when different; remember what changed.
som_install() {
  local path=$1 mode=$2 tmp
  mkdir -p "$(dirname "$path")"
  tmp=$(mktemp "$path.som.XXXXXX")
  cat >"$tmp"
  chmod "$mode" "$tmp"
  # Compare modes as numbers: stat prints 644 where the renderer says 0644.
  if [ -f "$path" ] && cmp -s "$tmp" "$path" && [ "$((8#$(stat -c %a "$path")))" -eq "$((8#$mode))" ]; then
    rm -f "$tmp"
    return 0
  fi
  mv -f "$tmp" "$path"
  SOM_CHANGED+=("$path")
  som_log "wrote $path"
}

# som_changed PATH: did this run write PATH?
som_changed() {
  local path
  for path in "${SOM_CHANGED[@]}"; do
    [ "$path" = "$1" ] && return 0
  done
  return 1
}

som_uninstall() {
  local path
  for path in "$@"; do
    if [ -e "$path" ]; then
      rm -f "$path"
      som_log "removed $path"
    fi
  done
}

som_main() {
  case "${1:-apply}" in
    apply) som_apply ;;
    remove) som_remove ;;
    *) som_die "unknown action '${1}': use apply or remove" ;;
  esac
}
som_install_files() {
  som_install /etc/kubernetes/kubeadm/init.yaml 0600 <<'SOM_EOF'
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
bootstrapTokens:
- ttl: 15m0s
  description: 'spark-on-metal: created by kubeadm init, never used (joins mint their
    own)'
  usages:
  - signing
  - authentication
  groups:
  - system:bootstrappers:kubeadm:default-node-token
localAPIEndpoint:
  advertiseAddress: 10.0.0.61
  bindPort: 6443
nodeRegistration:
  name: hadooptest-cp
  criSocket: unix:///run/containerd/containerd.sock
  taints:
  - key: node-role.kubernetes.io/control-plane
    effect: NoSchedule
  kubeletExtraArgs:
  - name: node-ip
    value: 10.0.0.61
skipPhases:
- addon/coredns
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
clusterName: spark-on-metal
kubernetesVersion: v1.36.3
imageRepository: registry.aliyuncs.com/google_containers
controlPlaneEndpoint: k8s-api.hadooptest.internal:6443
networking:
  podSubnet: 10.0.64.0/20
  serviceSubnet: 10.0.80.0/24
  dnsDomain: cluster.local
apiServer:
  certSANs:
  - k8s-api.hadooptest.internal
  extraArgs:
  - name: enable-admission-plugins
    value: NodeRestriction,PodNodeSelector,PodTolerationRestriction
  - name: admission-control-config-file
    value: /etc/kubernetes/admission/admission.yaml
  extraVolumes:
  - name: admission
    hostPath: /etc/kubernetes/admission
    mountPath: /etc/kubernetes/admission
    readOnly: true
    pathType: DirectoryOrCreate
controllerManager:
  extraArgs:
  - name: allocate-node-cidrs
    value: 'false'
dns:
  disabled: true
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
clusterDomain: cluster.local
clusterDNS:
- 10.0.0.61
- 10.0.0.65
resolvConf: /etc/spark-on-metal/resolv.conf
failSwapOn: true
maxPods: 110
---
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clusterCIDR: 10.0.64.0/20
iptables:
  masqueradeAll: true
SOM_EOF
  som_install /etc/kubernetes/admission/admission.yaml 0644 <<'SOM_EOF'
apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodNodeSelector
  configuration:
    podNodeSelectorPluginConfig:
      clusterDefaultNodeSelector: ''
- name: PodTolerationRestriction
  configuration:
    apiVersion: podtolerationrestriction.admission.k8s.io/v1alpha1
    kind: Configuration
    default: []
SOM_EOF
}
som_remove_files() {
  som_uninstall /etc/kubernetes/kubeadm/init.yaml /etc/kubernetes/admission/admission.yaml
}
# Shared by the kubeadm steps.

# kubeadm prints tokens and certificate keys; nothing we log may carry them.
som_redact() {
  sed -E \
    -e 's/(--token|--certificate-key|--discovery-token-ca-cert-hash)([ =])[^ ]+/\1\2<redacted>/g' \
    -e 's/[a-z0-9]{6}\.[a-z0-9]{16}/<redacted-token>/g' \
    -e 's/[0-9a-f]{64}/<redacted-key>/g'
}

# Undo kubeadm on this host: kubeadm reset, then the iptables chains kube-proxy left
# (kubeadm reset does not remove them), leaving every other rule alone.
som_kube_reset() {
  if command -v kubeadm >/dev/null 2>&1 && [ -d /etc/kubernetes ]; then
    kubeadm reset -f 2>&1 | som_redact >&2
    som_log "kubeadm reset done"
  fi
  local table chain rule action
  for table in filter nat mangle; do
    # xargs, not `read -a`: iptables -S quotes comments ("kubernetes load balancer
    # firewall"), which a plain word split would cut into bad arguments
    { iptables -w -t "$table" -S 2>/dev/null || true; } | { grep -E '^-A [A-Z]+ .*-j KUBE-' || true; } | while IFS= read -r rule; do
      printf '%s\n' "${rule/#-A/-D}" | xargs iptables -w -t "$table"
    done
    for action in -F -X; do
      { iptables -w -t "$table" -S 2>/dev/null || true; } | awk '$1 == "-N" && $2 ~ /^KUBE-/ { print $2 }' |
        while IFS= read -r chain; do
          iptables -w -t "$table" "$action" "$chain"
        done
    done
  done
  if systemctl is-enabled --quiet kubelet 2>/dev/null; then
    systemctl disable --now kubelet
  fi
}
# Step kubeadm-init (values above). stdout: the admin kubeconfig, server set to the API endpoint.

# kube-controller-manager's controllers run once it holds the leader lease; its
# serviceaccounts controller then creates "default" in every namespace.
som_wait_for_controllers() {
  local waited=0
  until kubectl --kubeconfig "$ADMIN_CONF" -n default get serviceaccount default >/dev/null 2>&1; do
    if [ "$waited" -ge "$CONTROLLERS_TIMEOUT_SECONDS" ]; then
      som_die "kube-controller-manager did not start its controllers within ${CONTROLLERS_TIMEOUT_SECONDS}s (no ServiceAccount default/default): see 'crictl logs' of its container on $(hostname)"
    fi
    sleep 2
    waited=$((waited + 2))
  done
  som_log "controllers running (ServiceAccount default/default exists)"
}

som_apply() {
  som_install_files
  if [ -f "$ADMIN_CONF" ]; then
    som_log "control plane already initialised; kubeadm init not re-run"
  else
    kubeadm init --config "$INIT_CONFIG" --skip-token-print 2>&1 | som_redact >&2
    som_log "control plane initialised"
  fi
  som_wait_for_controllers
  sed -E "s|^( *server: ).*|\1$API_SERVER_URL|" "$ADMIN_CONF"
}

som_remove() {
  som_kube_reset
  som_remove_files
}
som_main "$@" </dev/null
