#!/usr/bin/env bash
# The run command: on the embedded default it installs what is missing, builds, starts a private pcscd
# with vsmartcard's vpcd, a virtual PIV card provisioned with a demo certificate (Chinese subject, issued
# by a demo CA) and a PIN, a local cardbridge-authority on SQLite with that certificate enrolled and the
# card's PUK in its custody, and cardbridged; then prints what to open and where SMS codes land.
# Ctrl-C stops everything it started.
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
cmake --build build --target cardbridged cardbridge-vcard cardbridge-authority -j "$(nproc)"

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

# A demo CA and the card's certificate, minted now (nothing private ships with the project).
ca="$demo/ca"
mkdir -p "$ca"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 730 -utf8 \
  -subj "/C=CN/O=cardbridge 演示 CA/CN=cardbridge 演示签发 CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -keyout "$ca/ca.key" -out "$ca/ca.pem" 2>/dev/null
issue() {  # issue NAME SUBJECT EXTENSIONS: a P-256 key and a certificate from the demo CA
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -utf8 -subj "$2" \
    -keyout "$ca/$1.key" -out "$ca/$1.csr" 2>/dev/null
  printf '%b\n' "$3" > "$ca/$1.ext"
  openssl x509 -req -in "$ca/$1.csr" -CA "$ca/ca.pem" -CAkey "$ca/ca.key" -CAcreateserial -days 365 \
    -extfile "$ca/$1.ext" -out "$ca/$1.pem" 2>/dev/null
}
issue card "/C=CN/ST=广东省/L=深圳市/O=深圳市示例医疗器械有限公司/CN=张三" \
  "keyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=clientAuth"
issue authority "/C=CN/O=cardbridge 演示/CN=127.0.0.1" \
  "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1"
rm -f "$ca/ca.key"  # nothing more to sign

# The local authority: SQLite in $demo/authority, SMS codes to an outbox file, keys made now.
serial=20261127
auth="$demo/authority"
mkdir -p "$auth"
for key in master id attachment; do openssl rand -hex 32 > "$auth/$key.key"; done
openssl rand -hex 32 > "$auth/api.token"  # the daemon's installation token (both sides read this file)
chmod 600 "$auth"/*.key "$auth/api.token"
authority_port=$((38000 + RANDOM % 2000))
cat > "$auth/authority.json" <<JSON
{
  "dataDir": "$auth/data",
  "issuingCaFiles": ["$ca/ca.pem"],
  "masterKeyFile": "$auth/master.key",
  "idKeyFile": "$auth/id.key",
  "attachmentKeyFile": "$auth/attachment.key",
  "listen": {"address": "127.0.0.1", "port": $authority_port},
  "api": {"tokenFile": "$auth/api.token"},
  "tls": {"certificateChain": "$ca/authority.pem", "privateKey": "$ca/authority.key"}
}
JSON
authority="$top/build/authority/app/cardbridge-authority"
"$authority" --config "$auth/authority.json" enroll --cert "$ca/card.pem" --card "$serial" \
  --org "深圳市示例医疗器械有限公司" --name 张三 --id-type 居民身份证 --id-number 44030519900101123X \
  --phone 13800138000 >/dev/null
printf 'demo-reviewer-1\n' | "$authority" --config "$auth/authority.json" reviewer add reviewer >/dev/null
puk=$("$authority" --config "$auth/authority.json" puk --card "$serial" | grep -o '[0-9]\{8\}' | head -1)
"$authority" --config "$auth/authority.json" serve > "$auth/authority.out" 2>&1 &
pids+=($!)

# The demo card holds the certificate, its key and the PUK the authority keeps.
vcard="$top/build/tools/vcard/cardbridge-vcard"
"$vcard" init --state "$demo/card.json" --force --serial "$serial" --puk "$puk" >/dev/null
"$vcard" import --state "$demo/card.json" --slot 9a --cert "$ca/card.pem" --key "$ca/card.key" >/dev/null
rm -f "$ca/card.key"
[ "$locked" -eq 1 ] && "$vcard" lock-pin --state "$demo/card.json" >/dev/null
"$vcard" run --state "$demo/card.json" --vpcd-port "$port" --control "$demo/vcard.sock" > "$demo/vcard.log" 2>&1 &
pids+=($!)

# The daemon, with its default state folder (its local root goes into the browser's NSS database) and a
# config of the demo's own that points it at the local authority.
daemon="$top/build/daemon/cardbridged"
cat > "$demo/cardbridged.json" <<JSON
{"authority": {"url": "https://127.0.0.1:$authority_port", "caFile": "$ca/ca.pem", "tokenFile": "$auth/api.token",
               "pollSeconds": 5}}
JSON
"$daemon" certs init >/dev/null
if command -v certutil >/dev/null; then "$daemon" certs trust >/dev/null; fi
"$daemon" --config "$demo/cardbridged.json" > "$demo/cardbridged.out" 2>&1 &
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
  Virtual card:  reader "Virtual PCD 00 00", certificate CN=张三 (slot 9A), serial $serial,
                 PIN $([ "$locked" -eq 1 ] && echo "locked (3 wrong tries)" || echo 123456); its PUK is in the authority's custody
  Authority:     https://127.0.0.1:$authority_port/  (reviewers' pages: /review/, user "reviewer", password "demo-reviewer-1")
                 original applicant: 张三, 居民身份证 44030519900101123X, phone 13800138000
  SMS codes:     $auth/data/sms-outbox.jsonl
  Unlock:        over WSS with the unlock.* methods of docs/api.md §4.5 (unlock.begin → identify → sendCode →
                 resetWithCode), or the review route with the attachments PUT and the reviewers' pages
  Doctor:        PCSCLITE_CSOCK_NAME=$demo/pcscd.comm $daemon doctor
  Logs:          $demo/  (pcscd.log, vcard.log, cardbridged.out, authority/authority.out)

Ctrl-C stops everything.
MSG
wait "${pids[3]}"
