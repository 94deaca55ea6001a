#!/usr/bin/env bash
# Installs every Debian package cardbridge needs to build, run and test. Idempotent: safe to run again.
set -euo pipefail

# libicu-dev: Unicode NFC (ICU Normalizer2) for comparing handler names in common/rules.
# The web tests (tests/web/): chromium driven by npm's playwright-core, fonts-noto-cjk so Chinese is not
# empty boxes in screenshots, poppler-utils (pdftotext, pdfinfo) to read the printed 申请表, libnss3-tools
# (certutil) for the browser's trust in the local root; the npm packages come from package-lock.json
# (npm ci, in scripts/test.sh).
# g++-mingw-w64-x86-64-posix: scripts/mingw-check.sh compiles the Windows-only sources (the peer-owner
# check) so that they keep building without a Windows machine.
# libsystemd-dev: sd_notify (readiness, watchdog, stopping) for cardbridged's systemd user unit; systemd:
# systemd-analyze, which verifies the units in the tests (no systemd runs as PID 1 here).
# dpkg-dev (dpkg-shlibdeps, for CPack's .deb dependencies) and debootstrap: the package test builds the
# .debs and installs them into a fresh Debian 12 root (tests/package).
# clang and libclang-rt-14-dev (libFuzzer's libclang_rt.fuzzer, and clang's ASan/UBSan runtimes): the fuzz
# targets (tests/fuzz, scripts/fuzz.sh) are built with Debian's clang 14.
packages=(
  build-essential cmake ninja-build ccache pkg-config clang-format
  libboost1.81-dev libssl-dev libpcsclite-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev zlib1g-dev libsqlite3-dev libcli11-dev libicu-dev
  pcscd vsmartcard-vpcd opensc yubico-piv-tool util-linux openssl libnss3-tools
  chromium fonts-noto-cjk poppler-utils g++-mingw-w64-x86-64-posix
  clang libclang-rt-14-dev
  libsystemd-dev systemd dpkg-dev debootstrap
)
# Node.js and npm: whichever the machine has (Node 20 from its own packages here, npm with it); Debian's
# nodejs and npm when there is none.
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)

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
