# shellcheck shell=bash disable=SC2154
# Inputs: ADMIN_CONF INIT_CONFIG JOIN_AS JOINING_HOST TOKEN_TTL_SECONDS
# Step join-credentials (values above), on the first control plane for node $SOM_NODE,
# the machine whose host key has the fingerprint $JOINING_HOST (a new key: a new token).
# stdout (a secret): token, CA public-key hash, certificate key (control planes), expiry.

ca_cert_hash() {
  openssl x509 -pubkey -noout -in /etc/kubernetes/pki/ca.crt |
    openssl pkey -pubin -outform der |
    sha256sum | cut -d' ' -f1
}

# upload_certs KEY: the control-plane certificates, encrypted with KEY, into the cluster.
# The key goes in a private copy of the init configuration (InitConfiguration's
# certificateKey), never in kubeadm's arguments.
upload_certs() {
  local key=$1 config content marker=$'\nkind: InitConfiguration\n'
  content=$(<"$INIT_CONFIG")
  [[ $content == *"$marker"* ]] || som_die "$INIT_CONFIG holds no InitConfiguration"
  config=$(umask 077 && mktemp "$INIT_CONFIG.XXXXXX")
  printf '%s\n' "${content/"$marker"/"${marker}certificateKey: ${key}"$'\n'}" >"$config"
  if ! kubeadm init phase upload-certs --upload-certs --config "$config" >/dev/null 2>&1; then
    rm -f "$config"
    som_die "kubeadm could not upload the control-plane certificates"
  fi
  rm -f "$config"
}

som_apply() {
  [ -f "$ADMIN_CONF" ] || som_die "the control plane on $SOM_RUNS_ON is not initialised"
  local token hash key="" expires
  token=$(kubeadm token create --ttl "${TOKEN_TTL_SECONDS}s" \
    --description "spark-on-metal: join $SOM_NODE ($JOINING_HOST)" \
    --usages signing,authentication --groups system:bootstrappers:kubeadm:default-node-token)
  hash=$(ca_cert_hash)
  if [ "$JOIN_AS" = control-plane ]; then
    key=$(kubeadm certs certificate-key)
    upload_certs "$key"
  fi
  expires=$(($(date +%s) + TOKEN_TTL_SECONDS))
  som_log "bootstrap token minted for $SOM_NODE, host key $JOINING_HOST (valid ${TOKEN_TTL_SECONDS}s)"
  printf 'token=%s\nca_cert_hash=sha256:%s\ncertificate_key=%s\nexpires=%s\n' "$token" "$hash" "$key" "$expires"
}

som_remove() {
  som_log "nothing to undo: the token expires by itself"
}
