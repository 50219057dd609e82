#!/usr/bin/env bash
# shellcheck shell=bash disable=SC2154
# Inputs: POD_POOL
# Usage: pod-forwarding.sh apply|remove. Pods reach services through this host (their
# service route); whatever the FORWARD policy, traffic from and to the pod pool is
# forwarded. kube-proxy's own KUBE-FORWARD chain handles marked and established flows.

rules() {
  printf -- '-s %s -j ACCEPT\n-d %s -j ACCEPT\n' "$POD_POOL" "$POD_POOL"
}

som_chain_main "$@"
