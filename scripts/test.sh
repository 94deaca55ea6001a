#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs the unit, integration and interop tests.
#   scripts/test.sh                       all tests, build in ./build
#   scripts/test.sh --sanitize            ASan+UBSan build in ./build-asan
#   scripts/test.sh --label unit          only one CTest label (unit | integration | interop)
# Integration and interop tests start private pcscd instances in mount namespaces: run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build
cmake_args=()
targets=()
label='unit|integration|interop'
while [ $# -gt 0 ]; do
  case "$1" in
    --sanitize) build_dir=build-asan; cmake_args+=(-DCARDBRIDGE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DCARDBRIDGE_BENCH=OFF) ;;
    --label) label="$2"; shift
      # A unit-only run builds just the unit-test executables (they need no daemon or tools).
      [ "$label" = unit ] && targets=(--target cardbridge_unit_tests) ;;
    *) echo "usage: $0 [--sanitize] [--label unit|integration|interop]" >&2; exit 2 ;;
  esac
  shift
done

bash scripts/install-deps.sh
cmake -S . -B "$build_dir" -G Ninja "${cmake_args[@]}" >/dev/null
cmake --build "$build_dir" -j "$(nproc)" "${targets[@]}"
cd "$build_dir"
ctest -L "$label" --output-on-failure -j "$(nproc)"
