#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs the unit, integration, interop, web and
# package tests.
#   scripts/test.sh                       all tests, build in ./build
#   scripts/test.sh --sanitize            ASan+UBSan build in ./build-asan
#   scripts/test.sh --label unit          only one CTest label (unit | integration | interop | web | package)
# Integration and interop tests start private pcscd instances in mount namespaces, and so do the web
# tests (tests/web/run.sh: the demo's stack, then Node and Debian's chromium): run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build
cmake_args=()
targets=()
label='unit|integration|interop|web|package'
while [ $# -gt 0 ]; do
  case "$1" in
    --sanitize) build_dir=build-asan; cmake_args+=(-DCARDBRIDGE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DCARDBRIDGE_BENCH=OFF) ;;
    --label) label="$2"; shift
      case "$label" in
        # A unit-only run builds just the unit-test executables (they need no daemon or tools).
        unit) targets=(--target cardbridge_unit_tests) ;;
        # The web tests drive the daemon, the authority and the virtual card: only those are built.
        web) targets=(--target cardbridged cardbridge-authority cardbridge-vcard) ;;
        # The package test builds the packages itself (the debs target) from these two.
        package) targets=(--target cardbridged cardbridge-authority) ;;
      esac ;;
    *) echo "usage: $0 [--sanitize] [--label unit|integration|interop|web|package]" >&2; exit 2 ;;
  esac
  shift
done

bash scripts/install-deps.sh
# The web tests' npm packages (playwright-core, axe-core), exactly as package-lock.json pins them. Here and
# not in .ci/run so that this command alone works on a fresh clone; only when the lock file changed since
# the last install, because npm ci starts by deleting node_modules.
if [[ "web" =~ ^($label)$ ]] && ! cmp -s package-lock.json node_modules/.cardbridge-lock 2>/dev/null; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.cardbridge-lock
fi
cmake -S . -B "$build_dir" -G Ninja "${cmake_args[@]}" >/dev/null
cmake --build "$build_dir" -j "$(nproc)" "${targets[@]}"
cd "$build_dir"
ctest -L "$label" --output-on-failure -j "$(nproc)"
