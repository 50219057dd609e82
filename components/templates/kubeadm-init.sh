# shellcheck shell=bash disable=SC2154
# Step kubeadm-init (values above). stdout: the admin kubeconfig, server set to the API endpoint.

som_apply() {
  som_install_files
  if [ -f "$ADMIN_CONF" ]; then
    som_log "control plane already initialised; kubeadm init not re-run"
  else
    kubeadm init --config "$INIT_CONFIG" --skip-token-print 2>&1 | som_redact >&2
    som_log "control plane initialised"
  fi
  sed -E "s|^( *server: ).*|\1$API_SERVER_URL|" "$ADMIN_CONF"
}

som_remove() {
  som_kube_reset
  som_remove_files
}
