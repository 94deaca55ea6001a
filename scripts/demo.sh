#!/usr/bin/env bash
# The run command: on the embedded default it installs what is missing, builds, starts (scripts/stack.sh)
# a private pcscd with vsmartcard's vpcd, a virtual PIV card provisioned with a demo certificate (Chinese subject, issued
# by a demo CA) and a PIN, a local cardbridge-authority on SQLite with that certificate enrolled and the
# card's PUK in its custody, and cardbridged; then prints what to open and where SMS codes land.
# Ctrl-C stops everything it started.
#
#   scripts/demo.sh                 the demo card's PIN is locked (3 wrong tries): unlock it in the web UI (忘记密码)
#   scripts/demo.sh --unlocked      PIN 123456, PUK in the authority's custody (for 我的证书 and 修改密码)
#   (--locked is accepted too: it is the default)
#
# Needs root (as CI and the tests do): the private pcscd runs in its own mount namespace, so the
# system's pcscd and real readers are left alone.
set -euo pipefail
cd "$(dirname "$0")/.."

locked=1
for arg in "$@"; do
  case "$arg" in
    --locked) locked=1 ;;
    --unlocked) locked=0 ;;
    *) echo "usage: $0 [--unlocked]" >&2; exit 2 ;;
  esac
done
if [ "$(id -u)" -ne 0 ]; then
  echo "demo: run as root (sudo $0): it starts a private pcscd in a mount namespace" >&2
  exit 1
fi

bash scripts/install-deps.sh
cmake -S . -B build -G Ninja >/dev/null
cmake --build build --target cardbridged cardbridge-vcard cardbridge-authority -j "$(nproc)"

demo=${CARDBRIDGE_DEMO_DIR:-/tmp/cardbridge-demo}
stack_args=(--dir "$demo")
[ "$locked" -eq 1 ] && stack_args+=(--locked)
# scripts/stack.sh starts everything and writes $demo/stack.env once it all answers. As a background job
# it ignores Ctrl-C's SIGINT, so Ctrl-C here is passed on to it as SIGTERM.
rm -f "$demo/stack.env"
bash scripts/stack.sh "${stack_args[@]}" &
stack=$!
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "demo: stopping"
  kill "$stack" 2>/dev/null || true
  wait "$stack" 2>/dev/null || true
}
trap cleanup INT TERM EXIT
until [ -f "$demo/stack.env" ]; do
  kill -0 "$stack" 2>/dev/null || { trap - EXIT; echo "demo: the stack did not start (logs in $demo)" >&2; exit 1; }
  sleep 0.1
done
# shellcheck source=/dev/null
. "$demo/stack.env"
url=$CARDBRIDGE_URL

cat <<MSG

cardbridge demo is running.

  Open:          $url   (web UI; wss:// on the same port for the JS SDK)
  Health:        ${url}health
  Virtual card:  reader "Virtual PCD 00 00", certificate CN=张三 (slot 9A), serial $CARDBRIDGE_CARD_SERIAL,
                 PIN $([ "$locked" -eq 1 ] && echo "locked (3 wrong tries)" || echo 123456); its PUK is in the authority's custody
  Authority:     ${CARDBRIDGE_AUTHORITY_URL}  (reviewers' pages: /review/, user "reviewer", password "demo-reviewer-1")
                 original applicant: 张三, 居民身份证 44030519900101123X, phone 13800138000
  SMS codes:     $CARDBRIDGE_SMS_OUTBOX
  Unlock:        in the web UI (忘记密码), or over WSS with the unlock.* methods of docs/api.md §4.5 (unlock.begin →
                 identify → sendCode → resetWithCode), or the review route with the attachments PUT and the reviewers' pages
  Doctor:        PCSCLITE_CSOCK_NAME=$PCSCLITE_CSOCK_NAME $CARDBRIDGE_DAEMON doctor
  Logs:          $demo/  (pcscd.log, vcard.log, cardbridged.out, authority/authority.out)

Ctrl-C stops everything.
MSG
wait "$stack"
