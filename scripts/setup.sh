#!/usr/bin/env bash
# Install what the tests and the lab need, on a fresh Debian 12 machine as root:
# Debian packages (the base list here, plus each lab concern's debian-packages.txt and the
# toolchain's build dependencies), the virtualenv, then the lab's toolchain built from Go
# modules (cached outside the clone by name and version: a machine builds each binary once).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  openssh-server openssh-client containernetworking-plugins iptables iproute2
  iputils-ping dnsmasq-base conntrack shellcheck openssl util-linux procps python3-venv
  systemd dbus ca-certificates curl gnupg dpkg-dev
)
# Each lab concern lists its own packages beside its code (lab/packages.py reads them).
concern_list=$(python3 -m lab.packages)
toolchain_list=$(python3 -m lab.toolchain apt)
mapfile -t concern_packages <<<"$concern_list"
mapfile -t toolchain_packages <<<"$toolchain_list"

missing=()
for package in "${APT_PACKAGES[@]}" "${concern_packages[@]}" "${toolchain_packages[@]}"; do
  [ -n "$package" ] || continue
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages (${missing[*]}); run as root or install them" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -r requirements-dev.txt

# The toolchain: cold about half an hour on 2 cores, seconds when cached. Parts the Go
# module proxy refuses are reported as blocked (see README, "What is real").
.venv/bin/python -m lab.toolchain build
