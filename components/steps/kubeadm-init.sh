# shellcheck shell=bash disable=SC2154
# Inputs: ADMIN_CONF CONTROLLERS_TIMEOUT_SECONDS INIT_CONFIG
# Step kubeadm-init (values above). The admin kubeconfig is printed by the certificates
# step, after its check: the output is then always the current one.

# kube-controller-manager's controllers run once it holds the leader lease; its
# serviceaccounts controller then creates "default" in every namespace.
som_wait_for_controllers() {
  som_wait_for "$CONTROLLERS_TIMEOUT_SECONDS" 2 \
    "kube-controller-manager did not start its controllers within ${CONTROLLERS_TIMEOUT_SECONDS}s (no ServiceAccount default/default): see 'crictl logs' of its container on $(hostname)" \
    kubectl --kubeconfig "$ADMIN_CONF" -n default get serviceaccount default
  som_log "controllers running (ServiceAccount default/default exists)"
}

som_apply() {
  som_install_files
  if [ -f "$ADMIN_CONF" ]; then
    som_log "control plane already initialised; kubeadm init not re-run"
  else
    kubeadm init --config "$INIT_CONFIG" --skip-token-print 2>&1 | som_redact >&2
    som_log "control plane initialised"
  fi
  som_wait_for_controllers
}

som_remove() {
  som_leave_cluster
  som_remove_files
}
