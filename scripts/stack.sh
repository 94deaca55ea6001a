#!/usr/bin/env bash
# The demo's stack, without installing, building or talking to a person: a private pcscd with vsmartcard's
# vpcd (in its own mount namespace), a virtual PIV card holding a demo certificate (Chinese subject, issued
# by a demo CA minted now), a local cardbridge-authority on SQLite with that certificate enrolled and the
# card's PUK in its custody, and cardbridged trusted in $HOME/.pki/nssdb. scripts/demo.sh runs it for a
# person; tests/web/run.sh and the web benchmark run it with a HOME of their own.
#
#   scripts/stack.sh [--locked] [--dir DIR] [--build-dir DIR] [--port N]... [--platform-origin ORIGIN]...
#
#   --locked                the card's PIN is locked (3 wrong tries), for the unlock flow
#   --dir DIR               everything it makes and logs (default /tmp/cardbridge-demo; emptied first)
#   --build-dir DIR         where the binaries are (default ./build)
#   --port N                cardbridged's port(s), tried in order (default: the daemon's, 23443 23444 23445)
#   --platform-origin O     an origin allowed besides the daemon's own (docs/config.md platformOrigins)
#
# When everything answers it writes DIR/stack.env (shell assignments: CARDBRIDGE_URL, CARDBRIDGE_AUTHORITY_URL,
# CARDBRIDGE_DEMO_DIR, CARDBRIDGE_LOCAL_ROOT, PCSCLITE_CSOCK_NAME, CARDBRIDGE_SMS_OUTBOX, CARDBRIDGE_CARD_SERIAL,
# CARDBRIDGE_CARD_PIN, CARDBRIDGE_DAEMON) and stays in the foreground. SIGTERM or SIGINT stops everything it started;
# when one of its processes dies on its own it stops the others and exits 1. The daemon's state folder
# (local root) is the daemon's default, under $XDG_STATE_HOME or $HOME, so give it its own HOME to keep a
# run away from the user's. Needs root (mount namespace).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

locked=0
dir=${CARDBRIDGE_DEMO_DIR:-/tmp/cardbridge-demo}
build=build
ports=()
origins=()
usage() { echo "usage: $0 [--locked] [--dir DIR] [--build-dir DIR] [--port N]... [--platform-origin ORIGIN]..." >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --locked) locked=1 ;;
    --dir) [ $# -ge 2 ] || usage; dir=$2; shift ;;
    --build-dir) [ $# -ge 2 ] || usage; build=$2; shift ;;
    --port) [ $# -ge 2 ] || usage; ports+=("$2"); shift ;;
    --platform-origin) [ $# -ge 2 ] || usage; origins+=("$2"); shift ;;
    *) usage ;;
  esac
  shift
done
if [ "$(id -u)" -ne 0 ]; then
  echo "stack: run as root: it starts a private pcscd in a mount namespace" >&2
  exit 1
fi
case "$build" in /*) ;; *) build="$top/$build" ;; esac
daemon="$build/daemon/cardbridged"
authority="$build/authority/app/cardbridge-authority"
vcard="$build/tools/vcard/cardbridge-vcard"
for bin in "$daemon" "$authority" "$vcard"; do
  [ -x "$bin" ] || { echo "stack: $bin is not built (cmake --build $build --target cardbridged cardbridge-authority cardbridge-vcard)" >&2; exit 1; }
done

rm -rf "$dir"
mkdir -p "$dir" && chmod 700 "$dir"
dir=$(cd "$dir" && pwd)
pids=()
names=()
stopping=0
cleanup() {
  stopping=1
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'cleanup; exit 0' INT TERM
start() {  # start NAME LOG COMMAND...: a background process the stack owns
  local name=$1 log=$2
  shift 2
  "$@" > "$log" 2>&1 &
  pids+=($!)
  names+=("$name")
}
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A free pair of TCP ports for vpcd's two slots.
port=$((36000 + RANDOM % 2000))
until port_free "$port" && port_free $((port + 1)); do port=$((port + 2)); done
printf 'FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:0x%X\nLIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID 0x%X\n' \
  "$port" "$port" > "$dir/reader.conf"
mkdir -p /run/pcscd
start pcscd "$dir/pcscd.log" \
  unshare -m sh -c "mount --bind '$dir' /run/pcscd && exec pcscd --foreground -c '$dir/reader.conf'"
for _ in $(seq 100); do [ -S "$dir/pcscd.comm" ] && break; sleep 0.1; done
[ -S "$dir/pcscd.comm" ] || { echo "stack: pcscd did not start:" >&2; cat "$dir/pcscd.log" >&2; exit 1; }
export PCSCLITE_CSOCK_NAME="$dir/pcscd.comm"

# A demo CA and the card's certificate, minted now (nothing private ships with the project).
ca="$dir/ca"
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

# The local authority: SQLite in $dir/authority, SMS codes to an outbox file, keys made now.
serial=20261127
auth="$dir/authority"
mkdir -p "$auth"
for key in master id attachment; do openssl rand -hex 32 > "$auth/$key.key"; done
openssl rand -hex 32 > "$auth/api.token"  # the daemon's installation token (both sides read this file)
chmod 600 "$auth"/*.key "$auth/api.token"
authority_port=$((38000 + RANDOM % 2000))
until port_free "$authority_port"; do authority_port=$((authority_port + 1)); done
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
# The ID number and phone go on stdin: the command line is visible to every local user.
printf '44030519900101123X\n13800138000\n' | "$authority" --config "$auth/authority.json" enroll \
  --cert "$ca/card.pem" --card "$serial" --org "深圳市示例医疗器械有限公司" --name 张三 --id-type 居民身份证 >/dev/null
printf 'demo-reviewer-1\n' | "$authority" --config "$auth/authority.json" reviewer add reviewer >/dev/null
puk=$("$authority" --config "$auth/authority.json" puk --card "$serial" | grep -o '[0-9]\{8\}' | head -1)
# --dev: the demo's SMS codes go to the outbox file, which only a development run may do.
start authority "$auth/authority.out" "$authority" --config "$auth/authority.json" serve --dev

# The demo card holds the certificate, its key and the PUK the authority keeps.
"$vcard" init --state "$dir/card.json" --force --serial "$serial" --puk "$puk" >/dev/null
"$vcard" import --state "$dir/card.json" --slot 9a --cert "$ca/card.pem" --key "$ca/card.key" >/dev/null
rm -f "$ca/card.key"
if [ "$locked" -eq 1 ]; then "$vcard" lock-pin --state "$dir/card.json" >/dev/null; fi
start vcard "$dir/vcard.log" "$vcard" run --state "$dir/card.json" --vpcd-port "$port" --control "$dir/vcard.sock"

# The daemon, with its default state folder (its local root goes into the browser's NSS database in
# $HOME/.pki/nssdb) and a config of the stack's own that points it at the local authority.
# An http:// origin (the web tests' portal on plain HTTP) needs the daemon's development switch.
origins_json=""
allow_http=false
for o in "${origins[@]}"; do
  origins_json+="${origins_json:+, }\"$o\""
  case "$o" in http://*) allow_http=true ;; esac
done
cat > "$dir/cardbridged.json" <<JSON
{"authority": {"url": "https://127.0.0.1:$authority_port", "caFile": "$ca/ca.pem", "tokenFile": "$auth/api.token",
               "pollSeconds": 5},
 "development": {"allowHttpLoopbackOrigins": $allow_http},
 "platformOrigins": [$origins_json]}
JSON
root=$("$daemon" --config "$dir/cardbridged.json" certs init | sed -n 's/^root \(.*\) (SHA-256 .*/\1/p')
if command -v certutil >/dev/null; then "$daemon" --config "$dir/cardbridged.json" trust install --only nss >/dev/null; fi
port_args=()
[ ${#ports[@]} -eq 0 ] || port_args=(--port "${ports[@]}")
start cardbridged "$dir/cardbridged.out" "$daemon" --config "$dir/cardbridged.json" "${port_args[@]}"
url=""
for _ in $(seq 200); do
  url=$(grep -o 'https://127.0.0.1:[0-9]*/' "$dir/cardbridged.out" | head -1 || true)
  [ -n "$url" ] && break
  kill -0 "${pids[-1]}" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "stack: cardbridged did not start:" >&2
  cat "$dir/cardbridged.out" >&2
  exit 1
fi
# The authority answers before anyone is told the stack is up.
for _ in $(seq 100); do port_free "$authority_port" || break; sleep 0.1; done

{
  printf 'CARDBRIDGE_URL=%q\n' "$url"
  printf 'CARDBRIDGE_AUTHORITY_URL=%q\n' "https://127.0.0.1:$authority_port/"
  printf 'CARDBRIDGE_DEMO_DIR=%q\n' "$dir"
  printf 'CARDBRIDGE_LOCAL_ROOT=%q\n' "$root"
  printf 'PCSCLITE_CSOCK_NAME=%q\n' "$dir/pcscd.comm"
  printf 'CARDBRIDGE_SMS_OUTBOX=%q\n' "$auth/data/sms-outbox.jsonl"
  printf 'CARDBRIDGE_CARD_SERIAL=%q\n' "$serial"
  printf 'CARDBRIDGE_CARD_PIN=%q\n' "$([ "$locked" -eq 1 ] && echo locked || echo 123456)"
  printf 'CARDBRIDGE_DAEMON=%q\n' "$daemon"
} > "$dir/stack.env.tmp"
mv "$dir/stack.env.tmp" "$dir/stack.env"

# Runs until told to stop; a process that dies on its own takes the stack down with a word on which.
set +e
wait -n "${pids[@]}"
status=$?
set -e
[ "$stopping" -eq 1 ] && exit 0
for i in "${!pids[@]}"; do
  kill -0 "${pids[$i]}" 2>/dev/null || echo "stack: ${names[$i]} exited ($status); logs in $dir" >&2
done
exit 1
