#!/usr/bin/env bash
# Installs every Debian package cardbridge needs to build, run and test. Idempotent: safe to run again.
set -euo pipefail

# libicu-dev: Unicode NFC (ICU Normalizer2) for comparing handler names in common/rules.
packages=(
  build-essential cmake ninja-build ccache pkg-config clang-format
  libboost1.81-dev libssl-dev libpcsclite-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev zlib1g-dev libsqlite3-dev libcli11-dev libicu-dev
  pcscd vsmartcard-vpcd opensc yubico-piv-tool util-linux openssl libnss3-tools
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
