#!/usr/bin/env bash
# shellcheck shell=bash disable=SC2154
# Inputs: DNS_ADDRESS
# Usage: dns-notrack.sh apply|remove. DNS to this node's own address is neither NATed nor
# tracked: the A/AAAA race that stalls lookups for 5 seconds lives in conntrack entry
# creation (kubernetes/kubernetes#56903), and kube-proxy makes conntrack active on
# every node. NodeLocal DNSCache uses the same NOTRACK rules.

rules() {
  local proto
  for proto in udp tcp; do
    printf -- '-d %s/32 -p %s -m %s --dport 53 -j NOTRACK\n' "$DNS_ADDRESS" "$proto" "$proto"
    printf -- '-s %s/32 -p %s -m %s --sport 53 -j NOTRACK\n' "$DNS_ADDRESS" "$proto" "$proto"
  done
}

som_chain_main "$@"
