#!/usr/bin/env bash
# The run command: on the embedded default it installs what is missing, builds, starts a private pcscd
# with vsmartcard's vpcd, a virtual PIV card provisioned with a demo certificate (Chinese subject) and a
# PIN, and cardbridged; then prints what to open. Ctrl-C stops everything it started.
#
#   scripts/demo.sh                 PIN 123456, PUK 12345678
#   scripts/demo.sh --locked        the demo card's PIN is locked (for the unlock flow)
#
# Needs root (as CI and the tests do): the private pcscd runs in its own mount namespace, so the
# system's pcscd and real readers are left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

locked=0
for arg in "$@"; do
  case "$arg" in
    --locked) locked=1 ;;
    *) echo "usage: $0 [--locked]" >&2; exit 2 ;;
  esac
done
if [ "$(id -u)" -ne 0 ]; then
  echo "demo: run as root (sudo $0): it starts a private pcscd in a mount namespace" >&2
  exit 1
fi

bash scripts/install-deps.sh
cmake -S . -B build -G Ninja >/dev/null
cmake --build build --target cardbridged cardbridge-vcard -j "$(nproc)"

demo=${CARDBRIDGE_DEMO_DIR:-/tmp/cardbridge-demo}
rm -rf "$demo"
mkdir -p "$demo" && chmod 700 "$demo"
pids=()
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "demo: stopping"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

# A free pair of TCP ports for vpcd's two slots.
port=$((36000 + RANDOM % 2000))
while (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null || (exec 3<>/dev/tcp/127.0.0.1/$((port + 1))) 2>/dev/null; do
  port=$((port + 2))
done
printf 'FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:0x%X\nLIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID 0x%X\n' \
  "$port" "$port" > "$demo/reader.conf"
mkdir -p /run/pcscd
unshare -m sh -c "mount --bind '$demo' /run/pcscd && exec pcscd --foreground -c '$demo/reader.conf'" \
  > "$demo/pcscd.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S "$demo/pcscd.comm" ] && break; sleep 0.1; done
export PCSCLITE_CSOCK_NAME="$demo/pcscd.comm"

# The demo card: a fresh key and certificate minted now (nothing private ships with the project).
vcard="$top/build/tools/vcard/cardbridge-vcard"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 -utf8 \
  -subj "/C=CN/ST=广东省/L=深圳市/O=深圳市示例医疗器械有限公司/CN=张三" \
  -addext "keyUsage=critical,digitalSignature,nonRepudiation" -addext "extendedKeyUsage=clientAuth" \
  -keyout "$demo/demo.key" -out "$demo/demo.crt" 2>/dev/null
"$vcard" init --state "$demo/card.json" --force --serial 20261127 >/dev/null
"$vcard" import --state "$demo/card.json" --slot 9a --cert "$demo/demo.crt" --key "$demo/demo.key" >/dev/null
rm -f "$demo/demo.key"
[ "$locked" -eq 1 ] && "$vcard" lock-pin --state "$demo/card.json" >/dev/null
"$vcard" run --state "$demo/card.json" --vpcd-port "$port" --control "$demo/vcard.sock" > "$demo/vcard.log" 2>&1 &
pids+=($!)

# The daemon, with its default paths; its local root goes into the browser's NSS database.
daemon="$top/build/daemon/cardbridged"
"$daemon" certs init >/dev/null
if command -v certutil >/dev/null; then "$daemon" certs trust >/dev/null; fi
"$daemon" > "$demo/cardbridged.out" 2>&1 &
pids+=($!)
url=""
for _ in $(seq 100); do
  url=$(grep -o 'https://127.0.0.1:[0-9]*/' "$demo/cardbridged.out" | head -1 || true)
  [ -n "$url" ] && break
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "demo: cardbridged did not start:" >&2
  cat "$demo/cardbridged.out" >&2
  exit 1
fi

cat <<MSG

cardbridge demo is running.

  Open:          $url   (web UI; wss:// on the same port for the JS SDK)
  Health:        ${url}health
  Virtual card:  reader "Virtual PCD 00 00", certificate CN=张三 (slot 9A),
                 PIN $([ "$locked" -eq 1 ] && echo "locked (3 wrong tries)" || echo 123456), PUK 12345678
  Doctor:        PCSCLITE_CSOCK_NAME=$demo/pcscd.comm $daemon doctor
  Logs:          $demo/  (pcscd.log, vcard.log, cardbridged.out)

Ctrl-C stops everything.
MSG
wait "${pids[2]}"
