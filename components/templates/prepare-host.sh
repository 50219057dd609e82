# shellcheck shell=bash disable=SC2154
# Step prepare-host (values above). Packages are left installed on removal: uninstalling
# a container runtime under a host's other workloads is not ours to decide.

apt_updated=no
apt_install() {
  if [ "$apt_updated" = no ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    apt_updated=yes
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends --allow-change-held-packages "$@"
}

disable_swap() {
  if [ -n "$(swapon --show --noheadings 2>/dev/null)" ]; then
    swapoff -a
    som_log "swap turned off"
  fi
  if grep -Eq '^[^#]\S*\s+\S+\s+swap\s' /etc/fstab 2>/dev/null; then
    sed -i.spark-on-metal.bak -E 's|^([^#]\S*\s+\S+\s+swap\s.*)$|# disabled by spark-on-metal: \1|' /etc/fstab
    som_log "swap entries in /etc/fstab commented out"
  fi
}

# modprobe is a no-op for a loaded or built-in module (built-ins without parameters do
# not show in /sys/module, so that is no "already done?" test); it fails for a missing one.
load_modules() {
  local module
  for module in $KERNEL_MODULES; do
    if [ ! -d "/sys/module/$module" ]; then
      modprobe "$module"
    fi
  done
}

apply_sysctls() {
  local key value
  while IFS='= ' read -r key value; do
    case "$key" in '' | '#'*) continue ;; esac
    if [ "$(sysctl -n "$key")" != "$value" ]; then
      sysctl -q -w "$key=$value"
      som_log "set $key=$value"
    fi
  done <"$SYSCTL_CONF"
}

ensure_containerd() {
  if ! command -v containerd >/dev/null 2>&1; then
    apt_install containerd
  fi
  if som_changed "$CONTAINERD_CONFIG"; then
    systemctl restart containerd
    som_log "containerd restarted with the new configuration"
  fi
  if ! systemctl is-enabled --quiet containerd; then
    systemctl enable --now containerd
  fi
}

kubernetes_installed() {
  [ "$(kubeadm version -o short 2>/dev/null)" = "$KUBERNETES_TAG" ] &&
    [ "$(kubelet --version 2>/dev/null)" = "Kubernetes $KUBERNETES_TAG" ] &&
    kubectl version --client 2>/dev/null | grep -qF "$KUBERNETES_TAG"
}

ensure_kubernetes_packages() {
  if ! kubernetes_installed; then
    if [ ! -s "$APT_KEYRING" ]; then
      mkdir -p "$(dirname "$APT_KEYRING")"
      curl -fsSL "$APT_KEY_URL" | gpg --dearmor --yes -o "$APT_KEYRING"
      som_log "installed the pkgs.k8s.io signing key"
    fi
    apt_install "kubelet=$KUBERNETES_DEB_VERSION" "kubeadm=$KUBERNETES_DEB_VERSION" \
      "kubectl=$KUBERNETES_DEB_VERSION" kubernetes-cni cri-tools
    apt-mark hold kubelet kubeadm kubectl >/dev/null
    som_log "kubelet, kubeadm, kubectl $KUBERNETES_TAG installed and held"
  fi
  if ! systemctl is-enabled --quiet kubelet; then
    systemctl enable kubelet
  fi
}

pull_images() {
  [ "$PULL_IMAGES" = yes ] || return 0
  if [ "$(cat "$IMAGES_MARKER" 2>/dev/null)" = "$IMAGES_WANTED" ]; then
    return 0
  fi
  kubeadm config images pull --config "$IMAGES_CONFIG" >&2
  mkdir -p "$(dirname "$IMAGES_MARKER")"
  printf '%s\n' "$IMAGES_WANTED" >"$IMAGES_MARKER"
  som_log "control-plane images pulled from the mirror"
}

som_apply() {
  som_install_files
  disable_swap
  load_modules
  apply_sysctls
  ensure_containerd
  ensure_kubernetes_packages
  pull_images
}

som_remove() {
  som_remove_files
  rm -f "$IMAGES_MARKER"
  som_log "configuration removed; packages stay installed (apt-mark unhold kubelet kubeadm kubectl to release them)"
}
