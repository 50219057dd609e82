# shellcheck shell=bash disable=SC2154
# Inputs: CA_HASH_PLACEHOLDER CERTIFICATE_KEY_PLACEHOLDER JOIN_CONFIG KUBELET_CONF TOKEN_PLACEHOLDER
# Step kubeadm-join (values above). The credentials arrive inside this script (a Pulumi
# secret); they are written only to a private temporary copy of the join configuration,
# never into a program's arguments.

som_apply() {
  som_install_files
  if [ -f "$KUBELET_CONF" ]; then
    som_log "already joined; kubeadm join not re-run"
    return 0
  fi
  local key value token="" hash="" certificate_key="" config
  while IFS='=' read -r key value; do
    case "$key" in
      token) token=$value ;;
      ca_cert_hash) hash=$value ;;
      certificate_key) certificate_key=$value ;;
    esac
  done < <(som_secret_join_credentials)
  if [ -z "$token" ] || [ -z "$hash" ]; then
    som_die "no join credentials were handed to this step"
  fi
  config=$(umask 077 && mktemp "$JOIN_CONFIG.XXXXXX")
  # shellcheck disable=SC2064 # expand now: the trap must remove this very file
  trap "rm -f '$config'" EXIT
  # bash's own substitution and printf: no other program sees the credentials in its
  # arguments (/proc/<pid>/cmdline is readable by every local user)
  local content
  content=$(<"$JOIN_CONFIG")
  content=${content//"$TOKEN_PLACEHOLDER"/"$token"}
  content=${content//"$CA_HASH_PLACEHOLDER"/"$hash"}
  content=${content//"$CERTIFICATE_KEY_PLACEHOLDER"/"$certificate_key"}
  printf '%s\n' "$content" >"$config"
  kubeadm join --config "$config" 2>&1 | som_redact >&2
  som_log "joined the cluster"
}

som_remove() {
  som_leave_cluster
  som_remove_files
}
