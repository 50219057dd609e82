# shellcheck shell=bash disable=SC2154
# Inputs: CORDONED_ANNOTATION KUBERNETES_TAG READY_TIMEOUT_SECONDS
# Step upgrade-uncordon (values above): the node is Ready with its kubelet at the release
# before the next wave starts; a cordon of the upgrade's is lifted, no other.

som_ready_at_release() {
  [ "$(kubectl_admin get node "$SOM_NODE" -o jsonpath='{.status.nodeInfo.kubeletVersion} {.status.conditions[?(@.type=="Ready")].status}')" = "$KUBERNETES_TAG True" ]
}

som_apply() {
  som_wait_for "$READY_TIMEOUT_SECONDS" 5 \
    "node $SOM_NODE was not Ready with kubelet $KUBERNETES_TAG within ${READY_TIMEOUT_SECONDS}s: see 'journalctl -u kubelet' on $SOM_NODE" \
    som_ready_at_release
  if som_cordoned_for_upgrade; then
    kubectl_admin uncordon "$SOM_NODE" >&2
    kubectl_admin annotate node "$SOM_NODE" "$CORDONED_ANNOTATION-" >/dev/null
    som_log "node $SOM_NODE back in service at $KUBERNETES_TAG"
  else
    som_log "node $SOM_NODE is Ready at $KUBERNETES_TAG"
  fi
}
