# shellcheck shell=bash
# Inputs:
# Removal of every upgrade step: an upgrade is not rolled back, and a node leaving the
# stack is drained by node-registered and reset by its kubeadm step.

som_remove() {
  som_log "nothing to undo"
}
