#!/usr/bin/env bash
# spark-on-metal step kubeadm-join: node w2, run on w2.
# Rendered from the stack configuration (components/steps); do not edit on the host.
# Usage: bash -s -- apply|remove < this-file
set -Eeuo pipefail
umask 022
readonly SOM_NODE=w2
readonly SOM_RUNS_ON=w2
readonly SOM_STEP=kubeadm-join
readonly JOIN_CONFIG=/etc/kubernetes/kubeadm/join.yaml
readonly KUBELET_CONF=/etc/kubernetes/kubelet.conf
readonly TOKEN_PLACEHOLDER=@@JOIN_TOKEN@@
readonly CA_HASH_PLACEHOLDER=@@CA_CERT_HASH@@
readonly CERTIFICATE_KEY_PLACEHOLDER=@@CERTIFICATE_KEY@@
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
  som_install /etc/kubernetes/kubeadm/join.yaml 0600 <<'SOM_EOF'
apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: 10.99.0.11:6443
    token: '@@JOIN_TOKEN@@'
    caCertHashes:
    - '@@CA_CERT_HASH@@'
nodeRegistration:
  name: w2
  criSocket: unix:///run/containerd/containerd.sock
  taints:
  - key: node-restriction.kubernetes.io/tenant
    value: analytics
    effect: NoSchedule
  kubeletExtraArgs:
  - name: node-ip
    value: 10.99.0.13
  ignorePreflightErrors:
  - SystemVerification
SOM_EOF
}
som_remove_files() {
  som_uninstall /etc/kubernetes/kubeadm/join.yaml
}
som_secret_join_credentials() {
  cat <<'SOM_EOF'
@@SOM_SECRET:join-credentials@@
SOM_EOF
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
# Step kubeadm-join (values above). The credentials arrive inside this script (a Pulumi
# secret); they are written only to a private temporary copy of the join configuration,
# never into a program's arguments.

som_apply() {
  som_install_files
  if [ -f "$KUBELET_CONF" ]; then
    som_log "already joined; kubeadm join not re-run"
    return 0
  fi
  local key value token="" hash="" certificate_key="" expires=0 config
  while IFS='=' read -r key value; do
    case "$key" in
      token) token=$value ;;
      ca_cert_hash) hash=$value ;;
      certificate_key) certificate_key=$value ;;
      expires) expires=$value ;;
    esac
  done < <(som_secret_join_credentials)
  if [ -z "$token" ] || [ -z "$hash" ]; then
    som_die "no join credentials were handed to this step"
  fi
  if [ "$(date +%s)" -ge "$expires" ]; then
    som_die "the bootstrap token minted for $SOM_NODE has expired; mint a new one with: pulumi up --replace <URN of $SOM_NODE-join-credentials> (pulumi stack --show-urns)"
  fi
  config=$(umask 077 && mktemp "$JOIN_CONFIG.XXXXXX")
  # shellcheck disable=SC2064 # expand now: the trap must remove this very file
  trap "rm -f '$config'" EXIT
  # bash's own substitution and printf: no other program sees the credentials in its
  # arguments (/proc/<pid>/cmdline is readable by every local user)
  local content
  content=$(<"$JOIN_CONFIG")
  content=${content//"$TOKEN_PLACEHOLDER"/"$token"}
  content=${content//"$CA_HASH_PLACEHOLDER"/"$hash"}
  content=${content//"$CERTIFICATE_KEY_PLACEHOLDER"/"$certificate_key"}
  printf '%s\n' "$content" >"$config"
  kubeadm join --config "$config" 2>&1 | som_redact >&2
  som_log "joined the cluster"
}

som_remove() {
  som_kube_reset
  som_remove_files
}
som_main "$@" </dev/null
