#!/usr/bin/env bash
# spark-on-metal step join-credentials: node w2, run on cp1.
# Rendered from the stack configuration (components/steps); do not edit on the host.
# Usage: bash -s -- apply|remove < this-file
set -Eeuo pipefail
umask 022
readonly SOM_NODE=w2
readonly SOM_RUNS_ON=cp1
readonly SOM_STEP=join-credentials
readonly ADMIN_CONF=/etc/kubernetes/admin.conf
readonly INIT_CONFIG=/etc/kubernetes/kubeadm/init.yaml
readonly TOKEN_TTL_SECONDS=3600
readonly JOIN_AS=worker
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
  :
}
som_remove_files() {
  :
}
# Step join-credentials (values above), on the first control plane for node $SOM_NODE.
# stdout (a secret): token, CA public-key hash, certificate key (control planes), expiry.

ca_cert_hash() {
  openssl x509 -pubkey -noout -in /etc/kubernetes/pki/ca.crt |
    openssl pkey -pubin -outform der |
    sha256sum | cut -d' ' -f1
}

# upload_certs KEY: the control-plane certificates, encrypted with KEY, into the cluster.
# The key goes in a private copy of the init configuration (InitConfiguration's
# certificateKey), never in kubeadm's arguments.
upload_certs() {
  local key=$1 config content marker=$'\nkind: InitConfiguration\n'
  content=$(<"$INIT_CONFIG")
  [[ $content == *"$marker"* ]] || som_die "$INIT_CONFIG holds no InitConfiguration"
  config=$(umask 077 && mktemp "$INIT_CONFIG.XXXXXX")
  printf '%s\n' "${content/"$marker"/"${marker}certificateKey: ${key}"$'\n'}" >"$config"
  if ! kubeadm init phase upload-certs --upload-certs --config "$config" >/dev/null 2>&1; then
    rm -f "$config"
    som_die "kubeadm could not upload the control-plane certificates"
  fi
  rm -f "$config"
}

som_apply() {
  [ -f "$ADMIN_CONF" ] || som_die "the control plane on $SOM_RUNS_ON is not initialised"
  local token hash key="" expires
  token=$(kubeadm token create --ttl "${TOKEN_TTL_SECONDS}s" \
    --description "spark-on-metal: join $SOM_NODE" \
    --usages signing,authentication --groups system:bootstrappers:kubeadm:default-node-token)
  hash=$(ca_cert_hash)
  if [ "$JOIN_AS" = control-plane ]; then
    key=$(kubeadm certs certificate-key)
    upload_certs "$key"
  fi
  expires=$(($(date +%s) + TOKEN_TTL_SECONDS))
  som_log "bootstrap token minted for $SOM_NODE (valid ${TOKEN_TTL_SECONDS}s)"
  printf 'token=%s\nca_cert_hash=sha256:%s\ncertificate_key=%s\nexpires=%s\n' "$token" "$hash" "$key" "$expires"
}

som_remove() {
  som_log "nothing to undo: the token expires by itself"
}
som_main "$@" </dev/null
