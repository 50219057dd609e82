# shellcheck shell=bash disable=SC2154
# Inputs: ADMIN_CONF API_SERVER_URL CRI_ENDPOINT LOCAL_API_URL PRINT_KUBECONFIG RENEW_BEFORE_DAYS RESTART_TIMEOUT_SECONDS
# Step certificates (values above), on every control plane: when the first certificate
# kubeadm manages here expires within RENEW_BEFORE_DAYS, renew them all and restart the
# control-plane containers, which read certificates only when they start.
# stdout (a secret): the earliest expiry after the check and, on the first control plane,
# the admin kubeconfig (base64, server set to the API endpoint).

# Every certificate kubeadm renews on this host, as "<unix time of expiry> <name>", one per
# line, earliest first. kubeadm reads the files; when the API does not answer (expired
# certificates) it says so on stderr and goes on with its defaults.
som_certificate_expiries() {
  local report name date managed missing
  report=$(kubeadm certs check-expiration -o \
    jsonpath='{range .certificates[*]}{.name}{" "}{.expirationDate}{" "}{.externallyManaged}{" "}{.missing}{"\n"}{end}' 2>/dev/null) ||
    som_die "kubeadm certs check-expiration failed on $SOM_RUNS_ON: run it there to see why"
  while read -r name date managed missing; do
    if [ -n "$name" ] && [ "$managed" != true ] && [ "$missing" != true ]; then
      printf '%s %s\n' "$(date -u -d "$date" +%s)" "$name"
    fi
  done <<<"$report" | sort -n
}

som_rfc3339() {
  date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ
}

som_container() {
  crictl --runtime-endpoint "$CRI_ENDPOINT" ps --name "^$1\$" --state running -q 2>/dev/null | head -n 1
}

som_local_api_ready() {
  kubectl --kubeconfig "$ADMIN_CONF" --server "$LOCAL_API_URL" get --raw /readyz
}

# Stop each control-plane container in turn; kubelet starts it again from its static
# pod, and the new process loads the renewed files (kubeadm's documented restart).
som_restart_control_plane() {
  local component old
  for component in etcd kube-apiserver kube-controller-manager kube-scheduler; do
    old=$(som_container "$component")
    [ -n "$old" ] || continue # etcd outside the control plane: not ours to restart
    crictl --runtime-endpoint "$CRI_ENDPOINT" stop "$old" >/dev/null
    som_wait_for "$RESTART_TIMEOUT_SECONDS" 2 \
      "$component did not come back within ${RESTART_TIMEOUT_SECONDS}s after its restart: see 'crictl ps -a --name $component' on $SOM_RUNS_ON" \
      som_restarted "$component" "$old"
    som_log "$component restarted"
  done
  som_wait_for "$RESTART_TIMEOUT_SECONDS" 2 \
    "the API server on $SOM_RUNS_ON is not ready ${RESTART_TIMEOUT_SECONDS}s after its restart: see 'crictl logs' of kube-apiserver there" \
    som_local_api_ready
}

som_restarted() {
  local now
  now=$(som_container "$1")
  [ -n "$now" ] && [ "$now" != "$2" ]
}

som_apply() {
  [ -f "$ADMIN_CONF" ] || som_die "the control plane on $SOM_RUNS_ON is not initialised"
  local expiries first
  expiries=$(som_certificate_expiries)
  [ -n "$expiries" ] || som_die "kubeadm reports no certificates it manages on $SOM_RUNS_ON"
  first=${expiries%%$'\n'*}
  if [ "${first%% *}" -lt $(($(date +%s) + RENEW_BEFORE_DAYS * 86400)) ]; then
    som_log "certificate ${first#* } expires $(som_rfc3339 "${first%% *}"), within ${RENEW_BEFORE_DAYS} days: renewing all"
    kubeadm certs renew all 2>&1 | som_redact >&2
    som_restart_control_plane
    expiries=$(som_certificate_expiries)
    first=${expiries%%$'\n'*}
    som_log "certificates renewed; the first now expires $(som_rfc3339 "${first%% *}")"
  else
    som_log "the first certificate (${first#* }) expires $(som_rfc3339 "${first%% *}"): not within ${RENEW_BEFORE_DAYS} days"
  fi
  printf 'expires=%s\n' "$(som_rfc3339 "${first%% *}")"
  if [ "$PRINT_KUBECONFIG" = yes ]; then
    printf 'kubeconfig=%s\n' "$(sed -E "s|^( *server: ).*|\1$API_SERVER_URL|" "$ADMIN_CONF" | base64 -w 0)"
  fi
}

som_remove() {
  som_log "nothing to undo: the certificates stay with the control plane (kubeadm reset removes them)"
}
