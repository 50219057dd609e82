# shellcheck shell=bash disable=SC2154
# Inputs: UPLINK
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
