#!/usr/bin/env bash
# shellcheck shell=bash disable=SC2154
# Inputs: TABLE CHAIN HOOKS
# --- one iptables chain a boot script owns (shared by pod-forwarding and dns-notrack) ----
# The script defines rules() (one rule per line, as iptables -S prints it after
# "-A <chain>") and ends with `som_chain_main "$@"`. apply leaves the chain holding exactly
# those rules and every hook in HOOKS jumping to it first; remove takes both away. Each
# change is guarded by an "already so?" check, so a re-run changes nothing.

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
chain() { iptables -w -t "$TABLE" "$@"; }

desired() {
  local rule
  printf -- '-N %s\n' "$CHAIN"
  while IFS= read -r rule; do printf -- '-A %s %s\n' "$CHAIN" "$rule"; done < <(rules)
}

apply() {
  local rule hook
  local -a args
  chain -S "$CHAIN" >/dev/null 2>&1 || chain -N "$CHAIN"
  if [ "$(chain -S "$CHAIN")" != "$(desired)" ]; then
    chain -F "$CHAIN"
    while IFS= read -r rule; do
      read -r -a args <<<"$rule"
      chain -A "$CHAIN" "${args[@]}"
    done < <(rules)
    log "chain $CHAIN in table $TABLE holds its rules"
  fi
  for hook in $HOOKS; do
    if ! chain -C "$hook" -j "$CHAIN" 2>/dev/null; then
      chain -I "$hook" 1 -j "$CHAIN"
      log "$hook jumps to $CHAIN"
    fi
  done
}

remove() {
  local hook
  for hook in $HOOKS; do
    while chain -C "$hook" -j "$CHAIN" 2>/dev/null; do
      chain -D "$hook" -j "$CHAIN"
    done
  done
  if chain -S "$CHAIN" >/dev/null 2>&1; then
    chain -F "$CHAIN"
    chain -X "$CHAIN"
    log "removed chain $CHAIN"
  fi
}

som_chain_main() {
  case "${1:-apply}" in
    apply) apply ;;
    remove) remove ;;
    *) log "usage: $0 apply|remove"; exit 2 ;;
  esac
}
