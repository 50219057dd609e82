# shellcheck shell=bash disable=SC2154
# Inputs: KUBERNETES_TAG
# kubelet, kubeadm and kubectl at the stack's release: prepare-host installs them on a new
# host, the upgrade step moves them on a host in the cluster.

kubernetes_installed() {
  [ "$(kubeadm version -o short 2>/dev/null || true)" = "$KUBERNETES_TAG" ] &&
    [ "$(kubelet --version 2>/dev/null || true)" = "Kubernetes $KUBERNETES_TAG" ] &&
    { kubectl version --client 2>/dev/null || true; } | grep -qF "$KUBERNETES_TAG"
}
