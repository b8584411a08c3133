#!/usr/bin/env bash
# Installs the Debian packages the tests need (SoftHSM2 and OpenSC for the XKS proxy's PKCS#11
# tests, Chromium for the `explain --format html` page test). Skips what is already installed;
# uses sudo when not run as root.
set -euo pipefail

packages=(softhsm2 opensc chromium)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages present: ${packages[*]}"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
