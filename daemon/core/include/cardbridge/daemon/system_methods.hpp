// system.* methods: what a client learns about the daemon before anything else.
#pragma once

#include <cstdint>
#include <string>

#include "cardbridge/daemon/dispatcher.hpp"

namespace cardbridge::daemon {

/// Facts system.hello reports.
struct SystemInfo {
    std::string version;     ///< semver, the CMake project version
    std::uint16_t port = 0;  ///< the port the daemon listens on
};

/// JSON-RPC protocol version of this API (bumped on incompatible changes).
inline constexpr int PROTOCOL_VERSION = 1;

/// Registers system.hello (capability Read) on `dispatcher`, which must outlive it: answers {product,
/// version, protocol, port, origin, capabilities, methods} for the caller. Throws std::logic_error when
/// already registered.
void registerSystemMethods(Dispatcher& dispatcher, SystemInfo info);

}  // namespace cardbridge::daemon
