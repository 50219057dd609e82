#!/usr/bin/env bash
# spark-on-metal: forwarding of pod traffic through this host (rendered from the stack; do not edit)
set -euo pipefail
readonly CHAIN=SPARK-ON-METAL-FORWARD
readonly POD_POOL=10.99.64.0/20
# Template: values (CHAIN POD_POOL) are set above by the renderer.
# Usage: pod-forwarding.sh apply|undo. Pods reach services through this host (their
# service route); whatever the FORWARD policy, traffic from and to the pod pool is
# forwarded. kube-proxy's own KUBE-FORWARD chain handles marked and established flows.

log() { printf 'pod-forwarding: %s\n' "$*" >&2; }

desired() {
  printf -- '-N %s\n-A %s -s %s -j ACCEPT\n-A %s -d %s -j ACCEPT\n' \
    "$CHAIN" "$CHAIN" "$POD_POOL" "$CHAIN" "$POD_POOL"
}

apply() {
  if ! iptables -w -S "$CHAIN" >/dev/null 2>&1; then
    iptables -w -N "$CHAIN"
  fi
  if [ "$(iptables -w -S "$CHAIN")" != "$(desired)" ]; then
    iptables -w -F "$CHAIN"
    iptables -w -A "$CHAIN" -s "$POD_POOL" -j ACCEPT
    iptables -w -A "$CHAIN" -d "$POD_POOL" -j ACCEPT
    log "chain $CHAIN accepts $POD_POOL"
  fi
  if ! iptables -w -C FORWARD -j "$CHAIN" 2>/dev/null; then
    iptables -w -I FORWARD 1 -j "$CHAIN"
    log "FORWARD jumps to $CHAIN"
  fi
}

undo() {
  while iptables -w -C FORWARD -j "$CHAIN" 2>/dev/null; do
    iptables -w -D FORWARD -j "$CHAIN"
  done
  if iptables -w -S "$CHAIN" >/dev/null 2>&1; then
    iptables -w -F "$CHAIN"
    iptables -w -X "$CHAIN"
    log "removed chain $CHAIN"
  fi
}

case "${1:-apply}" in
  apply) apply ;;
  undo) undo ;;
  *) log "usage: $0 apply|undo"; exit 2 ;;
esac
