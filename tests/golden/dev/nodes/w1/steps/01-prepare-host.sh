#!/usr/bin/env bash
# spark-on-metal step prepare-host: node w1, run on w1.
# Rendered from the stack configuration (components/steps); do not edit on the host.
# Usage: bash -s -- apply|remove < this-file
set -Eeuo pipefail
umask 022
readonly SOM_NODE=w1
readonly SOM_RUNS_ON=w1
readonly SOM_STEP=prepare-host
readonly STATE_DIR=/var/lib/spark-on-metal
readonly CGROUP_V1=allow
readonly UPLINK=eth0
readonly KERNEL_MODULES='overlay macvlan'
readonly SYSCTL_CONF=/etc/sysctl.d/90-spark-on-metal.conf
readonly APT_KEY_DOWNLOADS='/etc/apt/keyrings/spark-on-metal-kubernetes.asc https://pkgs.k8s.io/core:/stable:/v1.35/deb/Release.key
/etc/apt/keyrings/spark-on-metal-containerd.asc https://download.docker.com/linux/debian/gpg'
readonly APT_SOURCES='/etc/apt/sources.list.d/spark-on-metal-kubernetes.list /etc/apt/sources.list.d/spark-on-metal-containerd.list'
readonly CONTAINERD_PACKAGE=containerd.io
readonly CONTAINERD_VERSION='2.2.*'
readonly CONTAINERD_MINIMUM=2.1.5
readonly CONTAINERD_CONFIG=/etc/containerd/config.toml
readonly CRI_ENDPOINT=unix:///run/containerd/containerd.sock
readonly CRI_WAIT_SECONDS=60
readonly CONTAINERD_CERTS_DIR=/etc/containerd/certs.d
readonly CONTAINERD_HOSTS_FILES=''
readonly KUBERNETES_RELEASE=1.35
readonly KUBERNETES_TAG=v1.35.4
readonly KUBERNETES_DEB_VERSION=1.35.4-1.1
readonly PULL_IMAGES=no
readonly IMAGES_CONFIG=/etc/kubernetes/kubeadm/images.yaml
readonly IMAGES_MARKER=/var/lib/spark-on-metal/images-pulled
readonly IMAGES_WANTED='registry.k8s.io/kube-apiserver:v1.35.4 registry.k8s.io/kube-controller-manager:v1.35.4 registry.k8s.io/kube-scheduler:v1.35.4 registry.k8s.io/kube-proxy:v1.35.4 registry.k8s.io/coredns/coredns:v1.13.1 registry.k8s.io/pause:3.10.1 registry.k8s.io/etcd:3.6.6-0'
# --- spark-on-metal step library (rendered into every step script) ---------------------
# Every step script is idempotent: each change is guarded by an "already done?" check,
# so a re-run after a failure converges and an unchanged re-run changes nothing.

SOM_CHANGED=()

som_log() {
  printf 'spark-on-metal[%s %s on %s]: %s\n' "$SOM_STEP" "$SOM_NODE" "$SOM_RUNS_ON" "$*" >&2
}

som_die() {
  som_log "ERROR: $*"
  exit 1
}

# On any failing command: say which node, which step, where and what (pulumi-command shows
# this with the output's tail; the command line itself is only `bash -s -- apply`).
som_on_error() {
  local status=$1 line=$2 command=$3
  printf 'spark-on-metal: FAILED step=%s node=%s host=%s line=%s exit=%s: %s\n' \
    "$SOM_STEP" "$SOM_NODE" "$SOM_RUNS_ON" "$line" "$status" "$command" >&2
  exit "$status"
}
trap 'som_on_error $? $LINENO "$BASH_COMMAND"' ERR

# som_install PATH MODE < content: write only when different; remember what changed.
som_install() {
  local path=$1 mode=$2 tmp
  mkdir -p "$(dirname "$path")"
  tmp=$(mktemp "$path.som.XXXXXX")
  cat >"$tmp"
  chmod "$mode" "$tmp"
  # Compare modes as numbers: stat prints 644 where the renderer says 0644.
  if [ -f "$path" ] && cmp -s "$tmp" "$path" && [ "$((8#$(stat -c %a "$path")))" -eq "$((8#$mode))" ]; then
    rm -f "$tmp"
    return 0
  fi
  mv -f "$tmp" "$path"
  SOM_CHANGED+=("$path")
  som_log "wrote $path"
}

# som_changed PATH: did this run write PATH?
som_changed() {
  local path
  for path in "${SOM_CHANGED[@]}"; do
    [ "$path" = "$1" ] && return 0
  done
  return 1
}

som_uninstall() {
  local path
  for path in "$@"; do
    if [ -e "$path" ]; then
      rm -f "$path"
      som_log "removed $path"
    fi
  done
}

som_main() {
  case "${1:-apply}" in
    apply) som_apply ;;
    remove) som_remove ;;
    *) som_die "unknown action '${1}': use apply or remove" ;;
  esac
}
# --- files that replace the host's own (rendered into steps that install such files) ----
# A host file of ours replaces one the host had (containerd's configuration): the host's
# is kept aside when ours first lands and put back when ours is removed.

readonly SOM_PREVIOUS_SUFFIX=.spark-on-metal-previous

# som_is_ours PATH: does PATH carry this platform's header (its first line)?
som_is_ours() {
  case "$(head -n 1 "$1" 2>/dev/null || true)" in
    '# spark-on-metal'*) return 0 ;;
  esac
  return 1
}

# som_keep_previous PATH: keep the host's own file aside, once, before ours replaces it.
som_keep_previous() {
  local path=$1
  if [ -f "$path" ] && [ ! -e "$path$SOM_PREVIOUS_SUFFIX" ] && ! som_is_ours "$path"; then
    cp -p "$path" "$path$SOM_PREVIOUS_SUFFIX"
    som_log "kept the host's own $path as $path$SOM_PREVIOUS_SUFFIX"
  fi
}

# som_restore_previous PATH...: the host's own file back, or ours removed if it had none.
som_restore_previous() {
  local path
  for path in "$@"; do
    if [ -e "$path$SOM_PREVIOUS_SUFFIX" ]; then
      mv -f "$path$SOM_PREVIOUS_SUFFIX" "$path"
      som_log "restored the host's own $path"
    else
      som_uninstall "$path"
    fi
  done
}
som_install_files() {
  som_install /etc/modules-load.d/spark-on-metal.conf 0644 <<'SOM_EOF'
# spark-on-metal: loaded at boot
overlay
macvlan
SOM_EOF
  som_install /etc/sysctl.d/90-spark-on-metal.conf 0644 <<'SOM_EOF'
# spark-on-metal
net.ipv4.ip_forward = 1
SOM_EOF
  som_keep_previous /etc/containerd/config.toml
  som_install /etc/containerd/config.toml 0644 <<'SOM_EOF'
# spark-on-metal: containerd 2.x for kubelet (systemd cgroups, images from the mirror)
version = 3

[plugins.'io.containerd.cri.v1.images'.pinned_images]
  sandbox = 'registry.k8s.io/pause:3.10.1'

[plugins.'io.containerd.cri.v1.images'.registry]
  config_path = '/etc/containerd/certs.d'

[plugins.'io.containerd.cri.v1.runtime']
  # containerd.restrictOomScoreAdj in the stack (for hosts without CAP_SYS_RESOURCE).
  restrict_oom_score_adj = true

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
  runtime_type = 'io.containerd.runc.v2'

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
  SystemdCgroup = true

[plugins.'io.containerd.cri.v1.runtime'.cni]
  bin_dirs = ['/opt/cni/bin']
  conf_dir = '/etc/cni/net.d'
SOM_EOF
}
som_install_later_files() {
  som_install /etc/apt/sources.list.d/spark-on-metal-kubernetes.list 0644 <<'SOM_EOF'
deb [signed-by=/etc/apt/keyrings/spark-on-metal-kubernetes.asc] https://pkgs.k8s.io/core:/stable:/v1.35/deb/ /
SOM_EOF
  som_install /etc/apt/sources.list.d/spark-on-metal-containerd.list 0644 <<'SOM_EOF'
deb [signed-by=/etc/apt/keyrings/spark-on-metal-containerd.asc] https://download.docker.com/linux/debian bookworm stable
SOM_EOF
}
som_remove_files() {
  som_uninstall /etc/modules-load.d/spark-on-metal.conf /etc/sysctl.d/90-spark-on-metal.conf /etc/apt/sources.list.d/spark-on-metal-kubernetes.list /etc/apt/sources.list.d/spark-on-metal-containerd.list
  som_restore_previous /etc/containerd/config.toml
}
# --- who else configures the uplink (values: UPLINK) -------------------------------------
# host-network moves the host's address from the uplink to a macvlan sibling. A network
# manager that owns the uplink puts the address back (netplan apply, networkctl
# reconfigure, a restart on upgrade, a carrier flap, a DHCP renewal) and cuts the host
# off from its pods: such a host is refused before anything on it is changed.

# The manager that owns $UPLINK, or nothing when the address is static and unowned.
uplink_owner() {
  local state
  if systemctl is-active --quiet systemd-networkd 2>/dev/null; then
    state=$(networkctl list --no-legend --no-pager "$UPLINK" 2>/dev/null | awk '{ print $NF }')
    case "$state" in
      '' | unmanaged) ;;
      *) echo "systemd-networkd (netplan's renderer on Ubuntu; setup state '$state')"; return ;;
    esac
  fi
  if command -v nmcli >/dev/null 2>&1 && systemctl is-active --quiet NetworkManager 2>/dev/null; then
    state=$(nmcli -t -f DEVICE,STATE device status 2>/dev/null | awk -F: -v dev="$UPLINK" '$1 == dev { print $2 }')
    case "$state" in
      '' | unmanaged | unavailable) ;;
      *) echo "NetworkManager (device state '$state')"; return ;;
    esac
  fi
  if grep -qsE "^[[:space:]]*iface[[:space:]]+${UPLINK}[[:space:]]+inet[[:space:]]+dhcp" \
    /etc/network/interfaces /etc/network/interfaces.d/*; then
    echo "ifupdown with DHCP (/etc/network/interfaces)"
    return
  fi
  if [ -n "$(ip -4 -o addr show dev "$UPLINK" dynamic 2>/dev/null)" ]; then
    echo "a DHCP client (the address on $UPLINK is dynamic)"
  fi
}

check_uplink_owner() {
  local owner
  owner=$(uplink_owner)
  [ -n "$owner" ] || return 0
  som_die "the uplink $UPLINK is configured by $owner, which would put the host's address back on $UPLINK and cut the host off from its pods: give $UPLINK a static address that no manager owns (systemd-networkd: Unmanaged=yes in a .network matching $UPLINK; NetworkManager: nmcli device set $UPLINK managed no; ifupdown: 'iface $UPLINK inet static'), or set this node's 'uplink' to the interface that carries the layer-2 network"
}
# Step prepare-host (values above). Packages are left installed (and held) on removal:
# uninstalling a container runtime under a host's other workloads is not ours to decide.
# Everything else this step changes on the host, removal puts back.

readonly SYSCTLS_BEFORE="$STATE_DIR/sysctls-before"
readonly MASKED_UNITS="$STATE_DIR/masked-swap-units"
readonly SWAP_WAS_ON="$STATE_DIR/swap-was-on"
readonly FSTAB_MARK='# disabled by spark-on-metal: '

export DEBIAN_FRONTEND=noninteractive
# No conffile prompt can stop an install: keep a file the host changed, else the default.
readonly APT_INSTALL=(apt-get install -q -y --no-install-recommends --allow-change-held-packages
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)

apt_updated=no
apt_install() {
  if [ "$apt_updated" = no ]; then
    apt-get update -q
    apt_updated=yes
  fi
  "${APT_INSTALL[@]}" "$@"
}

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
      apt_updated=no
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

kubernetes_installed() {
  [ "$(kubeadm version -o short 2>/dev/null || true)" = "$KUBERNETES_TAG" ] &&
    [ "$(kubelet --version 2>/dev/null || true)" = "Kubernetes $KUBERNETES_TAG" ] &&
    { kubectl version --client 2>/dev/null || true; } | grep -qF "$KUBERNETES_TAG"
}

ensure_kubernetes_packages() {
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
  local tries=0
  until crictl --runtime-endpoint "$CRI_ENDPOINT" info >/dev/null 2>&1; do
    tries=$((tries + 1))
    [ "$tries" -lt "$CRI_WAIT_SECONDS" ] ||
      som_die "containerd's CRI service at $CRI_ENDPOINT did not answer within ${CRI_WAIT_SECONDS}s (journalctl -u containerd on this host says why)"
    sleep 1
  done
}

pull_images() {
  [ "$PULL_IMAGES" = yes ] || return 0
  if [ "$(cat "$IMAGES_MARKER" 2>/dev/null || true)" = "$IMAGES_WANTED" ]; then
    return 0
  fi
  kubeadm config images pull --config "$IMAGES_CONFIG" >&2
  mkdir -p "$(dirname "$IMAGES_MARKER")"
  printf '%s\n' "$IMAGES_WANTED" >"$IMAGES_MARKER"
  som_log "control-plane images pulled from the mirror"
}

som_apply() {
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
som_main "$@" </dev/null
