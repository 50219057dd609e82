# shellcheck shell=bash disable=SC2154
# Inputs: KUBELET_HEALTHZ KUBELET_HEALTH_TIMEOUT_SECONDS KUBERNETES_DEB_VERSION KUBERNETES_TAG
# Step kubelet-upgrade (values above), on the node once upgrade-drain has drained it:
# kubelet and kubectl to the release, kubelet restarted and answering.

som_apply() {
  if kubernetes_installed; then
    som_log "kubelet and kubectl run $KUBERNETES_TAG"
    return 0
  fi
  apt_install "kubelet=$KUBERNETES_DEB_VERSION" "kubectl=$KUBERNETES_DEB_VERSION"
  apt-mark hold kubelet kubectl >/dev/null
  systemctl daemon-reload
  systemctl restart kubelet
  som_wait_for "$KUBELET_HEALTH_TIMEOUT_SECONDS" 2 \
    "kubelet $KUBERNETES_TAG on $SOM_NODE did not answer $KUBELET_HEALTHZ within ${KUBELET_HEALTH_TIMEOUT_SECONDS}s: see 'journalctl -u kubelet' there" \
    curl -fsS "$KUBELET_HEALTHZ"
  som_log "kubelet and kubectl $KUBERNETES_TAG installed and held; kubelet restarted"
}
