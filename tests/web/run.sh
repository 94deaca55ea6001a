#!/usr/bin/env bash
# Runs the web tests (Node's test runner) the way CTest's label `web` does, each run in a folder of its own:
# its own HOME (so its own NSS database and the daemon's own state folder with its local root), its own
# demo stack, nothing of the user's touched.
#
#   tests/web/run.sh [--build-dir DIR] node       the SDK against a stand-in, the reasons table, the form rules,
#                                                 the TypeScript declarations (tsc)
#   tests/web/run.sh [--build-dir DIR] browser    scripts/stack.sh --locked (private pcscd, virtual card,
#                                                 authority, cardbridged), then the SDK against the real daemon
#                                                 and the walks in Debian's chromium; needs root
#   tests/web/run.sh [--build-dir DIR] bench [N]  the same stack, fresh for each of N (default 5) timed walks
#                                                 of the SMS route from the example portal (docs/benchmarks.md)
#
# Screenshots, axe results, the printed PDF and measurements land in DIR/web-artifacts/ (DIR: ./build),
# with the stack's logs when a browser run fails. A test whose prerequisites are missing fails here
# instead of skipping (CARDBRIDGE_WEB_STRICT=1). CARDBRIDGE_KEEP_TEST_DIRS=1 keeps the run's folder.
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)

build=build
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build=$2; shift 2 ;;
    *) break ;;
  esac
done
mode=${1:-}
case "$mode" in node | browser | bench) ;; *) echo "usage: $0 [--build-dir DIR] node|browser|bench [N]" >&2; exit 2 ;; esac
case "$build" in /*) ;; *) build="$top/$build" ;; esac

fail() { echo "web tests: $*" >&2; exit 1; }
command -v node >/dev/null || fail "node is not installed (scripts/install-deps.sh)"
[ -f node_modules/playwright-core/package.json ] && [ -f node_modules/axe-core/axe.min.js ] ||
  fail "the npm packages are missing: npm ci (scripts/test.sh does it)"
if [ "$mode" != node ]; then
  [ "$(id -u)" -eq 0 ] || fail "the browser tests start a private pcscd in a mount namespace: run as root"
  for tool in chromium certutil pdftotext pdfinfo; do
    command -v "$tool" >/dev/null || fail "$tool is missing (scripts/install-deps.sh)"
  done
fi

run=$(mktemp -d /tmp/cardbridge-web.XXXXXX)
stack=""
finish() {
  local status=$?
  if [ -n "$stack" ]; then
    kill "$stack" 2>/dev/null || true
    wait "$stack" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ] && [ "$mode" = browser ] && [ -d "$run/stack" ]; then
    mkdir -p "$artifacts/stack-logs"
    cp "$run"/stack.log "$run"/stack/*.log "$run"/stack/*.out "$run"/stack/authority/*.out "$artifacts/stack-logs/" 2>/dev/null || true
    echo "web tests: the stack's logs are in $artifacts/stack-logs/" >&2
  fi
  if [ "${CARDBRIDGE_KEEP_TEST_DIRS:-0}" = 1 ]; then echo "web tests: kept $run" >&2; else rm -rf "$run"; fi
  exit "$status"
}
trap finish EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

export HOME="$run/home"
export XDG_CONFIG_HOME="$HOME/.config" XDG_STATE_HOME="$HOME/.local/state" XDG_CACHE_HOME="$HOME/.cache"
mkdir -p "$HOME"
export CARDBRIDGE_WEB_STRICT=1
export CARDBRIDGE_BUILD_DIR="$build"
artifacts=${CARDBRIDGE_WEB_ARTIFACTS:-$build/web-artifacts}
export CARDBRIDGE_WEB_ARTIFACTS="$artifacts"

# One file at a time (they share the stack and its one card). Bounded: each test at most 3 minutes, the
# whole Node run at most 6 (CTest's TIMEOUT is longer, so this script's cleanup always runs). The options
# are added only where this Node has them (--test-timeout: Node >= 20.11, --test-concurrency: >= 20.10;
# the machine's Node is 20, Debian's own nodejs 18: there each file gets a runner of its own); the
# overall bound holds on any Node.
node_args=(--test)
node_help=$(node --help 2>/dev/null || true)
for option in --test-concurrency=1 --test-reporter=spec --test-timeout=180000; do
  grep -q -- "${option%%=*}=" <<<"$node_help" && node_args+=("$option")
done
limit=${CARDBRIDGE_WEB_TIMEOUT:-360}
# node_tests FILE...: one runner for all (one summary) where files can be serialised, else one per file.
node_tests() {
  if [[ " ${node_args[*]} " == *" --test-concurrency=1 "* ]]; then
    timeout -k 10 "$limit" node "${node_args[@]}" "$@"
  else
    local status=0 file end=$((SECONDS + limit))
    for file in "$@"; do
      [ "$SECONDS" -lt "$end" ] || { echo "web tests: out of time before $file" >&2; return 124; }
      timeout -k 10 $((end - SECONDS)) node "${node_args[@]}" "$file" || status=1
    done
    return "$status"
  fi
}

if [ "$mode" = node ]; then
  node_tests tests/web/reasons.test.mjs tests/web/rules.test.mjs tests/web/sdk.test.mjs tests/web/types.test.mjs
  exit
fi

free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# start_stack [stack.sh options...]: a fresh stack in $run/stack, its settings exported once it answers.
start_stack() {
  rm -f "$run/stack/stack.env"  # a previous stack's: stack.sh empties its folder only once it runs
  bash scripts/stack.sh --locked --dir "$run/stack" --build-dir "$build" "$@" > "$run/stack.log" 2>&1 &
  stack=$!
  for _ in $(seq 900); do
    [ -f "$run/stack/stack.env" ] && break
    kill -0 "$stack" 2>/dev/null || { stack=""; cat "$run/stack.log" >&2; fail "the stack did not start"; }
    sleep 0.1
  done
  [ -f "$run/stack/stack.env" ] || { cat "$run/stack.log" >&2; fail "the stack did not answer in 90 s"; }
  set -a
  # shellcheck source=/dev/null
  . "$run/stack/stack.env"
  set +a
}
stop_stack() {
  kill "$stack" 2>/dev/null || true
  wait "$stack" 2>/dev/null || true
  stack=""
}

if [ "$mode" = bench ]; then
  iterations=${2:-5}
  portal_port=$(free_port)
  mkdir -p "$artifacts"
  results="$artifacts/bench-sms-route.jsonl"
  : > "$results"
  for i in $(seq "$iterations"); do
    start_stack --port "$(free_port)" --platform-origin "http://localhost:$portal_port"
    timeout -k 10 120 node tests/web/bench/sms_route.mjs --portal-port "$portal_port" --iteration "$i" >> "$results"
    stop_stack
  done
  node tests/web/bench/sms_route.mjs --summarize "$results"
  exit
fi

rm -rf "$artifacts"
mkdir -p "$artifacts"
start_stack --port "$(free_port)" --port "$(free_port)"
echo "web tests: stack at $CARDBRIDGE_URL (folder $run)"
node_tests \
  tests/web/daemon.test.mjs tests/web/browser/mock.test.mjs tests/web/browser/portal.test.mjs tests/web/browser/walk.test.mjs
