// cardbridged's configuration: a JSON file with defaults that work untouched (docs/config.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace cardbridge::daemon {

/// One platform origin allowed to connect, e.g. "https://www.szyxhc.com" (scheme://host[:port]).
struct PlatformOrigin {
    std::string origin;
    bool allowSecrets = false;  ///< may call PIN/PUK/code methods itself (off by default)
};

/// Bounds that keep one client from hurting the others.
struct Limits {
    std::size_t maxFrameBytes = 64 * 1024;
    unsigned maxJsonDepth = 16;
    unsigned maxConnectionsPerOrigin = 16;
    unsigned maxRequestsPerSecond = 50;  ///< per connection
    unsigned maxPendingRequests = 8;     ///< per connection
    unsigned idleTimeoutSeconds = 300;
    unsigned handshakeTimeoutSeconds = 10;
};

/// Everything configurable. Paths are resolved (absolute) after loading.
struct DaemonConfig {
    std::vector<std::uint16_t> ports{23443, 23444, 23445};  ///< tried in order; loopback only
    std::vector<PlatformOrigin> platformOrigins;
    Limits limits;
    std::filesystem::path stateDir;  ///< TLS files, journal; default $XDG_STATE_HOME/cardbridge
    std::filesystem::path webRoot;   ///< bundled web UI; default: the installed webui/ folder
    std::string logLevel = "info";
    std::filesystem::path logFile;   ///< default stateDir/cardbridged.log (rotating)
    std::size_t logFileMaxBytes = 5 * 1024 * 1024;
    std::size_t logFileCount = 3;
};

}  // namespace cardbridge::daemon
