# shellcheck shell=bash disable=SC2154
# Inputs: DELETE_NODE DRAIN_TIMEOUT_SECONDS REGISTRATION_TIMEOUT_SECONDS
# Step node-registered (values above), on the first control plane for node $SOM_NODE.
# apply: wait until the Node object exists (what the Kubernetes layer patches), then
# delete the node's bootstrap tokens: it has joined, and they do not expire.
# remove: drain the node and, for a worker, delete its Node object, before kubeadm reset
# runs on it (a control plane deletes its own after the reset: som_leave_cluster).

som_apply() {
  som_wait_for "$REGISTRATION_TIMEOUT_SECONDS" 5 \
    "node $SOM_NODE did not register within ${REGISTRATION_TIMEOUT_SECONDS}s: see 'journalctl -u kubelet' on $SOM_NODE" \
    kubectl_admin get node "$SOM_NODE"
  som_log "node $SOM_NODE is registered"
  som_delete_join_tokens "$(som_join_token_prefix)"
}

som_remove() {
  if ! kubectl_admin get node "$SOM_NODE" >/dev/null 2>&1; then
    som_log "node $SOM_NODE is not registered; nothing to drain"
    return 0
  fi
  som_drain_node "$DRAIN_TIMEOUT_SECONDS"
  if [ "$DELETE_NODE" = no ]; then
    som_log "node $SOM_NODE drained; its Node object goes after kubeadm reset (its etcd member first)"
    return 0
  fi
  kubectl_admin delete node "$SOM_NODE" --ignore-not-found >&2
  som_log "node $SOM_NODE drained and deleted"
}
