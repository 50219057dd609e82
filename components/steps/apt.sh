# shellcheck shell=bash
# Inputs:
# apt-get for steps that install packages (prepare-host, upgrade): one update per run,
# no prompt.

export DEBIAN_FRONTEND=noninteractive
# No conffile prompt can stop an install: keep a file the host changed, else the default.
readonly APT_INSTALL=(apt-get install -q -y --no-install-recommends --allow-change-held-packages
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)

apt_updated=no

# A source line changed: the next install updates the package lists first.
apt_sources_changed() {
  apt_updated=no
}

apt_install() {
  if [ "$apt_updated" = no ]; then
    apt-get update -q
    apt_updated=yes
  fi
  "${APT_INSTALL[@]}" "$@"
}
