#!/usr/bin/env bash
# The package test: builds the two .deb packages, installs them into a fresh Debian 12 root, and there
# runs `cardbridged doctor`, the daemon with a WSS system.hello and its web UI, and the authority's health
# check; then removes and purges both and finds nothing of theirs left behind.
#
#   tests/package/package_test.sh BUILD_DIR     (CTest label `package`; scripts/test.sh --label package)
#
# The root: `debootstrap --variant=minbase bookworm` from the machine's own Debian mirror, with the
# machine's apt sources (so the libraries the packages were linked against resolve) and the packages'
# dependencies installed, made once per build folder (BUILD_DIR/package-root/base, a few minutes cold) and
# copied fresh for every run. Commands run in it through chroot inside a private mount namespace (proc
# and dev mounted there only), sharing the machine's loopback network so the test can call in.
# Needs root, debootstrap and unshare; exits 77 (CTest: skipped) without them unless CI is set.
set -euo pipefail

build=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
skip() {
  if [ -n "${CI:-}" ]; then echo "package test: $1 (required in CI)" >&2; exit 1; fi
  echo "package test: skipped: $1"; exit 77
}
[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, chroot)"
command -v debootstrap >/dev/null || skip "debootstrap is not installed (scripts/install-deps.sh)"
command -v unshare >/dev/null || skip "unshare is not installed"

fail() { echo "package test: FAILED: $*" >&2; exit 1; }
step() { echo "== $*"; }

# --- the root -----------------------------------------------------------------------------------------
cache="$build/package-root"
base="$cache/base"
mirror=$(sed -n 's/^URIs:[[:space:]]*\(http[^ ]*debian\)[[:space:]]*$/\1/p' /etc/apt/sources.list.d/debian.sources \
  2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb[[:space:]]\+\(http[^ ]*\)[[:space:]]\+bookworm[[:space:]].*/\1/p' \
  /etc/apt/sources.list 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian

in_root() {  # in_root ROOT CMD... : CMD in ROOT with proc and dev, in a mount namespace of its own
  local root=$1; shift
  unshare --mount --fork -- /bin/sh -c '
    root=$1; shift
    mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" || exit 125
    exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"' in_root "$root" "$@"
}

if [ ! -f "$base/.bootstrapped" ]; then
  step "making a Debian 12 root from $mirror (once per build folder)"
  rm -rf "$base"
  mkdir -p "$cache"
  debootstrap --variant=minbase bookworm "$base" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
    { tail -20 "$cache/debootstrap.log"; fail "debootstrap"; }
  # The machine's own Debian sources (updates and security too), so library versions match the build's.
  rm -f "$base/etc/apt/sources.list"
  for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
    [ -f "$f" ] && cp "$f" "$base$f"
  done
  cp /etc/resolv.conf "$base/etc/resolv.conf"
  in_root "$base" apt-get update -qq >/dev/null
  in_root "$base" useradd --create-home --shell /bin/sh tester
  touch "$base/.bootstrapped"
fi
[ "${2:-}" = --prepare-root ] && { echo "package test: root prepared in $base"; exit 0; }
# --- the packages -----------------------------------------------------------------------------------
step "building the packages"
rm -rf "$build/packages"
cmake --build "$build" --target debs >/dev/null
daemon_deb=$(ls "$build"/packages/cardbridge_*.deb)
authority_deb=$(ls "$build"/packages/cardbridge-authority_*.deb)
for deb in "$daemon_deb" "$authority_deb"; do
  echo "   $(basename "$deb"): $(du -k "$deb" | cut -f1) KiB; Depends: $(dpkg-deb -f "$deb" Depends)"
done
# Everything the packages depend on, without version constraints: preinstalled in the base root so that
# what stays after the purge is compared against a root that already had them.
deps=$( { dpkg-deb -f "$daemon_deb" Depends; echo ,; dpkg-deb -f "$authority_deb" Depends; } |
  tr ',' '\n' | sed -e 's/(.*)//' -e 's/|.*//' -e 's/[[:space:]]//g' | grep -v '^$' | sort -u | tr '\n' ' ')

if [ "$(cat "$base/.ready" 2>/dev/null)" != "$deps" ]; then
  step "installing the packages' dependencies into the base root: $deps"
  # shellcheck disable=SC2086
  in_root "$base" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    $deps >"$cache/apt.log" 2>&1 || { tail -20 "$cache/apt.log"; fail "apt-get install $deps"; }
  in_root "$base" apt-get clean
  echo "$deps" >"$base/.ready"
fi

root="$cache/run"
rm -rf "$root"
cp -a "$base" "$root"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

# Every file outside the churn of apt, logs, caches and kernel file systems, with its mode and size.
snapshot() {
  (cd "$root" && find . -xdev \
    \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./run -o -path ./tmp -o -path ./var/log \
       -o -path ./var/cache -o -path ./var/lib/apt -o -path ./var/lib/dpkg -o -path ./root \
       -o -path ./home/tester/.pki -o -path ./home/tester/.local -o -name '*-' -o -path ./.ready -o -path ./.bootstrapped \) -prune \
    -o -printf '%p %m %u %s\n' | LC_ALL=C sort)
}
before=$(snapshot)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# --- install ------------------------------------------------------------------------------------------
step "installing both packages (as tester through sudo)"
cp "$daemon_deb" "$authority_deb" "$root/tmp/"
in_root "$root" env SUDO_USER=tester DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  "/tmp/$(basename "$daemon_deb")" "/tmp/$(basename "$authority_deb")" >"$cache/install.log" 2>&1 ||
  { cat "$cache/install.log"; fail "apt-get install of the packages"; }
grep -E '^cardbridge' "$cache/install.log" || true

for f in usr/bin/cardbridged usr/bin/cardbridge-authority usr/share/cardbridge/webui/index.html \
  usr/lib/systemd/system/cardbridge-authority.service usr/lib/systemd/user/cardbridged.service \
  etc/xdg/autostart/cardbridged.desktop usr/share/doc/cardbridge-authority/examples/authority.json; do
  [ -e "$root/$f" ] || fail "/$f is not installed"
done
grep -q '^ExecStart=/usr/bin/cardbridge-authority ' "$root/usr/lib/systemd/system/cardbridge-authority.service" ||
  fail "the authority's unit does not start /usr/bin/cardbridge-authority"
grep -q '^ExecStart=/usr/bin/cardbridged' "$root/usr/lib/systemd/user/cardbridged.service" ||
  fail "the user unit does not start /usr/bin/cardbridged"
[ -L "$root/etc/systemd/user/default.target.wants/cardbridged.service" ] ||
  fail "the user unit is not enabled for all users"
[ -L "$root/etc/systemd/system/multi-user.target.wants/cardbridge-authority.service" ] ||
  fail "the authority's unit is not enabled"
in_root "$root" getent passwd cardbridge-authority >/dev/null || fail "no cardbridge-authority system user"
echo "   installed: binaries, web UI, units (enabled), autostart entry, authority user"

# Trust for the installing user, done by postinst: the system store and tester's NSS database.
[ -f "$root/usr/local/share/ca-certificates/cardbridge-local-root-tester.crt" ] ||
  fail "postinst did not put the local root into the system store"
in_root "$root" runuser -u tester -- certutil -L -d sql:/home/tester/.pki/nssdb | grep -q 'cardbridge local root' ||
  fail "postinst did not trust the local root in tester's NSS database"
echo "   trusted for tester: system store and NSS database"

# --- cardbridged as tester: doctor, then the daemon itself --------------------------------------------
step "cardbridged doctor (as tester)"
doctor_json=$(in_root "$root" runuser -u tester -- cardbridged doctor --json || true)
python3 - "$doctor_json" <<'PY' || fail "doctor --json"
import json, sys
report = json.loads(sys.argv[1])
codes = {f["code"] for f in report["findings"]}
for wanted in ("config", "pcsc.service", "port"):
    assert wanted in codes, f"doctor did not report {wanted}: {sorted(codes)}"
assert any(c.startswith("tls.") for c in codes), f"doctor did not check the local TLS files: {sorted(codes)}"
nss = [f["status"] for f in report["findings"] if f["code"] == "tls.trust.nss"]
assert nss == ["ok"], f"doctor does not see the root trusted in tester's NSS database: {nss}"
print("   doctor: " + ", ".join(f'{f["code"]}={f["status"]}' for f in report["findings"]))
PY
doctor_text=$(in_root "$root" runuser -u tester -- cardbridged doctor || true)  # exit 1: problems found
echo "$doctor_text" | grep -q '智能卡服务' || fail "doctor's text report: $doctor_text"

step "cardbridged as tester: WSS system.hello and the web UI"
port=$(free_port)
in_root "$root" runuser -u tester -- cardbridged --port "$port" >"$cache/daemon.out" 2>&1 &
pids+=($!)
state="$root/home/tester/.local/state/cardbridge"
for _ in $(seq 100); do grep -q listening "$cache/daemon.out" && break; sleep 0.1; done
grep -q "listening on https://127.0.0.1:$port/" "$cache/daemon.out" || { cat "$cache/daemon.out"; fail "daemon start"; }
hello=$(python3 "$source_dir/scripts/rpc.py" --port "$port" --root "$state/local-root.pem" system.hello)
echo "$hello" | grep -q '"version"' || fail "system.hello answered: $hello"
echo "   system.hello: $(echo "$hello" | tr -d '\n' | cut -c1-120)"
page=$(curl -sS --cacert "$state/local-root.pem" "https://127.0.0.1:$port/")
echo "$page" | grep -qi '<html' || fail "the web UI from /usr/share/cardbridge/webui: $page"
echo "   web UI served from the installed data folder"
daemon_pid=$(pgrep -n -f "cardbridged --port $port") || fail "daemon pid"
kill -TERM "$daemon_pid"
for _ in $(seq 100); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$daemon_pid" 2>/dev/null && fail "the daemon did not stop on SIGTERM"

# --- the authority as its system user --------------------------------------------------------------------
step "cardbridge-authority: refuses without its keys and token file, then serves /health"
apport=$(free_port)
keys="$root/etc/cardbridge/authority"
sed -e "s/\"port\": 8443/\"port\": $apport/" -e 's#https://sms-gateway.example.cn/send#http://127.0.0.1:9/send#' \
  "$root/usr/share/doc/cardbridge-authority/examples/authority.json" >"$root/etc/cardbridge/authority.json"
if out=$(in_root "$root" runuser -u cardbridge-authority -- timeout 20 cardbridge-authority serve 2>&1); then
  fail "the authority started without keys: $out"
fi
echo "$out" | grep -qiE 'key|token' || fail "the authority's refusal does not name the missing file: $out"
echo "   without keys and tokens: refused ($(echo "$out" | tail -1 | cut -c1-100))"
for k in master id attachment; do openssl rand -hex 32 >"$keys/$k.key"; done
openssl rand -hex 32 >"$keys/api.tokens"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$keys/tls.key" -out "$keys/tls.pem" 2>/dev/null
cp "$keys/tls.pem" "$keys/issuing-ca.pem"
in_root "$root" sh -c 'chown cardbridge-authority:cardbridge-authority /etc/cardbridge/authority/* &&
  chmod 600 /etc/cardbridge/authority/*'
in_root "$root" runuser -u cardbridge-authority -- cardbridge-authority serve >"$cache/authority.out" 2>&1 &
pids+=($!)
health=""
for _ in $(seq 100); do
  health=$(curl -sS --cacert "$keys/tls.pem" "https://127.0.0.1:$apport/health" 2>/dev/null) && break
  sleep 0.1
done
echo "$health" | grep -q '"status":"ok"' || { cat "$cache/authority.out"; fail "authority /health: $health"; }
echo "   /health: $health"
[ -f "$root/var/lib/cardbridge-authority/authority.sqlite" ] || ls "$root/var/lib/cardbridge-authority" | grep -q . ||
  fail "the authority wrote nothing to /var/lib/cardbridge-authority"
authority_pid=$(pgrep -n -f "cardbridge-authority serve") || fail "authority pid"
kill -TERM "$authority_pid"
for _ in $(seq 100); do kill -0 "$authority_pid" 2>/dev/null || break; sleep 0.1; done

# --- remove, then purge -------------------------------------------------------------------------------
step "remove: binaries and trust go, state stays"
in_root "$root" env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq cardbridge cardbridge-authority \
  >"$cache/remove.log" 2>&1 || { cat "$cache/remove.log"; fail "apt-get remove"; }
[ ! -e "$root/usr/bin/cardbridged" ] || fail "cardbridged is still installed"
[ ! -e "$root/usr/local/share/ca-certificates/cardbridge-local-root-tester.crt" ] || fail "the system store still trusts the root"
if in_root "$root" runuser -u tester -- certutil -L -d sql:/home/tester/.pki/nssdb 2>/dev/null | grep -q 'cardbridge local root'; then
  fail "tester's NSS database still trusts the root"
fi
[ -d "$state" ] || fail "remove (not purge) deleted tester's state"
[ -d "$root/var/lib/cardbridge-authority" ] || fail "remove (not purge) deleted the authority's data"

step "purge: nothing left behind"
in_root "$root" env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq cardbridge cardbridge-authority \
  >"$cache/purge.log" 2>&1 || { cat "$cache/purge.log"; fail "apt-get purge"; }
after=$(snapshot)
[ ! -e "$state" ] || fail "purge left tester's state ($state)"
if [ "$before" != "$after" ]; then
  diff <(echo "$before") <(echo "$after") >&2 || true
  fail "the purged root differs from the root before the install (above: < before, > after)"
fi
echo "package test: passed ($(echo "$before" | wc -l) files compared after the purge)"
