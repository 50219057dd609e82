# shellcheck shell=bash disable=SC2154
# Inputs: ALL_BOOT_SCRIPTS BOOT_SCRIPTS CNI_PLUGINS KUBELET_RESOLV_CONF KUBELET_RESOLV_RENDERED NETWORK_UNIT NETWORK_UNIT_PATH RESOLV_OPTIONS
# Step host-network (values above).

readonly RESOLV_MARK='# spark-on-metal: resolver options'

check_cni_plugins() {
  local plugin
  for plugin in $CNI_PLUGINS; do
    [ -x "/opt/cni/bin/$plugin" ] ||
      som_die "CNI plugin /opt/cni/bin/$plugin is missing (package kubernetes-cni or containernetworking-plugins)"
  done
}

# kubelet's resolvConf when dns.upstreams is empty: the host's real upstreams, never a
# loopback stub (hostNetwork CoreDNS forwards to what this file lists).
derive_kubelet_resolv() {
  [ "$KUBELET_RESOLV_RENDERED" = no ] || return 0
  local source=/etc/resolv.conf servers
  if [ -f /run/systemd/resolve/resolv.conf ]; then
    source=/run/systemd/resolve/resolv.conf
  fi
  servers=$(awk '$1 == "nameserver" && $2 !~ /^127\./ && $2 != "::1" { print "nameserver " $2 }' "$source" | head -n 3)
  [ -n "$servers" ] || som_die "no upstream resolver in $source (only loopback stubs): set dns.upstreams in the stack"
  som_install "$KUBELET_RESOLV_CONF" 0644 < <(printf '%s\n%s\noptions %s\n' \
    "# spark-on-metal: kubelet resolvConf (upstreams from $source)" "$servers" "$RESOLV_OPTIONS")
}

# The host's own resolver gets the same options, where the file is the host's to edit.
ensure_host_resolv_options() {
  local conf=/etc/resolv.conf
  if [ -L "$conf" ] || [ ! -f "$conf" ]; then
    som_log "$conf is managed by another service; leaving it as it is"
    return 0
  fi
  if ! grep -A1 -xF "$RESOLV_MARK" "$conf" | grep -qxF "options $RESOLV_OPTIONS"; then
    remove_host_resolv_options
    printf '%s\noptions %s\n' "$RESOLV_MARK" "$RESOLV_OPTIONS" >>"$conf"
    som_log "added 'options $RESOLV_OPTIONS' to $conf"
  fi
}

remove_host_resolv_options() {
  if [ -f /etc/resolv.conf ] && [ ! -L /etc/resolv.conf ]; then
    sed -i "\\|^$RESOLV_MARK\$|,+1d" /etc/resolv.conf
  fi
}

som_apply() {
  som_install_files
  check_cni_plugins
  derive_kubelet_resolv
  ensure_host_resolv_options
  local script
  for script in $BOOT_SCRIPTS; do
    "$script" apply
  done
  # A script this node no longer needs (it lost the dns role): remove what it set up.
  for script in $ALL_BOOT_SCRIPTS; do
    case " $BOOT_SCRIPTS " in *" $script "*) continue ;; esac
    if [ -x "$script" ]; then
      "$script" remove
      som_uninstall "$script"
    fi
  done
  if som_changed "$NETWORK_UNIT_PATH"; then
    systemctl daemon-reload
  fi
  if ! systemctl is-enabled --quiet "$NETWORK_UNIT"; then
    systemctl enable "$NETWORK_UNIT"
  fi
}

som_remove() {
  if systemctl is-enabled --quiet "$NETWORK_UNIT" 2>/dev/null; then
    systemctl disable "$NETWORK_UNIT"
  fi
  local scripts index
  # In reverse order of apply; a script a former version installed is removed too.
  read -r -a scripts <<<"$ALL_BOOT_SCRIPTS"
  for ((index = ${#scripts[@]} - 1; index >= 0; index--)); do
    if [ -x "${scripts[index]}" ]; then
      "${scripts[index]}" remove
      som_uninstall "${scripts[index]}"
    fi
  done
  remove_host_resolv_options
  som_remove_files
  som_uninstall "$KUBELET_RESOLV_CONF"
  systemctl daemon-reload
}
