# shellcheck shell=bash disable=SC2154
# Inputs: ADMIN_CONF IGNORE_PREFLIGHT KUBELET_CONF KUBERNETES_DEB_VERSION KUBERNETES_TAG UPGRADE_MODE
# Step kubeadm-upgrade (values above), on the node, in its wave: kubeadm to the release,
# then `kubeadm upgrade apply` (UPGRADE_MODE=apply: the first control plane; the cluster's
# stored configuration, static pods, etcd, kube-proxy) or `kubeadm upgrade node`. Each
# part is skipped once done, so a re-run after a failure resumes where it stopped.

# The release the cluster's stored ClusterConfiguration names (kubeadm upgrade apply sets it).
som_cluster_release() {
  kubectl --kubeconfig "$ADMIN_CONF" -n kube-system get configmap kubeadm-config \
    -o jsonpath='{.data.ClusterConfiguration}' | sed -n 's/^kubernetesVersion: *//p'
}

som_upgraded() {
  kubernetes_installed && { [ "$UPGRADE_MODE" = node ] || [ "$(som_cluster_release)" = "$KUBERNETES_TAG" ]; }
}

som_apply() {
  [ -f "$KUBELET_CONF" ] || som_die "$SOM_NODE is not in the cluster ($KUBELET_CONF is missing): its kubeadm step joins it first"
  if som_upgraded; then
    som_log "$SOM_NODE runs $KUBERNETES_TAG"
    return 0
  fi
  if [ "$(kubeadm version -o short 2>/dev/null || true)" != "$KUBERNETES_TAG" ]; then
    apt_install "kubeadm=$KUBERNETES_DEB_VERSION"
    apt-mark hold kubeadm >/dev/null
    som_log "kubeadm $KUBERNETES_TAG installed and held"
  fi
  local ignore=()
  [ -z "$IGNORE_PREFLIGHT" ] || ignore=(--ignore-preflight-errors="$IGNORE_PREFLIGHT")
  if [ "$UPGRADE_MODE" = node ]; then
    kubeadm upgrade node "${ignore[@]}" 2>&1 | som_redact >&2
    som_log "kubeadm upgrade node done"
  elif [ "$(som_cluster_release)" != "$KUBERNETES_TAG" ]; then
    kubeadm upgrade apply "$KUBERNETES_TAG" --yes "${ignore[@]}" 2>&1 | som_redact >&2
    som_log "the cluster's control plane is at $KUBERNETES_TAG (kubeadm upgrade apply)"
  fi
}
