#!/usr/bin/env bash
# spark-on-metal step node-registered: node w1, run on cp1.
# Rendered from the stack configuration (components/steps); do not edit on the host.
# Usage: bash -s -- apply|remove < this-file
set -Eeuo pipefail
umask 022
readonly SOM_NODE=w1
readonly SOM_RUNS_ON=cp1
readonly SOM_STEP=node-registered
readonly ADMIN_CONF=/etc/kubernetes/admin.conf
readonly REGISTRATION_TIMEOUT_SECONDS=600
readonly DRAIN_TIMEOUT_SECONDS=600
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
# Step node-registered (values above), on the first control plane for node $SOM_NODE.
# apply: wait until the Node object exists (what the Kubernetes layer patches).
# remove: drain the node and delete its Node object, before kubeadm reset runs on it.

kubectl_admin() {
  kubectl --kubeconfig "$ADMIN_CONF" "$@"
}

som_apply() {
  local waited=0
  until kubectl_admin get node "$SOM_NODE" >/dev/null 2>&1; do
    if [ "$waited" -ge "$REGISTRATION_TIMEOUT_SECONDS" ]; then
      som_die "node $SOM_NODE did not register within ${REGISTRATION_TIMEOUT_SECONDS}s: see 'journalctl -u kubelet' on $SOM_NODE"
    fi
    sleep 5
    waited=$((waited + 5))
  done
  som_log "node $SOM_NODE is registered"
}

som_remove() {
  if ! kubectl_admin get node "$SOM_NODE" >/dev/null 2>&1; then
    som_log "node $SOM_NODE is not registered; nothing to drain"
    return 0
  fi
  kubectl_admin drain "$SOM_NODE" --ignore-daemonsets --delete-emptydir-data \
    --timeout="${DRAIN_TIMEOUT_SECONDS}s" >&2
  kubectl_admin delete node "$SOM_NODE" --ignore-not-found >&2
  som_log "node $SOM_NODE drained and deleted"
}
som_main "$@" </dev/null
