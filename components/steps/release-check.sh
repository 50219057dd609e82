# shellcheck shell=bash disable=SC2154
# Inputs: KUBELET_CONF KUBERNETES_TAG
# Part of prepare-host, its first check: a host already in a cluster whose kubeadm is
# another release than the stack's. One patch or one minor up is an upgrade: this host's
# Kubernetes packages are left as they are (UPGRADE_PENDING=yes) and the upgrade steps
# move them in the node's turn (components/steps/upgrade.py). Going down or skipping a
# minor is refused for good; every node of a cluster runs the same release or one it
# upgrades to, so every node refuses alike, before any of them changes.

UPGRADE_PENDING=no

# After check_release: is this host's upgrade left to the upgrade steps?
som_upgrade_pending() {
  [ "$UPGRADE_PENDING" = yes ]
}

som_release_number() {
  local major minor patch
  IFS=. read -r major minor patch <<<"${1#v}"
  printf '%d\n' "$((major * 1000000 + minor * 1000 + patch))"
}

check_release() {
  if [ ! -f "$KUBELET_CONF" ] || ! command -v kubelet >/dev/null 2>&1; then
    som_log "not in a cluster yet: any release may be installed"
    return 0
  fi
  # kubelet is what an upgrade moves last: its release is the node's
  local installed
  installed=$(kubelet --version 2>/dev/null | sed -n 's/^Kubernetes //p') || true
  [ -n "$installed" ] || som_die "kubelet on $SOM_RUNS_ON does not run: see 'kubelet --version' there"
  if [ "$installed" = "$KUBERNETES_TAG" ]; then
    som_log "kubelet $installed, as the stack says"
    return 0
  fi
  local have want
  have=$(som_release_number "$installed")
  want=$(som_release_number "$KUBERNETES_TAG")
  if [ "$want" -lt "$have" ]; then
    som_die "the cluster runs $installed and kubernetesVersion says $KUBERNETES_TAG: Kubernetes cannot be downgraded; set kubernetesVersion back to ${installed#v}"
  elif [ "$((want / 1000))" -gt "$((have / 1000 + 1))" ]; then
    som_die "the cluster runs $installed and kubernetesVersion says $KUBERNETES_TAG: upgrades go one minor at a time; set kubernetesVersion to the next minor's release first"
  fi
  UPGRADE_PENDING=yes
  som_log "upgrade from $installed to $KUBERNETES_TAG: this node's turn comes after the nodes before it (first control plane, other control planes, workers in batches)"
}
