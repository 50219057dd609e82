# shellcheck shell=bash disable=SC2154
# Inputs: ADMIN_CONF CERTS_SECRET INIT_CONFIG JOIN_AS JOINING_HOST
# Step join-credentials (values above), on the first control plane for node $SOM_NODE,
# the machine whose host key has the fingerprint $JOINING_HOST (a new key: a new token).
# stdout (a secret): token, CA public-key hash, certificate key (control planes).
# The token does not expire: a join retried days later still works. node-registered
# deletes it once the node is registered, and removing the node from the stack does too.

ca_cert_hash() {
  openssl x509 -pubkey -noout -in /etc/kubernetes/pki/ca.crt |
    openssl pkey -pubin -outform der |
    sha256sum | cut -d' ' -f1
}

# The cluster's certificate key: derived from the cluster CA's private key, so every
# control plane's credentials (minted in parallel, or again on a retry) decrypt whichever
# upload came last, and only a holder of that private key can recompute it.
certificate_key() {
  { printf 'spark-on-metal kubeadm-certs\n'; cat /etc/kubernetes/pki/ca.key; } | sha256sum | cut -d' ' -f1
}

# upload_certs KEY: the control-plane certificates, encrypted with KEY, into the cluster.
# The key goes in a private copy of the init configuration (InitConfiguration's
# certificateKey), never in kubeadm's arguments. kubeadm makes the Secret a dependent of
# a two-hour token; it is detached from it, so a control plane joining later still finds
# it (it is useless without the key, which only the CA's private key gives).
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
  kubectl_admin -n kube-system patch secret "$CERTS_SECRET" --type json \
    -p '[{"op": "remove", "path": "/metadata/ownerReferences"}]' >/dev/null ||
    som_die "could not detach the $CERTS_SECRET Secret from kubeadm's two-hour token"
}

som_apply() {
  [ -f "$ADMIN_CONF" ] || som_die "the control plane on $SOM_RUNS_ON is not initialised"
  local token hash key=""
  token=$(kubeadm token create --ttl 0 \
    --description "$(som_join_token_description)" \
    --usages signing,authentication --groups system:bootstrappers:kubeadm:default-node-token)
  hash=$(ca_cert_hash)
  if [ "$JOIN_AS" = control-plane ]; then
    key=$(certificate_key)
    upload_certs "$key"
  fi
  som_log "bootstrap token minted for $SOM_NODE, host key $JOINING_HOST (until the node registers)"
  printf 'token=%s\nca_cert_hash=sha256:%s\ncertificate_key=%s\n' "$token" "$hash" "$key"
}

# A node taken out of the stack before it joined, or a host key replaced: its token goes.
som_remove() {
  [ -f "$ADMIN_CONF" ] || return 0
  som_delete_join_tokens "$(som_join_token_description)"
}
