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
