# shellcheck shell=bash disable=SC2154
# Step join-credentials (values above), on the first control plane for node $SOM_NODE.
# stdout (a secret): token, CA public-key hash, certificate key (control planes), expiry.

ca_cert_hash() {
  openssl x509 -pubkey -noout -in /etc/kubernetes/pki/ca.crt |
    openssl pkey -pubin -outform der |
    sha256sum | cut -d' ' -f1
}

som_apply() {
  [ -f "$ADMIN_CONF" ] || som_die "the control plane on $SOM_RUNS_ON is not initialised"
  local token hash key="" expires
  token=$(kubeadm token create --ttl "${TOKEN_TTL_SECONDS}s" \
    --description "spark-on-metal: join $SOM_NODE" \
    --usages signing,authentication --groups system:bootstrappers:kubeadm:default-node-token)
  hash=$(ca_cert_hash)
  if [ "$JOIN_AS" = control-plane ]; then
    key=$(kubeadm certs certificate-key)
    kubeadm init phase upload-certs --upload-certs --certificate-key "$key" >/dev/null 2>&1
  fi
  expires=$(($(date +%s) + TOKEN_TTL_SECONDS))
  som_log "bootstrap token minted for $SOM_NODE (valid ${TOKEN_TTL_SECONDS}s)"
  printf 'token=%s\nca_cert_hash=sha256:%s\ncertificate_key=%s\nexpires=%s\n' "$token" "$hash" "$key" "$expires"
}

som_remove() {
  som_log "nothing to undo: the token expires by itself"
}
