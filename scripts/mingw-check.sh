#!/usr/bin/env bash
# Compile-checks the Windows-only sources with Debian's mingw-w64 (g++-mingw-w64-x86-64-posix): no Windows
# machine is needed to see that they still build. Only files that need neither Boost nor OpenSSL (Debian
# has no OpenSSL for mingw) are listed. Skips with code 0 and a note when the compiler is absent, unless
# CI is set (then it is an error: install-deps.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."

CXX=x86_64-w64-mingw32-g++-posix
if ! command -v "$CXX" >/dev/null; then
  if [ -n "${CI:-}" ]; then
    echo "mingw-check: $CXX not found (scripts/install-deps.sh installs g++-mingw-w64-x86-64-posix)" >&2
    exit 1
  fi
  echo "mingw-check: $CXX not found; skipped"
  exit 0
fi

sources=(
  common/net/src/peer_owner_windows.cpp
)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for src in "${sources[@]}"; do
  "$CXX" -std=c++20 -Wall -Wextra -Wpedantic -Werror -O1 -Icommon/net/include \
    -c "$src" -o "$out/$(basename "$src" .cpp).o"
done
# Link too, so a function missing from the import libraries named in daemon/net's CMake wiring shows here.
cat >"$out/main.cpp" <<'CPP'
#include "cardbridge/net/peer_owner.hpp"
int main() { return cardbridge::net::platformPeerOwnerCheck()->servedUser().empty() ? 1 : 0; }
CPP
"$CXX" -std=c++20 -Icommon/net/include -c "$out/main.cpp" -o "$out/main.o"
"$CXX" -o "$out/check.exe" "$out"/*.o -liphlpapi -lwtsapi32 -ladvapi32 -lws2_32
echo "mingw-check: ${#sources[@]} Windows source(s) compile and link"
