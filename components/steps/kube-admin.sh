# shellcheck shell=bash disable=SC2154
# Inputs: ADMIN_CONF
# kubectl as the cluster's admin, for the steps that run on the first control plane on a
# node's behalf (join tokens, registration, drains).

kubectl_admin() {
  kubectl --kubeconfig "$ADMIN_CONF" "$@"
}

# som_drain_node SECONDS: cordon and drain $SOM_NODE; DaemonSets' pods stay (they would
# come back at once), emptyDir data goes with its pods. --force: pods no controller owns
# (a Spark driver: Spark creates it bare) are evicted like the others, through the
# eviction API, so their disruption budget holds; without it kubectl refuses the node.
som_drain_node() {
  local timeout=$1
  kubectl_admin drain "$SOM_NODE" --ignore-daemonsets --delete-emptydir-data --force --timeout="${timeout}s" >&2 ||
    som_die "node $SOM_NODE was not drained within ${timeout}s: a disruption budget keeps a pod there (a tenant's running Spark driver stays until its job ends: 'kubectl get pods -A --field-selector spec.nodeName=$SOM_NODE'); run up again once it has finished"
}
