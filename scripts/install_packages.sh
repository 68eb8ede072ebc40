#!/usr/bin/env bash
# Installs the Debian packages given that are not installed yet, saying which
# (the deps, bench-deps, boehm-test-deps and preload-tests targets use it).
# apt-get runs through sudo unless this runs as root; if installing fails,
# the package lists are updated and it tries once more.
#
# By hand: scripts/install_packages.sh libunwind-dev libgc-dev
set -euo pipefail

missing=()
for package in "$@"; do
    dpkg -s "$package" > /dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
echo "Installing missing Debian packages: ${missing[*]}"
$sudo apt-get install -y "${missing[@]}" || { $sudo apt-get update && $sudo apt-get install -y "${missing[@]}"; }
