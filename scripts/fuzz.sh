#!/usr/bin/env bash
# The libFuzzer targets (tests/fuzz): builds them with clang in build-fuzz/ and runs each for a while.
#   scripts/fuzz.sh --minutes N [target...]   each target N minutes (default: all targets, one at a time)
#   scripts/fuzz.sh --seconds N [target...]   each target N seconds (CI: a short run of every target)
#   --jobs 2                                  two targets at a time
#   --build-only                              build, run nothing
#   --list                                    print the target names
# The corpus grows in a work folder (build-fuzz/work/<target>/corpus, seeded from tests/fuzz/corpus/<target>;
# FUZZ_WORK=DIR to put it elsewhere). Crashes, leaks, timeouts and out-of-memory inputs are saved as
# work/<target>/crashes/* and listed; the exit code is 1 when any target found one. A table of executions
# and executions per second per target ends the run (work/summary.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=""
jobs=1
build_only=0
list=0
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) seconds=$(( $2 * 60 )); shift ;;
    --seconds) seconds=$2; shift ;;
    --jobs) jobs=$2; shift ;;
    --build-only) build_only=1 ;;
    --list) list=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    -*) echo "usage: $0 (--minutes N | --seconds N | --build-only | --list) [--jobs J] [target...]" >&2; exit 2 ;;
    *) targets+=("$1") ;;
  esac
  shift
done

all=$(sed -n 's/^cardbridge_add_fuzzer(\([a-z_0-9]*\).*/\1/p' tests/fuzz/CMakeLists.txt)
if [ "$list" = 1 ]; then echo "$all"; exit 0; fi
if [ -z "$seconds" ] && [ "$build_only" = 0 ]; then
  echo "usage: $0 (--minutes N | --seconds N | --build-only | --list) [--jobs J] [target...]" >&2; exit 2
fi
[ ${#targets[@]} -gt 0 ] || mapfile -t targets <<<"$all"
for t in "${targets[@]}"; do
  grep -qx "$t" <<<"$all" || { echo "fuzz: no target '$t' (have: $(echo $all))" >&2; exit 2; }
done

bash scripts/install-deps.sh  # clang and libclang-rt-14-dev among the rest; quick when all are there

# A fuzzing build: clang, every library of ours with -fsanitize=fuzzer-no-link,address,undefined; -O1 and
# line tables (what libFuzzer's docs suggest, and the build is much faster than at -O2); asserts on.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}"
build=build-fuzz
start=$(date +%s)
cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCARDBRIDGE_FUZZ=ON -DCARDBRIDGE_BENCH=OFF \
  -DCMAKE_BUILD_TYPE=Fuzz -DCMAKE_CXX_FLAGS_FUZZ="-O1 -gline-tables-only" >/dev/null
cmake --build "$build" -j "$(nproc)" --target $(printf 'fuzz_%s ' "${targets[@]}")
echo "fuzz: built ${#targets[@]} targets in $(( $(date +%s) - start )) s"
[ "$build_only" = 1 ] && exit 0

work="${FUZZ_WORK:-$root/$build/work}"
mkdir -p "$work"
summary="$work/summary.txt"
: >"$summary"

# Runs one target; its line goes to the summary: target, seconds, executions, per second, corpus, result.
run_one() {
  local t=$1 dir="$work/$1"
  mkdir -p "$dir/corpus" "$dir/crashes"
  cp -n tests/fuzz/corpus/"$t"/* "$dir/corpus/" 2>/dev/null || true
  local began=$(date +%s) rc=0
  # -timeout: one input longer than 30 s is a hang (the JSON-RPC target waits up to 20 s for an answer).
  "$build/tests/fuzz/fuzz_$t" "$dir/corpus" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2560 \
    -artifact_prefix="$dir/crashes/" -print_final_stats=1 >"$dir/log.txt" 2>&1 || rc=$?
  local took=$(( $(date +%s) - began ))
  local execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log.txt" | tail -1)
  execs=${execs:-0}
  local per=$(( execs / (took > 0 ? took : 1) ))
  local found=$(find "$dir/crashes" -type f | wc -l)
  local result=ok
  if [ "$rc" != 0 ] || [ "$found" != 0 ]; then result="FOUND ($found saved, exit $rc; $dir/log.txt)"; fi
  printf '%-22s %6s s %12s execs %8s/s %6s inputs  %s\n' "$t" "$took" "$execs" "$per" \
    "$(ls "$dir/corpus" | wc -l)" "$result" >>"$summary"
  tail -1 "$summary"
}

pids=()
for t in "${targets[@]}"; do
  run_one "$t" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
done
for p in "${pids[@]}"; do wait "$p"; done

echo "fuzz: ${seconds} s per target; corpus and logs in $work"
sort "$summary"
if grep -q FOUND "$summary"; then
  echo "fuzz: FAILED — crash inputs:"
  find "$work" -path '*/crashes/*' -type f
  exit 1
fi
echo "fuzz: no crash in ${#targets[@]} targets"
