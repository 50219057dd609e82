#!/usr/bin/env bash
# spark-on-metal: untracked DNS on infra-001's address (rendered from the stack; do not edit)
set -euo pipefail
readonly CHAIN=SPARK-ON-METAL-DNS
readonly DNS_ADDRESS=10.0.0.65
# Template: values (CHAIN DNS_ADDRESS) are set above by the renderer.
# Usage: dns-notrack.sh apply|undo. DNS to this node's own address is neither NATed nor
# tracked: the A/AAAA race that stalls lookups for 5 seconds lives in conntrack entry
# creation (kubernetes/kubernetes#56903), and kube-proxy makes conntrack active on
# every node. NodeLocal DNSCache uses the same NOTRACK rules.

log() { printf 'dns-notrack: %s\n' "$*" >&2; }

desired() {
  local proto
  printf -- '-N %s\n' "$CHAIN"
  for proto in udp tcp; do
    printf -- '-A %s -d %s/32 -p %s -m %s --dport 53 -j NOTRACK\n' "$CHAIN" "$DNS_ADDRESS" "$proto" "$proto"
    printf -- '-A %s -s %s/32 -p %s -m %s --sport 53 -j NOTRACK\n' "$CHAIN" "$DNS_ADDRESS" "$proto" "$proto"
  done
}

apply() {
  local proto hook
  if ! iptables -w -t raw -S "$CHAIN" >/dev/null 2>&1; then
    iptables -w -t raw -N "$CHAIN"
  fi
  if [ "$(iptables -w -t raw -S "$CHAIN")" != "$(desired)" ]; then
    iptables -w -t raw -F "$CHAIN"
    for proto in udp tcp; do
      iptables -w -t raw -A "$CHAIN" -d "$DNS_ADDRESS/32" -p "$proto" -m "$proto" --dport 53 -j NOTRACK
      iptables -w -t raw -A "$CHAIN" -s "$DNS_ADDRESS/32" -p "$proto" -m "$proto" --sport 53 -j NOTRACK
    done
    log "DNS on $DNS_ADDRESS is not tracked"
  fi
  for hook in PREROUTING OUTPUT; do
    if ! iptables -w -t raw -C "$hook" -j "$CHAIN" 2>/dev/null; then
      iptables -w -t raw -I "$hook" 1 -j "$CHAIN"
    fi
  done
}

undo() {
  local hook
  for hook in PREROUTING OUTPUT; do
    while iptables -w -t raw -C "$hook" -j "$CHAIN" 2>/dev/null; do
      iptables -w -t raw -D "$hook" -j "$CHAIN"
    done
  done
  if iptables -w -t raw -S "$CHAIN" >/dev/null 2>&1; then
    iptables -w -t raw -F "$CHAIN"
    iptables -w -t raw -X "$CHAIN"
    log "removed chain $CHAIN"
  fi
}

case "${1:-apply}" in
  apply) apply ;;
  undo) undo ;;
  *) log "usage: $0 apply|undo"; exit 2 ;;
esac
