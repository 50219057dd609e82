# shellcheck shell=bash disable=SC2154
# Inputs: APT_KEY_DOWNLOADS APT_SOURCES CGROUP_V1 CONTAINERD_CERTS_DIR CONTAINERD_CONFIG CONTAINERD_HOSTS_FILES CONTAINERD_MINIMUM CONTAINERD_PACKAGE CONTAINERD_VERSION CRI_ENDPOINT CRI_WAIT_SECONDS IMAGES_CONFIG IMAGES_MARKER IMAGES_WANTED KERNEL_MODULES KUBERNETES_DEB_VERSION KUBERNETES_RELEASE KUBERNETES_TAG PULL_IMAGES STATE_DIR SYSCTL_CONF
# Step prepare-host (values above). Packages are left installed (and held) on removal:
# uninstalling a container runtime under a host's other workloads is not ours to decide.
# Everything else this step changes on the host, removal puts back.

readonly SYSCTLS_BEFORE="$STATE_DIR/sysctls-before"
readonly MASKED_UNITS="$STATE_DIR/masked-swap-units"
readonly SWAP_WAS_ON="$STATE_DIR/swap-was-on"
readonly FSTAB_MARK='# disabled by spark-on-metal: '

# kubelet refuses cgroup v1 from 1.35 (failCgroupV1); kubeadm's preflight too.
check_cgroups() {
  local fs
  fs=$(stat -fc %T /sys/fs/cgroup 2>/dev/null || echo unknown)
  [ "$fs" != cgroup2fs ] || return 0
  if [ "$CGROUP_V1" = allow ]; then
    som_log "WARNING: cgroup v1 host (/sys/fs/cgroup is $fs): kubelet gets failCgroupV1: false (stack setting cgroupV1: allow)"
    return 0
  fi
  som_die "this host runs cgroup v1 (/sys/fs/cgroup is $fs, not cgroup2fs) and kubelet $KUBERNETES_TAG refuses it: boot it with cgroup v2 (kernel argument systemd.unified_cgroup_hierarchy=1), or set cgroupV1: allow in the stack"
}

# Swap systemd would turn on again at boot: swap units (from fstab or unit files) and zram.
swap_units() {
  {
    systemctl list-units --type=swap --all --plain --no-legend 2>/dev/null || true
    systemctl list-unit-files --type=swap --plain --no-legend 2>/dev/null || true
  } | awk '$1 ~ /\.swap$/ { print $1 }'
  { systemctl list-unit-files --plain --no-legend zramswap.service 'systemd-zram-setup@.service' 2>/dev/null || true; } |
    awk '{ sub(/@\.service$/, "@zram0.service", $1); print $1 }'
}

mask_swap_units() {
  local unit
  while IFS= read -r unit; do
    [ -n "$unit" ] || continue
    [ "$(systemctl is-enabled "$unit" 2>/dev/null || true)" != masked ] || continue
    systemctl mask "$unit" >/dev/null
    mkdir -p "$STATE_DIR"
    printf '%s\n' "$unit" >>"$MASKED_UNITS"
    som_log "masked $unit (swap stays off after a reboot)"
  done < <(swap_units | sort -u)
}

disable_swap() {
  if [ -n "$(swapon --show --noheadings 2>/dev/null || true)" ]; then
    mkdir -p "$STATE_DIR"
    touch "$SWAP_WAS_ON"
    swapoff -a
    som_log "swap turned off"
  fi
  if grep -Eq '^[^#]\S*\s+\S+\s+swap\s' /etc/fstab 2>/dev/null; then
    sed -i -E "s|^([^#]\\S*\\s+\\S+\\s+swap\\s.*)\$|$FSTAB_MARK\\1|" /etc/fstab
    som_log "swap entries in /etc/fstab commented out"
  fi
  mask_swap_units
}

restore_swap() {
  local unit
  if [ -f "$MASKED_UNITS" ]; then
    while IFS= read -r unit; do
      systemctl unmask "$unit" >/dev/null
      som_log "unmasked $unit"
    done <"$MASKED_UNITS"
    rm -f "$MASKED_UNITS"
  fi
  if grep -q "^$FSTAB_MARK" /etc/fstab 2>/dev/null; then
    sed -i "s|^$FSTAB_MARK||" /etc/fstab
    som_log "swap entries in /etc/fstab restored"
  fi
  if [ -f "$SWAP_WAS_ON" ]; then
    swapon -a || som_log "swapon -a failed; swap comes back at the next boot"
    rm -f "$SWAP_WAS_ON"
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

# The host's own value of a key, recorded once (a later run must not record ours).
remember_sysctl() {
  mkdir -p "$STATE_DIR"
  if ! awk -F= -v key="$1" '$1 == key { found = 1 } END { exit !found }' "$SYSCTLS_BEFORE" 2>/dev/null; then
    printf '%s=%s\n' "$1" "$2" >>"$SYSCTLS_BEFORE"
  fi
}

apply_sysctls() {
  local key value before
  while IFS='= ' read -r key value; do
    case "$key" in '' | '#'*) continue ;; esac
    before=$(sysctl -n "$key")
    if [ "$before" != "$value" ]; then
      remember_sysctl "$key" "$before"
      sysctl -q -w "$key=$value"
      som_log "set $key=$value"
    fi
  done <"$SYSCTL_CONF"
}

restore_sysctls() {
  local key value
  [ -f "$SYSCTLS_BEFORE" ] || return 0
  while IFS='=' read -r key value; do
    sysctl -q -w "$key=$value"
    som_log "restored $key=$value"
  done <"$SYSCTLS_BEFORE"
  rm -f "$SYSCTLS_BEFORE"
}

# From the host's own sources, before any of ours exists: curl for the signing keys, CA
# certificates for https, iptables (kubelet only recommends it; kube-proxy and this
# platform's own rules need it).
ensure_prerequisites() {
  local missing=()
  if [ -n "$APT_KEY_DOWNLOADS" ] && ! command -v curl >/dev/null 2>&1; then
    missing+=(curl)
  fi
  [ -s /etc/ssl/certs/ca-certificates.crt ] || missing+=(ca-certificates)
  command -v iptables >/dev/null 2>&1 || missing+=(iptables)
  if [ "${#missing[@]}" -gt 0 ]; then
    apt_install "${missing[@]}"
    som_log "installed ${missing[*]}"
  fi
}

# Each repository's key before its source line: an `apt-get update` that reads a source
# without its key fails ("is not signed", exit 100). Kept armoured (.asc): no gpg needed.
fetch_repository_keys() {
  local keyring url marker
  while read -r keyring url; do
    [ -n "$keyring" ] || continue
    marker="$STATE_DIR/$(basename "$keyring").url"
    if [ -s "$keyring" ] && [ "$(cat "$marker" 2>/dev/null || true)" = "$url" ]; then
      continue
    fi
    mkdir -p "$(dirname "$keyring")" "$STATE_DIR"
    curl -fsSL --retry 3 -o "$keyring.tmp" "$url" ||
      som_die "cannot download the signing key $url (a host without access needs the key inline: the repository's signingKey)"
    if ! grep -q -- '-----BEGIN PGP PUBLIC KEY BLOCK-----' "$keyring.tmp"; then
      rm -f "$keyring.tmp"
      som_die "$url did not return an ASCII-armoured public key (signingKeyUrl must serve the armoured key, as pkgs.k8s.io's Release.key does)"
    fi
    chmod 0644 "$keyring.tmp"
    mv -f "$keyring.tmp" "$keyring"
    printf '%s\n' "$url" >"$marker"
    som_log "installed the signing key from $url"
  done <<<"$APT_KEY_DOWNLOADS"
}

install_sources() {
  local source
  som_install_later_files
  for source in $APT_SOURCES; do
    if som_changed "$source"; then
      apt_sources_changed
    fi
  done
}

containerd_version() {
  { containerd --version 2>/dev/null || true; } | grep -oE '\bv?[0-9]+\.[0-9]+\.[0-9]+' | head -n 1 | sed 's/^v//' || true
}

# The newer of two release numbers is the second one (or they are equal).
version_at_least() {
  [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1)" = "$2" ]
}

containerd_package_wanted() {
  local status version
  IFS='|' read -r status version < <(dpkg-query -W -f='${db:Status-Abbrev}|${Version}\n' "$CONTAINERD_PACKAGE" 2>/dev/null || true) || true
  # shellcheck disable=SC2053 # the wanted version is a pattern, as apt reads it ("2.2.*")
  [ "${status:-}" = "ii " ] && [[ ${version:-} == $CONTAINERD_VERSION ]]
}

# Mirrors the stack no longer lists: their hosts.toml (ours, by its header) goes.
remove_stale_mirrors() {
  local file
  for file in "$CONTAINERD_CERTS_DIR"/*/hosts.toml; do
    [ -f "$file" ] || continue
    case " $CONTAINERD_HOSTS_FILES " in *" $file "*) continue ;; esac
    if som_is_ours "$file"; then
      rm -f "$file"
      rmdir "$(dirname "$file")" 2>/dev/null || true
      som_log "removed $file (its mirror left the stack)"
    fi
  done
}

ensure_containerd() {
  local installed=no version
  if ! containerd_package_wanted; then
    apt_install "$CONTAINERD_PACKAGE=$CONTAINERD_VERSION"
    installed=yes
  fi
  apt-mark hold "$CONTAINERD_PACKAGE" >/dev/null
  version=$(containerd_version)
  [ -n "$version" ] ||
    som_die "no containerd on this host after installing $CONTAINERD_PACKAGE $CONTAINERD_VERSION (\`containerd --version\` printed no version)"
  version_at_least "$version" "$CONTAINERD_MINIMUM" ||
    som_die "containerd $version is installed, but Kubernetes $KUBERNETES_RELEASE needs containerd $CONTAINERD_MINIMUM or later (containerd's support matrix; this platform writes containerd 2.x's configuration): set containerd.version and containerd.repository in the stack to a source that has it"
  [ "$installed" = no ] || som_log "containerd $version installed ($CONTAINERD_PACKAGE $CONTAINERD_VERSION) and held"
  remove_stale_mirrors
  if [ "$installed" = yes ] || som_changed "$CONTAINERD_CONFIG"; then
    systemctl restart containerd
    som_log "containerd restarted with the new configuration"
  fi
  if ! systemctl is-enabled --quiet containerd; then
    systemctl enable --now containerd
  fi
}

ensure_kubernetes_packages() {
  if som_upgrade_pending; then
    som_log "kubelet, kubeadm, kubectl left at $(kubeadm version -o short): the upgrade steps move this node to $KUBERNETES_TAG in its turn"
    return 0
  fi
  if ! kubernetes_installed; then
    apt_install "kubelet=$KUBERNETES_DEB_VERSION" "kubeadm=$KUBERNETES_DEB_VERSION" \
      "kubectl=$KUBERNETES_DEB_VERSION" kubernetes-cni cri-tools
    apt-mark hold kubelet kubeadm kubectl >/dev/null
    som_log "kubelet, kubeadm, kubectl $KUBERNETES_TAG installed and held"
  fi
  if ! systemctl is-enabled --quiet kubelet; then
    systemctl enable kubelet
  fi
}

# containerd's socket answers before its CRI service is registered: right after a
# restart, kubeadm (and kubelet) fail with "unknown service runtime.v1.RuntimeService".
# The step ends only once the runtime answers as kubelet will ask it.
wait_for_cri() {
  som_wait_for "$CRI_WAIT_SECONDS" 1 \
    "containerd's CRI service at $CRI_ENDPOINT did not answer within ${CRI_WAIT_SECONDS}s (journalctl -u containerd on this host says why)" \
    crictl --runtime-endpoint "$CRI_ENDPOINT" info
}

pull_images() {
  # kubeadm upgrade pulls the new release's images itself, with the new kubeadm
  [ "$PULL_IMAGES" = yes ] && ! som_upgrade_pending || return 0
  if [ "$(cat "$IMAGES_MARKER" 2>/dev/null || true)" = "$IMAGES_WANTED" ]; then
    return 0
  fi
  kubeadm config images pull --config "$IMAGES_CONFIG" >&2
  mkdir -p "$(dirname "$IMAGES_MARKER")"
  printf '%s\n' "$IMAGES_WANTED" >"$IMAGES_MARKER"
  som_log "control-plane images pulled from the mirror"
}

som_apply() {
  check_release
  check_uplink_owner
  check_cgroups
  som_install_files
  disable_swap
  load_modules
  apply_sysctls
  ensure_prerequisites
  fetch_repository_keys
  install_sources
  ensure_containerd
  ensure_kubernetes_packages
  wait_for_cri
  pull_images
}

som_remove() {
  som_remove_files
  restore_sysctls
  restore_swap
  if systemctl is-active --quiet containerd 2>/dev/null; then
    systemctl restart containerd
    som_log "containerd restarted with the host's own configuration"
  fi
  local keyring _
  while read -r keyring _; do
    [ -n "$keyring" ] || continue
    som_uninstall "$keyring" "$STATE_DIR/$(basename "$keyring").url"
  done <<<"$APT_KEY_DOWNLOADS"
  rm -f "$IMAGES_MARKER"
  som_log "configuration removed; packages stay installed (apt-mark unhold kubelet kubeadm kubectl $CONTAINERD_PACKAGE to release them)"
}
