#!/usr/bin/env bash
# shellcheck shell=bash disable=SC2154
# Inputs: UPLINK MACVLAN MACVLAN_MAC HOST_CIDR GATEWAY SAVED_SYSCTLS
# Usage: host-network.sh apply|remove. Safe to run over an SSH session that uses HOST_CIDR:
# the address is added to the sub-interface before it leaves the uplink, so it never
# disappears from the host.
#
# ARP and reverse-path filtering, set before the move: the uplink would go on answering
# ARP for the host's address with its own MAC (Linux answers for any local address on
# any interface), so peers would flip between two MACs: the uplink answers only for
# addresses it holds itself (arp_ignore=1) and picks its own address as ARP source
# (arp_announce=2). Replies to the host arrive on the sub-interface while routes were
# learnt on the uplink: both filter loosely (rp_filter=2), or a strict host drops them,
# the SSH session doing the move included. The sub-interface comes up holding the
# address with arp_notify=1, so the kernel announces it with a gratuitous ARP (again
# after any link flap) and peers learn the new MAC at once.

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

UPLINK_SYSCTLS=(arp_ignore=1 arp_announce=2 rp_filter=2)
MACVLAN_SYSCTLS=(arp_notify=1 rp_filter=2)

conf_path() {
  printf '/proc/sys/net/ipv4/conf/%s/%s' "$1" "$2"
}

# set_conf DEV KEY=VALUE...: per-interface IPv4 settings, written only when different.
set_conf() {
  local dev=$1 setting key value
  shift
  for setting in "$@"; do
    key=${setting%%=*} value=${setting#*=}
    if [ "$(cat "$(conf_path "$dev" "$key")")" != "$value" ]; then
      echo "$value" >"$(conf_path "$dev" "$key")"
      log "$dev: $key=$value"
    fi
  done
}

# The uplink's own values, recorded once before the first change: remove puts them back.
save_uplink_conf() {
  [ -e "$SAVED_SYSCTLS" ] && return 0
  local setting key
  mkdir -p "$(dirname "$SAVED_SYSCTLS")"
  for setting in "${UPLINK_SYSCTLS[@]}"; do
    key=${setting%%=*}
    printf '%s=%s\n' "$key" "$(cat "$(conf_path "$UPLINK" "$key")")"
  done >"$SAVED_SYSCTLS.tmp"
  mv "$SAVED_SYSCTLS.tmp" "$SAVED_SYSCTLS"
}

restore_uplink_conf() {
  [ -e "$SAVED_SYSCTLS" ] || return 0
  local saved
  mapfile -t saved <"$SAVED_SYSCTLS"
  set_conf "$UPLINK" "${saved[@]}"
  rm -f "$SAVED_SYSCTLS"
}

# The sub-interface, created down: it comes up only once it holds the host's address.
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
}

apply() {
  link_exists "$UPLINK" || { log "ERROR: uplink $UPLINK does not exist (check the node's 'uplink' setting)"; exit 1; }
  ensure_macvlan
  save_uplink_conf
  set_conf "$UPLINK" "${UPLINK_SYSCTLS[@]}"
  set_conf "$MACVLAN" "${MACVLAN_SYSCTLS[@]}"
  if ! has_address "$MACVLAN" "$HOST_CIDR"; then
    ip addr add "$HOST_CIDR" dev "$MACVLAN"
    log "added $HOST_CIDR to $MACVLAN"
  fi
  if ! ip link show dev "$MACVLAN" up | grep -q .; then
    ip link set dev "$MACVLAN" up
    log "$MACVLAN up (gratuitous ARP for $HOST_CIDR)"
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

remove() {
  link_exists "$MACVLAN" || { restore_uplink_conf; return 0; }
  if ! has_address "$UPLINK" "$HOST_CIDR"; then
    ip addr add "$HOST_CIDR" dev "$UPLINK"
    log "restored $HOST_CIDR on $UPLINK"
  fi
  move_routes "$MACVLAN" "$UPLINK"
  ip link del dev "$MACVLAN"
  log "removed $MACVLAN"
  restore_uplink_conf
}

case "${1:-apply}" in
  apply) apply ;;
  remove) remove ;;
  *) log "usage: $0 apply|remove"; exit 2 ;;
esac
