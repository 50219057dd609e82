# shellcheck shell=bash disable=SC2154
# Inputs: JOINING_HOST
# Shared by join-credentials and node-registered: the bootstrap tokens minted for a
# joining node carry its name and its host key's fingerprint in their description, which
# is how they are found again to be deleted (no expiry: a late retry still joins).

# Every token minted for this node starts so, whichever host key it was minted for.
som_join_token_prefix() {
  printf 'spark-on-metal: join %s (' "$SOM_NODE"
}

som_join_token_description() {
  printf '%s%s)' "$(som_join_token_prefix)" "$JOINING_HOST"
}

# som_delete_join_tokens PREFIX: delete every bootstrap token whose description starts
# with PREFIX. kubeadm prints whole tokens; only the public id reaches an argument.
som_delete_join_tokens() {
  local prefix=$1 token description id
  kubeadm token list -o jsonpath='{.token}{" "}{.description}{"\n"}' 2>/dev/null |
    while read -r token description; do
      [[ -n $token && $description == "$prefix"* ]] || continue
      id=${token%%.*}
      kubeadm token delete "$id" >/dev/null
      som_log "bootstrap token $id ($description) deleted"
    done
}
