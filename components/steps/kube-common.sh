# shellcheck shell=bash
# Inputs:
# Shared by the kubeadm steps.

# kubeadm prints tokens and certificate keys; nothing we log may carry them.
som_redact() {
  sed -E \
    -e 's/(--token|--certificate-key|--discovery-token-ca-cert-hash)([ =])[^ ]+/\1\2<redacted>/g' \
    -e 's/[a-z0-9]{6}\.[a-z0-9]{16}/<redacted-token>/g' \
    -e 's/[0-9a-f]{64}/<redacted-key>/g'
}

# A node leaves the cluster. A control plane's kubeadm reset finds its etcd member through its
# Node object, so the Node is deleted after the reset (kubeadm's documented order), with
# a private copy of the admin kubeconfig the reset removes, through the API endpoint
# (another control plane's API server answers there within seconds: the VIP moves).
som_leave_cluster() {
  local admin=/etc/kubernetes/admin.conf copy=""
  # First give up the API's VIP: the others no longer list this host as a VRRP peer, so
  # it would hear no master and keep the VIP for an API server the reset stops.
  if systemctl is-active --quiet keepalived 2>/dev/null; then
    systemctl stop keepalived
    som_log "keepalived stopped: the API's virtual IP moves to another control plane"
  fi
  if [ -f "$admin" ] && [ -f /etc/kubernetes/manifests/etcd.yaml ]; then
    copy=$(umask 077 && mktemp)
    # shellcheck disable=SC2064 # expand now: the trap must remove this very file
    trap "rm -f '$copy'" EXIT
    cp "$admin" "$copy"
  fi
  som_kube_reset
  [ -n "$copy" ] || return 0
  local waited=0 error
  until error=$(kubectl --kubeconfig "$copy" delete node "$SOM_NODE" --ignore-not-found --request-timeout=5s 2>&1 >/dev/null); do
    [ "$waited" -lt 60 ] ||
      som_die "$SOM_NODE was reset, but its Node object could not be deleted through the API endpoint within 60s ($error): delete it with 'kubectl delete node $SOM_NODE'"
    sleep 2
    waited=$((waited + 2))
  done
  som_log "node $SOM_NODE deleted"
  rm -f "$copy"
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
