# shellcheck shell=bash disable=SC2154
# Inputs: CORDONED_ANNOTATION DRAIN_TIMEOUT_SECONDS KUBERNETES_TAG
# Step upgrade-drain (values above): a node whose kubelet is older than the release is
# cordoned and drained before its upgrade. The annotation marks a cordon of ours, so an
# operator's own cordon survives the upgrade.

som_apply() {
  local release
  release=$(som_node_release) || som_die "node $SOM_NODE is not registered: see its node-registered step"
  if [ "$release" = "$KUBERNETES_TAG" ]; then
    som_log "kubelet on $SOM_NODE runs $KUBERNETES_TAG: nothing to drain"
    return 0
  fi
  if [ "$(kubectl_admin get node "$SOM_NODE" -o jsonpath='{.spec.unschedulable}')" != true ]; then
    kubectl_admin annotate node "$SOM_NODE" --overwrite "$CORDONED_ANNOTATION=$KUBERNETES_TAG" >/dev/null
  fi
  som_drain_node "$DRAIN_TIMEOUT_SECONDS"
  som_log "node $SOM_NODE drained for its upgrade from $release to $KUBERNETES_TAG"
}
