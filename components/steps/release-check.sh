# shellcheck shell=bash disable=SC2154
# Inputs: KUBELET_CONF KUBERNETES_TAG
# Part of prepare-host, its first check: a host already in a cluster whose kubeadm is
# another release than the stack's is left untouched. Every node of a cluster runs the same
# release, so every node refuses alike, before any of them changes. Going down or skipping
# a minor is refused for good; one minor or patch up is refused until upgrades are
# automated (README, "Known limits": kubeadm upgrade by hand, then set the version).

som_release_number() {
  local major minor patch
  IFS=. read -r major minor patch <<<"${1#v}"
  printf '%d\n' "$((major * 1000000 + minor * 1000 + patch))"
}

check_release() {
  if [ ! -f "$KUBELET_CONF" ] || ! command -v kubeadm >/dev/null 2>&1; then
    som_log "not in a cluster yet: any release may be installed"
    return 0
  fi
  local installed
  installed=$(kubeadm version -o short 2>/dev/null) || som_die "kubeadm on $SOM_RUNS_ON does not run: see 'kubeadm version' there"
  if [ "$installed" = "$KUBERNETES_TAG" ]; then
    som_log "kubeadm $installed, as the stack says"
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
  som_die "the cluster runs $installed and kubernetesVersion says $KUBERNETES_TAG: upgrades are not automated yet (README, Known limits); upgrade with kubeadm by hand, then set kubernetesVersion"
}
