# shellcheck shell=bash disable=SC2154
# Inputs: CORDONED_ANNOTATION
# Shared by upgrade-drain and upgrade-uncordon, on the first control plane for $SOM_NODE.

# The release the node's kubelet reports.
som_node_release() {
  kubectl_admin get node "$SOM_NODE" -o jsonpath='{.status.nodeInfo.kubeletVersion}'
}

som_cordoned_for_upgrade() {
  kubectl_admin get node "$SOM_NODE" -o jsonpath='{.metadata.annotations}' | grep -qF "\"$CORDONED_ANNOTATION\""
}
