#!/usr/bin/env bash
# spark-on-metal step host-network: node cp1, run on cp1.
# Rendered from the stack configuration (components/steps); do not edit on the host.
# Usage: bash -s -- apply|remove < this-file
set -Eeuo pipefail
umask 022
readonly SOM_NODE=cp1
readonly SOM_RUNS_ON=cp1
readonly SOM_STEP=host-network
readonly BOOT_SCRIPTS='/usr/local/libexec/spark-on-metal/host-network.sh /usr/local/libexec/spark-on-metal/pod-forwarding.sh /usr/local/libexec/spark-on-metal/dns-notrack.sh'
readonly ALL_BOOT_SCRIPTS='/usr/local/libexec/spark-on-metal/host-network.sh /usr/local/libexec/spark-on-metal/pod-forwarding.sh /usr/local/libexec/spark-on-metal/dns-notrack.sh'
readonly NETWORK_UNIT=spark-on-metal-network.service
readonly NETWORK_UNIT_PATH=/etc/systemd/system/spark-on-metal-network.service
readonly CNI_PLUGINS='macvlan host-local portmap loopback'
readonly KUBELET_RESOLV_CONF=/etc/spark-on-metal/resolv.conf
readonly KUBELET_RESOLV_RENDERED=no
readonly RESOLV_OPTIONS='single-request-reopen timeout:2 attempts:2'
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
som_install_files() {
  som_install /usr/local/libexec/spark-on-metal/host-network.sh 0755 <<'SOM_EOF'
#!/usr/bin/env bash
# spark-on-metal: host networking of cp1 (rendered from the stack; do not edit)
set -euo pipefail
readonly UPLINK=eth0
readonly MACVLAN=mac0
readonly MACVLAN_MAC=f2:aa:35:bc:20:1b
readonly HOST_CIDR=10.99.0.11/17
readonly GATEWAY=10.99.127.254
readonly SAVED_SYSCTLS=/var/lib/spark-on-metal/host-network/uplink-sysctl
# Template: values (UPLINK MACVLAN MACVLAN_MAC HOST_CIDR GATEWAY SAVED_SYSCTLS) are set above
# by the renderer.
# Usage: host-network.sh apply|undo. Safe to run over an SSH session that uses HOST_CIDR:
# the address is added to the sub-interface before it leaves the uplink, so it never
# disappears from the host.
#
# ARP and reverse-path filtering, set before the move: the uplink would go on answering
# ARP for the host's address with its own MAC (Linux answers for any local address on
# any interface), so peers would flip between two MACs: the uplink answers only for
# addresses it holds itself (arp_ignore=1) and picks its own address as ARP source
# (arp_announce=2). Replies to the host arrive on the sub-interface while routes were
# learnt on the uplink: both filter loosely (rp_filter=2), or a strict host drops them,
# the SSH session doing the move included. The sub-interface comes up holding the
# address with arp_notify=1, so the kernel announces it with a gratuitous ARP (again
# after any link flap) and peers learn the new MAC at once.

log() { printf 'host-network: %s\n' "$*" >&2; }

has_address() {
  ip -4 -o addr show dev "$1" | awk '{print $4}' | grep -qxF "$2"
}

link_exists() {
  ip link show dev "$1" >/dev/null 2>&1
}

# Re-create every non-kernel IPv4 route through $1 (the default route among them) through $2.
move_routes() {
  local route words
  ip -4 route show dev "$1" | grep -v 'proto kernel' | while IFS= read -r route; do
    read -r -a words <<<"${route//linkdown/}"
    ip route replace "${words[@]}" dev "$2"
    log "route '${route}' now via $2"
  done
}

UPLINK_SYSCTLS=(arp_ignore=1 arp_announce=2 rp_filter=2)
MACVLAN_SYSCTLS=(arp_notify=1 rp_filter=2)

conf_path() {
  printf '/proc/sys/net/ipv4/conf/%s/%s' "$1" "$2"
}

# set_conf DEV KEY=VALUE...: per-interface IPv4 settings, written only when different.
set_conf() {
  local dev=$1 setting key value
  shift
  for setting in "$@"; do
    key=${setting%%=*} value=${setting#*=}
    if [ "$(cat "$(conf_path "$dev" "$key")")" != "$value" ]; then
      echo "$value" >"$(conf_path "$dev" "$key")"
      log "$dev: $key=$value"
    fi
  done
}

# The uplink's own values, recorded once before the first change: undo puts them back.
save_uplink_conf() {
  [ -e "$SAVED_SYSCTLS" ] && return 0
  local setting key
  mkdir -p "$(dirname "$SAVED_SYSCTLS")"
  for setting in "${UPLINK_SYSCTLS[@]}"; do
    key=${setting%%=*}
    printf '%s=%s\n' "$key" "$(cat "$(conf_path "$UPLINK" "$key")")"
  done >"$SAVED_SYSCTLS.tmp"
  mv "$SAVED_SYSCTLS.tmp" "$SAVED_SYSCTLS"
}

restore_uplink_conf() {
  [ -e "$SAVED_SYSCTLS" ] || return 0
  local saved
  mapfile -t saved <"$SAVED_SYSCTLS"
  set_conf "$UPLINK" "${saved[@]}"
  rm -f "$SAVED_SYSCTLS"
}

# The sub-interface, created down: it comes up only once it holds the host's address.
ensure_macvlan() {
  if link_exists "$MACVLAN"; then
    local details
    details=$(ip -d -o link show dev "$MACVLAN")
    case "$details" in
      *"$MACVLAN@$UPLINK:"*"macvlan mode bridge"*) ;;
      *) log "ERROR: $MACVLAN exists but is not a bridge-mode macvlan on $UPLINK: $details"; exit 1 ;;
    esac
  else
    ip link add link "$UPLINK" name "$MACVLAN" address "$MACVLAN_MAC" type macvlan mode bridge
    log "created $MACVLAN (macvlan, bridge mode) on $UPLINK"
  fi
  ip link set dev "$UPLINK" up
}

apply() {
  link_exists "$UPLINK" || { log "ERROR: uplink $UPLINK does not exist (check the node's 'uplink' setting)"; exit 1; }
  ensure_macvlan
  save_uplink_conf
  set_conf "$UPLINK" "${UPLINK_SYSCTLS[@]}"
  set_conf "$MACVLAN" "${MACVLAN_SYSCTLS[@]}"
  if ! has_address "$MACVLAN" "$HOST_CIDR"; then
    ip addr add "$HOST_CIDR" dev "$MACVLAN"
    log "added $HOST_CIDR to $MACVLAN"
  fi
  if ! ip link show dev "$MACVLAN" up | grep -q .; then
    ip link set dev "$MACVLAN" up
    log "$MACVLAN up (gratuitous ARP for $HOST_CIDR)"
  fi
  if has_address "$UPLINK" "$HOST_CIDR"; then
    move_routes "$UPLINK" "$MACVLAN"
    ip addr del "$HOST_CIDR" dev "$UPLINK"
    log "moved $HOST_CIDR from $UPLINK to $MACVLAN"
  fi
  if ! ip -4 route show default | grep -q .; then
    ip route replace default via "$GATEWAY" dev "$MACVLAN"
    log "default route via $GATEWAY on $MACVLAN"
  fi
}

undo() {
  link_exists "$MACVLAN" || { restore_uplink_conf; return 0; }
  if ! has_address "$UPLINK" "$HOST_CIDR"; then
    ip addr add "$HOST_CIDR" dev "$UPLINK"
    log "restored $HOST_CIDR on $UPLINK"
  fi
  move_routes "$MACVLAN" "$UPLINK"
  ip link del dev "$MACVLAN"
  log "removed $MACVLAN"
  restore_uplink_conf
}

case "${1:-apply}" in
  apply) apply ;;
  undo) undo ;;
  *) log "usage: $0 apply|undo"; exit 2 ;;
esac
SOM_EOF
  som_install /usr/local/libexec/spark-on-metal/pod-forwarding.sh 0755 <<'SOM_EOF'
#!/usr/bin/env bash
# spark-on-metal: forwarding of pod traffic through this host (rendered from the stack; do not edit)
set -euo pipefail
readonly CHAIN=SPARK-ON-METAL-FORWARD
readonly POD_POOL=10.99.64.0/20
# Template: values (CHAIN POD_POOL) are set above by the renderer.
# Usage: pod-forwarding.sh apply|undo. Pods reach services through this host (their
# service route); whatever the FORWARD policy, traffic from and to the pod pool is
# forwarded. kube-proxy's own KUBE-FORWARD chain handles marked and established flows.

log() { printf 'pod-forwarding: %s\n' "$*" >&2; }

desired() {
  printf -- '-N %s\n-A %s -s %s -j ACCEPT\n-A %s -d %s -j ACCEPT\n' \
    "$CHAIN" "$CHAIN" "$POD_POOL" "$CHAIN" "$POD_POOL"
}

apply() {
  if ! iptables -w -S "$CHAIN" >/dev/null 2>&1; then
    iptables -w -N "$CHAIN"
  fi
  if [ "$(iptables -w -S "$CHAIN")" != "$(desired)" ]; then
    iptables -w -F "$CHAIN"
    iptables -w -A "$CHAIN" -s "$POD_POOL" -j ACCEPT
    iptables -w -A "$CHAIN" -d "$POD_POOL" -j ACCEPT
    log "chain $CHAIN accepts $POD_POOL"
  fi
  if ! iptables -w -C FORWARD -j "$CHAIN" 2>/dev/null; then
    iptables -w -I FORWARD 1 -j "$CHAIN"
    log "FORWARD jumps to $CHAIN"
  fi
}

undo() {
  while iptables -w -C FORWARD -j "$CHAIN" 2>/dev/null; do
    iptables -w -D FORWARD -j "$CHAIN"
  done
  if iptables -w -S "$CHAIN" >/dev/null 2>&1; then
    iptables -w -F "$CHAIN"
    iptables -w -X "$CHAIN"
    log "removed chain $CHAIN"
  fi
}

case "${1:-apply}" in
  apply) apply ;;
  undo) undo ;;
  *) log "usage: $0 apply|undo"; exit 2 ;;
esac
SOM_EOF
  som_install /usr/local/libexec/spark-on-metal/dns-notrack.sh 0755 <<'SOM_EOF'
#!/usr/bin/env bash
# spark-on-metal: untracked DNS on cp1's address (rendered from the stack; do not edit)
set -euo pipefail
readonly CHAIN=SPARK-ON-METAL-DNS
readonly DNS_ADDRESS=10.99.0.11
# Template: values (CHAIN DNS_ADDRESS) are set above by the renderer.
# Usage: dns-notrack.sh apply|undo. DNS to this node's own address is neither NATed nor
# tracked: the A/AAAA race that stalls lookups for 5 seconds lives in conntrack entry
# creation (kubernetes/kubernetes#56903), and kube-proxy makes conntrack active on
# every node. NodeLocal DNSCache uses the same NOTRACK rules.

log() { printf 'dns-notrack: %s\n' "$*" >&2; }

desired() {
  local proto
  printf -- '-N %s\n' "$CHAIN"
  for proto in udp tcp; do
    printf -- '-A %s -d %s/32 -p %s -m %s --dport 53 -j NOTRACK\n' "$CHAIN" "$DNS_ADDRESS" "$proto" "$proto"
    printf -- '-A %s -s %s/32 -p %s -m %s --sport 53 -j NOTRACK\n' "$CHAIN" "$DNS_ADDRESS" "$proto" "$proto"
  done
}

apply() {
  local proto hook
  if ! iptables -w -t raw -S "$CHAIN" >/dev/null 2>&1; then
    iptables -w -t raw -N "$CHAIN"
  fi
  if [ "$(iptables -w -t raw -S "$CHAIN")" != "$(desired)" ]; then
    iptables -w -t raw -F "$CHAIN"
    for proto in udp tcp; do
      iptables -w -t raw -A "$CHAIN" -d "$DNS_ADDRESS/32" -p "$proto" -m "$proto" --dport 53 -j NOTRACK
      iptables -w -t raw -A "$CHAIN" -s "$DNS_ADDRESS/32" -p "$proto" -m "$proto" --sport 53 -j NOTRACK
    done
    log "DNS on $DNS_ADDRESS is not tracked"
  fi
  for hook in PREROUTING OUTPUT; do
    if ! iptables -w -t raw -C "$hook" -j "$CHAIN" 2>/dev/null; then
      iptables -w -t raw -I "$hook" 1 -j "$CHAIN"
    fi
  done
}

undo() {
  local hook
  for hook in PREROUTING OUTPUT; do
    while iptables -w -t raw -C "$hook" -j "$CHAIN" 2>/dev/null; do
      iptables -w -t raw -D "$hook" -j "$CHAIN"
    done
  done
  if iptables -w -t raw -S "$CHAIN" >/dev/null 2>&1; then
    iptables -w -t raw -F "$CHAIN"
    iptables -w -t raw -X "$CHAIN"
    log "removed chain $CHAIN"
  fi
}

case "${1:-apply}" in
  apply) apply ;;
  undo) undo ;;
  *) log "usage: $0 apply|undo"; exit 2 ;;
esac
SOM_EOF
  som_install /etc/systemd/system/spark-on-metal-network.service 0644 <<'SOM_EOF'
# spark-on-metal: re-create the macvlan host interface and pod forwarding at boot
[Unit]
Description=spark-on-metal host networking for macvlan pods
Wants=network-online.target
After=network-online.target
Before=kubelet.service containerd.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/libexec/spark-on-metal/host-network.sh apply
ExecStart=/usr/local/libexec/spark-on-metal/pod-forwarding.sh apply
ExecStart=/usr/local/libexec/spark-on-metal/dns-notrack.sh apply

[Install]
WantedBy=multi-user.target
SOM_EOF
  som_install /etc/cni/net.d/00-spark-on-metal.conflist 0644 <<'SOM_EOF'
{
  "cniVersion": "1.0.0",
  "name": "spark-on-metal",
  "plugins": [
    {
      "type": "macvlan",
      "master": "eth0",
      "mode": "bridge",
      "ipam": {
        "type": "host-local",
        "dataDir": "/var/lib/cni/networks",
        "ranges": [
          [
            {
              "subnet": "10.99.0.0/17",
              "rangeStart": "10.99.69.129",
              "rangeEnd": "10.99.69.254",
              "gateway": "10.99.127.254"
            }
          ]
        ],
        "routes": [
          {
            "dst": "0.0.0.0/0",
            "gw": "10.99.127.254"
          },
          {
            "dst": "10.99.80.0/24",
            "gw": "10.99.0.11"
          }
        ]
      }
    },
    {
      "type": "portmap",
      "capabilities": {
        "portMappings": true
      }
    }
  ]
}
SOM_EOF
}
som_remove_files() {
  som_uninstall /usr/local/libexec/spark-on-metal/host-network.sh /usr/local/libexec/spark-on-metal/pod-forwarding.sh /usr/local/libexec/spark-on-metal/dns-notrack.sh /etc/systemd/system/spark-on-metal-network.service /etc/cni/net.d/00-spark-on-metal.conflist
}
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
  # A script this node no longer needs (it lost the dns role): undo what it set up.
  for script in $ALL_BOOT_SCRIPTS; do
    case " $BOOT_SCRIPTS " in *" $script "*) continue ;; esac
    if [ -x "$script" ]; then
      "$script" undo
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
  # In reverse order of apply; a script a former version installed is undone too.
  read -r -a scripts <<<"$ALL_BOOT_SCRIPTS"
  for ((index = ${#scripts[@]} - 1; index >= 0; index--)); do
    if [ -x "${scripts[index]}" ]; then
      "${scripts[index]}" undo
      som_uninstall "${scripts[index]}"
    fi
  done
  remove_host_resolv_options
  som_remove_files
  som_uninstall "$KUBELET_RESOLV_CONF"
  systemctl daemon-reload
}
som_main "$@" </dev/null
