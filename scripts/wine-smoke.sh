#!/usr/bin/env bash
# Local smoke runs of Windows code under wine, in a scratch prefix (not part of .ci/run: wine64 is not a
# CI dependency; docs/windows.md). Skips (code 0) without wine64 or mingw-w64.
# 1. Service: tests/windows/service_smoke.cpp with daemon/app/windows_service.cpp, registered with wine's
#    Service Control Manager, started and stopped: RUNNING after ready(), the stop request reaching the
#    daemon's stop function, STOPPED with ERROR_SERVICE_SPECIFIC_ERROR (1066) and the daemon's exit code
#    3, and `service run` outside the SCM exiting 2.
# 2. Trust: tests/windows/trust_smoke.cpp with certs/src/trust_windows.cpp on a freshly made root
#    (openssl): install, status, install again, remove (nothing of ours left in the ROOT store or the
#    registry), and an administrator's ImportEnterpriseRoots = 0 left alone.
# 3. Folders: tests/windows/folders_smoke.cpp with config.cpp and windows_folders.cpp: the config under
#    AppData\Roaming\cardbridge, the state under AppData\Local\cardbridge.
set -euo pipefail
cd "$(dirname "$0")/.."

CXX=x86_64-w64-mingw32-g++-posix
WINE=$(command -v wine64 || true)
[ -z "$WINE" ] && [ -x /usr/lib/wine/wine64 ] && WINE=/usr/lib/wine/wine64
WINESERVER=$(command -v wineserver || true)
[ -z "$WINESERVER" ] && [ -x /usr/lib/wine/wineserver ] && WINESERVER=/usr/lib/wine/wineserver
if ! command -v "$CXX" >/dev/null || [ -z "$WINE" ] || [ -z "$WINESERVER" ]; then
  echo "wine-smoke: needs $CXX and wine64 (apt-get install --no-install-recommends wine64); skipped"
  exit 0
fi

out=$(mktemp -d)
export WINEPREFIX="$out/prefix" WINEDEBUG=-all
cleanup() {
  "$WINESERVER" -k 2>/dev/null || true
  rm -rf "$out"
}
trap cleanup EXIT

"$CXX" -std=c++20 -O1 -Wall -Wextra -Werror -Idaemon/app tests/windows/service_smoke.cpp \
  daemon/app/windows_service.cpp -o "$out/cbsmoke.exe" -static -ladvapi32
"$WINE" wineboot -i >/dev/null 2>&1
"$WINESERVER" -w  # let the first boot finish and its server exit
# A persistent wineserver keeps wine's services.exe alive between the commands below.
"$WINESERVER" -p 120
cp "$out/cbsmoke.exe" "$WINEPREFIX/drive_c/cbsmoke.exe"
log="$WINEPREFIX/drive_c/cbsmoke.log"
fail() {
  echo "wine-smoke: FAILED: $1" >&2
  [ -f "$log" ] && sed 's/^/  log: /' "$log" >&2
  exit 1
}

rc=0
"$WINE" 'C:\cbsmoke.exe' >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "outside the SCM it exited $rc, not 2"
rm -f "$log"

"$WINE" sc create cbsmoke 'binPath=' 'C:\cbsmoke.exe' 'start=' demand >/dev/null
# Right after wineboot wine's SCM may still answer "service database locked": try again for a while.
started=0
for _ in $(seq 20); do
  if "$WINE" sc start cbsmoke >/dev/null 2>&1; then
    started=1
    break
  fi
  sleep 1
done
[ "$started" = 1 ] || fail "sc start did not succeed"
sleep 3
"$WINE" sc query cbsmoke | grep -q 'STATE.*RUNNING' || fail "not RUNNING after ready()"
"$WINE" sc stop cbsmoke >/dev/null
for _ in 1 2 3 4 5 6 7 8 9 10; do
  "$WINE" sc query cbsmoke | grep -q 'STATE.*STOPPED' && break
  sleep 1
done
query=$("$WINE" sc query cbsmoke)
grep -q 'STATE.*STOPPED' <<<"$query" || fail "not STOPPED after the stop request"
grep -q 'WIN32_EXIT_CODE *: 1066' <<<"$query" || fail "no ERROR_SERVICE_SPECIFIC_ERROR: $query"
grep -q 'SERVICE_EXIT_CODE *: 3 ' <<<"$query" || fail "the daemon's exit code 3 was not reported: $query"
for step in daemon-start ready stop-called daemon-return-3 dispatcher-returned-3; do
  grep -qx "$step" <(tr -d '\r' <"$log") || fail "step $step missing"
done
echo "wine-smoke: service: start → RUNNING, stop → the daemon's stop function → STOPPED (1066, exit code 3): ok"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$out/root.key" \
  -out "$WINEPREFIX/drive_c/root.pem" -days 30 -subj "/CN=cardbridge local root smoke" \
  -addext basicConstraints=critical,CA:TRUE 2>/dev/null
"$CXX" -std=c++20 -O1 -Wall -Wextra -Werror -Icerts/include tests/windows/trust_smoke.cpp \
  certs/src/trust_windows.cpp -o "$WINEPREFIX/drive_c/trust_smoke.exe" -static -lcrypt32 -ladvapi32
trust=$("$WINE" 'C:\trust_smoke.exe' 'C:\root.pem' 2>&1) || fail "trust: $trust"
echo "wine-smoke: trust: install, status, install again, remove, an administrator's 0 kept: ok"

mkdir -p "$out/thirdparty"
ln -s /usr/include/nlohmann "$out/thirdparty/nlohmann"
"$CXX" -std=c++20 -O1 -Wall -Wextra -Werror -isystem "$out/thirdparty" -Idaemon/core/include -Idaemon/core/src \
  tests/windows/folders_smoke.cpp daemon/core/src/config.cpp daemon/core/src/windows_folders.cpp \
  -o "$WINEPREFIX/drive_c/folders_smoke.exe" -static -lshell32 -lole32 -luuid -ladvapi32
folders=$("$WINE" 'C:\folders_smoke.exe' | tr -d '\r')
grep -qE '^config=C:\\users\\[^\\]+\\AppData\\Roaming\\cardbridge\\cardbridged\.json$' <<<"$folders" ||
  fail "folders: $folders"
grep -qE '^state=C:\\users\\[^\\]+\\AppData\\Local\\cardbridge$' <<<"$folders" || fail "folders: $folders"
echo "wine-smoke: folders: $(tr '\n' ' ' <<<"$folders")ok"
