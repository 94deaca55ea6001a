// Who may connect and what each origin may do (DESIGN.md §4). Pure logic: no sockets, no Beast.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cardbridge/daemon/core/config.hpp"
#include "cardbridge/daemon/core/rpc.hpp"

namespace cardbridge::daemon {

/// What an allowed origin gets: its capabilities and whether it is the bundled UI's own origin.
struct OriginGrant {
    Capabilities capabilities;
    bool ownOrigin = false;
};

/// The allowlist for one listening port: the daemon's own origins (https://127.0.0.1:PORT,
/// https://localhost:PORT, https://[::1]:PORT) get every capability; configured platform origins get
/// Read + StartUnlock, plus Secrets only when their `allowSecrets` is set. Immutable, thread-safe.
class OriginPolicy {
  public:
    /// Normalises the platform origins (lowercase, no trailing slash, no default port); entries that
    /// are not scheme://host[:port] are dropped with a logged warning.
    OriginPolicy(const std::vector<PlatformOrigin>& platformOrigins, std::uint16_t port);

    /// The grant for an `Origin` header value; nullopt when the origin is not allowed (absent, "null",
    /// unknown, or differing in scheme, host or port).
    [[nodiscard]] std::optional<OriginGrant> grantFor(std::string_view origin) const;

    /// Whether a `Host` header names this daemon: 127.0.0.1, localhost or [::1] with this port. Anything
    /// else is refused (DNS rebinding: an attacker's name resolving to 127.0.0.1).
    [[nodiscard]] bool hostAllowed(std::string_view host) const;

    /// The daemon's own origins, "https://127.0.0.1:PORT" first.
    [[nodiscard]] const std::vector<std::string>& ownOrigins() const noexcept { return ownOrigins_; }

    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

  private:
    struct Platform {
        std::string origin;
        bool allowSecrets;
    };
    std::uint16_t port_;
    std::vector<std::string> ownOrigins_;
    std::vector<std::string> ownHosts_;
    std::vector<Platform> platforms_;
};

/// Canonical form of an origin ("HTTPS://Example.COM:443/" → "https://example.com"); nullopt when it is
/// not scheme://host[:port] with scheme http or https. Pure.
std::optional<std::string> normaliseOrigin(std::string_view origin);

/// Capability names as the API reports them: "read", "startUnlock", "secrets" (in that order).
std::vector<std::string> capabilityNames(const Capabilities& capabilities);

/// Every capability (the bundled UI's own origin).
Capabilities allCapabilities() noexcept;

}  // namespace cardbridge::daemon
