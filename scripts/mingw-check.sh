#!/usr/bin/env bash
# Compile-checks the Windows sources with Debian's mingw-w64 (g++-mingw-w64-x86-64-posix): no Windows
# machine is needed to see that they still build. Debian has no OpenSSL, zlib or compiled Boost for mingw,
# so only files that need none of them are listed; header-only libraries (spdlog with fmt, nlohmann/json)
# come from an include folder holding links to Debian's own headers. Every area is also linked into a
# small check program against the import libraries the CMake wiring names, so a missing one shows here.
# Nothing is run (no Windows here); see docs/windows.md for what is compile-checked and what is not.
# Skips with code 0 and a note when the compiler is absent, unless CI is set (then it is an error:
# install-deps.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."

CXX=x86_64-w64-mingw32-g++-posix
if ! command -v "$CXX" >/dev/null; then
  if [ -n "${CI:-}" ]; then
    echo "mingw-check: $CXX not found (scripts/install-deps.sh installs g++-mingw-w64-x86-64-posix)" >&2
    exit 1
  fi
  echo "mingw-check: $CXX not found; skipped"
  exit 0
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# Header-only third-party libraries, and nothing else from /usr/include (that would mix in glibc headers).
mkdir -p "$out/thirdparty"
for lib in spdlog fmt nlohmann; do ln -s "/usr/include/$lib" "$out/thirdparty/$lib"; done

CXXFLAGS=(-std=c++20 -Wall -Wextra -Wpedantic -Werror -O1 -isystem "$out/thirdparty" -DFMT_HEADER_ONLY
  -Icommon/include -Icommon/net/include -Idaemon/card/include -Idaemon/card/src -Idaemon/core/include
  -Idaemon/core/src -Idaemon/app -Icerts/include -Icerts/src)
jobs=${MINGW_CHECK_JOBS:-2}
compiled=0

# compile AREA SOURCE...: each source into $out/AREA/, at most $jobs compilers at once.
compile() {
  local area=$1
  shift
  mkdir -p "$out/$area"
  printf '%s\n' "$@" | xargs -P "$jobs" -I{} sh -c \
    'src="$1"; shift; obj="$0/$(basename "$src" .cpp).o"; "$@" -c "$src" -o "$obj" || { echo "mingw-check: $src failed" >&2; exit 255; }' \
    "$out/$area" {} "$CXX" "${CXXFLAGS[@]}"
  compiled=$((compiled + $#))
}

# link AREA MAIN_SOURCE LIBS...: MAIN_SOURCE (a heredoc file) with the area's objects into AREA.exe.
link() {
  local area=$1 main=$2
  shift 2
  "$CXX" "${CXXFLAGS[@]}" -c "$main" -o "$out/$area/main.o"
  "$CXX" -o "$out/$area.exe" "$out/$area"/*.o "$@"
  echo "mingw-check: $area links ($(basename "$out/$area.exe"))"
}

# ---- net: who owns a loopback peer ---------------------------------------------------------------------
compile net common/net/src/peer_owner_windows.cpp
cat >"$out/net-main.cpp" <<'CPP'
#include "cardbridge/net/peer_owner.hpp"
int main() { return cardbridge::net::platformPeerOwnerCheck()->servedUser().empty() ? 1 : 0; }
CPP
link net "$out/net-main.cpp" -liphlpapi -lwtsapi32 -ladvapi32 -lws2_32

# ---- card: the whole card layer over WinSCard -----------------------------------------------------------
# pcsc_service.cpp is pcsc-lite's socket probe for the Linux doctor: not part of the Windows build.
card_sources=()
for f in daemon/card/src/*.cpp; do [ "$f" = daemon/card/src/pcsc_service.cpp ] || card_sources+=("$f"); done
compile card "${card_sources[@]}" common/src/apdu.cpp common/src/bytes.cpp common/src/tlv.cpp
# Stand-ins for the three common functions the card layer calls whose real files need OpenSSL or zlib
# (secret.cpp, gzip.cpp): they are not Windows-specific, only unavailable to Debian's mingw.
cat >"$out/card/stand_ins.cpp" <<'CPP'
#include <cstring>
#include <stdexcept>
#include "cardbridge/common/gzip.hpp"
#include "cardbridge/common/secret.hpp"
namespace cardbridge {
void wipe(std::vector<std::uint8_t>& bytes) noexcept { std::memset(bytes.data(), 0, bytes.size()); bytes.clear(); }
std::string_view Secret::view() const noexcept { return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()}; }
Bytes gzipDecompress(ByteView, std::size_t) { throw std::runtime_error("stand-in"); }
}  // namespace cardbridge
CPP
"$CXX" "${CXXFLAGS[@]}" -Wno-unused-parameter -c "$out/card/stand_ins.cpp" -o "$out/card/stand_ins.o"
cat >"$out/card-main.cpp" <<'CPP'
#include <memory>
#include "cardbridge/card/pcsc.hpp"
#include "cardbridge/card/piv_card.hpp"
int main() {
    cardbridge::card::PcscConnector connector;
    const auto readers = connector.listReaders();
    cardbridge::card::ReaderMonitor monitor([](const cardbridge::card::ReaderEvent&) {});
    if (readers.empty()) return 0;
    return connector.connect(readers.front())->atr().empty() ? 1 : 0;
}
CPP
link card "$out/card-main.cpp" -lwinscard

# ---- folders: the daemon's config, state and logs (known folders) ---------------------------------------
compile folders daemon/core/src/windows_folders.cpp daemon/core/src/config.cpp
cat >"$out/folders-main.cpp" <<'CPP'
#include "cardbridge/daemon/core/config.hpp"
int main() {
    const auto paths = cardbridge::daemon::defaultPaths();
    return cardbridge::daemon::loadConfig(paths.configFile, paths).problems.empty() ? 0 : 1;
}
CPP
link folders "$out/folders-main.cpp" -lshell32 -lole32 -ladvapi32 -luuid

# ---- service: cardbridged under the Service Control Manager ---------------------------------------------
compile service daemon/app/windows_service.cpp
cat >"$out/service-main.cpp" <<'CPP'
#include "windows_service.hpp"
using namespace cardbridge::daemon;
int main() {
    return runWindowsService([](Supervisor& supervisor, const ServiceStopArm& armStop) {
        armStop([] {});
        supervisor.ready(23443);
        supervisor.stopping();
        return 0;
    });
}
CPP
link service "$out/service-main.cpp" -ladvapi32

# ---- trust: the local root in the Windows ROOT store, Firefox's enterprise-roots policy -----------------
compile trust certs/src/trust_windows.cpp
cat >"$out/trust-main.cpp" <<'CPP'
#include "cardbridge/localtls/trust_windows.hpp"
using namespace cardbridge::localtls::windows;
int main() {
    const auto der = derFromPem("-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n");
    const bool added = addRoot(der, RootStore::LocalMachine);
    const bool present = hasRoot(der, RootStore::LocalMachine);
    const auto removed = removeRoots("cardbridge local root", RootStore::LocalMachine, der);
    const bool firefox = enableFirefoxEnterpriseRoots() == FirefoxPolicy::Set && removeFirefoxEnterpriseRoots();
    std::string report;
    const int rc = runTrust(TrustCommand::Status, "", true, report);
    return added && present && removed == 0 && firefox && !firefoxEnterpriseRootsOn() && rc == 0 ? 0 : 1;
}
CPP
link trust "$out/trust-main.cpp" -lcrypt32 -ladvapi32

echo "mingw-check: $compiled Windows source(s) compile; every area links"
