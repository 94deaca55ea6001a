// system.* methods: what a client learns about the daemon before anything else.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "cardbridge/daemon/core/dispatcher.hpp"

namespace cardbridge::daemon {

/// Facts system.hello reports.
struct SystemInfo {
    std::string version;                  ///< semver, the CMake project version
    std::function<std::uint16_t()> port;  ///< the port the daemon listens on (known once it listens)
};

/// JSON-RPC protocol version of this API (bumped on incompatible changes).
inline constexpr int PROTOCOL_VERSION = 1;

/// system.hello (capability Read): answers {product, version, protocol, port, origin, capabilities,
/// methods} for the caller. `dispatcher` must outlive the handler (it lists the caller's methods).
MethodSpec systemHello(const Dispatcher& dispatcher, SystemInfo info);

}  // namespace cardbridge::daemon
