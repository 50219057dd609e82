# shellcheck shell=bash disable=SC2154
# Inputs: KEEPALIVED_CONFIG VIP VIP_INTERFACE VIP_TIMEOUT_SECONDS WAIT_FOR_VIP
# Step api-vip (values above), on every control plane: keepalived holds the API's virtual
# IP on the healthiest control plane. The first control plane waits until it holds the
# VIP, which kubeadm init reaches as the controlPlaneEndpoint. The package stays on removal.

som_holds_vip() {
  ip -o -4 addr show dev "$VIP_INTERFACE" | grep -qF " $VIP/"
}

som_apply() {
  local package missing=()
  for package in keepalived curl; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -q -y --no-install-recommends "${missing[@]}" >&2
  fi
  som_install_files
  systemctl daemon-reload
  if som_changed "$KEEPALIVED_CONFIG" && systemctl is-active --quiet keepalived; then
    systemctl restart keepalived
  fi
  systemctl enable --now keepalived >/dev/null 2>&1
  if [ "$WAIT_FOR_VIP" = yes ]; then
    som_wait_for "$VIP_TIMEOUT_SECONDS" 1 \
      "$SOM_RUNS_ON does not hold the virtual IP $VIP on $VIP_INTERFACE after ${VIP_TIMEOUT_SECONDS}s: see 'journalctl -u keepalived' there" \
      som_holds_vip
    som_log "holds the virtual IP $VIP"
  fi
}

som_remove() {
  if systemctl list-unit-files keepalived.service >/dev/null 2>&1; then
    systemctl disable --now keepalived >/dev/null 2>&1 || true
  fi
  som_remove_files
  systemctl daemon-reload
}
