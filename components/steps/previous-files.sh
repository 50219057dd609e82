# shellcheck shell=bash
# Inputs:
# --- files that replace the host's own (rendered into steps that install such files) ----
# A host file of ours replaces one the host had (containerd's configuration): the host's
# is kept aside when ours first lands and put back when ours is removed.

readonly SOM_PREVIOUS_SUFFIX=.spark-on-metal-previous

# som_is_ours PATH: does PATH carry this platform's header (its first line)?
som_is_ours() {
  case "$(head -n 1 "$1" 2>/dev/null || true)" in
    '# spark-on-metal'*) return 0 ;;
  esac
  return 1
}

# som_keep_previous PATH: keep the host's own file aside, once, before ours replaces it.
som_keep_previous() {
  local path=$1
  if [ -f "$path" ] && [ ! -e "$path$SOM_PREVIOUS_SUFFIX" ] && ! som_is_ours "$path"; then
    cp -p "$path" "$path$SOM_PREVIOUS_SUFFIX"
    som_log "kept the host's own $path as $path$SOM_PREVIOUS_SUFFIX"
  fi
}

# som_restore_previous PATH...: the host's own file back, or ours removed if it had none.
som_restore_previous() {
  local path
  for path in "$@"; do
    if [ -e "$path$SOM_PREVIOUS_SUFFIX" ]; then
      mv -f "$path$SOM_PREVIOUS_SUFFIX" "$path"
      som_log "restored the host's own $path"
    else
      som_uninstall "$path"
    fi
  done
}
