#!/usr/bin/env bash
# shellcheck shell=bash disable=SC2154
# Template: values (UPLINK MACVLAN MACVLAN_MAC HOST_CIDR GATEWAY) are set above by the renderer.
# Usage: host-network.sh apply|undo. Safe to run over an SSH session that uses HOST_CIDR:
# the address is added to the sub-interface before it leaves the uplink, so it never
# disappears from the host.

log() { printf 'host-network: %s\n' "$*" >&2; }

has_address() {
  ip -4 -o addr show dev "$1" | awk '{print $4}' | grep -qxF "$2"
}

link_exists() {
  ip link show dev "$1" >/dev/null 2>&1
}

# Re-create every non-kernel IPv4 route through $1 (the default route among them) through $2.
move_routes() {
  local route words
  ip -4 route show dev "$1" | grep -v 'proto kernel' | while IFS= read -r route; do
    read -r -a words <<<"${route//linkdown/}"
    ip route replace "${words[@]}" dev "$2"
    log "route '${route}' now via $2"
  done
}

ensure_macvlan() {
  if link_exists "$MACVLAN"; then
    local details
    details=$(ip -d -o link show dev "$MACVLAN")
    case "$details" in
      *"$MACVLAN@$UPLINK:"*"macvlan mode bridge"*) ;;
      *) log "ERROR: $MACVLAN exists but is not a bridge-mode macvlan on $UPLINK: $details"; exit 1 ;;
    esac
  else
    ip link add link "$UPLINK" name "$MACVLAN" address "$MACVLAN_MAC" type macvlan mode bridge
    log "created $MACVLAN (macvlan, bridge mode) on $UPLINK"
  fi
  ip link set dev "$UPLINK" up
  ip link set dev "$MACVLAN" up
}

apply() {
  link_exists "$UPLINK" || { log "ERROR: uplink $UPLINK does not exist (check the node's 'uplink' setting)"; exit 1; }
  ensure_macvlan
  if ! has_address "$MACVLAN" "$HOST_CIDR"; then
    ip addr add "$HOST_CIDR" dev "$MACVLAN"
    log "added $HOST_CIDR to $MACVLAN"
  fi
  if has_address "$UPLINK" "$HOST_CIDR"; then
    move_routes "$UPLINK" "$MACVLAN"
    ip addr del "$HOST_CIDR" dev "$UPLINK"
    log "moved $HOST_CIDR from $UPLINK to $MACVLAN"
  fi
  if ! ip -4 route show default | grep -q .; then
    ip route replace default via "$GATEWAY" dev "$MACVLAN"
    log "default route via $GATEWAY on $MACVLAN"
  fi
}

undo() {
  link_exists "$MACVLAN" || return 0
  if ! has_address "$UPLINK" "$HOST_CIDR"; then
    ip addr add "$HOST_CIDR" dev "$UPLINK"
    log "restored $HOST_CIDR on $UPLINK"
  fi
  move_routes "$MACVLAN" "$UPLINK"
  ip link del dev "$MACVLAN"
  log "removed $MACVLAN"
}

case "${1:-apply}" in
  apply) apply ;;
  undo) undo ;;
  *) log "usage: $0 apply|undo"; exit 2 ;;
esac
