#!/usr/bin/env bash
# Installs the Debian packages the build needs when they are missing (as root), or names them and stops.
# Sourced by deploy/run-demo.sh, deploy/run-tests.sh (which adds systemd for systemd-analyze) and
# deploy/install.sh.
set -euo pipefail
required=(libopenblas-dev libsqlite3-dev pkg-config openmpi-bin libopenmpi-dev ${extra_packages[@]+"${extra_packages[@]}"})
missing=()
for p in "${required[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then
        echo "Installing missing system packages: ${missing[*]}" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "Missing system packages: ${missing[*]}" >&2
        echo "Install them with: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
fi
