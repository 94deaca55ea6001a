// Free TCP ports for tests and benchmarks that start servers in other processes (which cannot be asked
// for port 0 and report back). Probing is racy by nature; random picks keep parallel runs apart.
#pragma once

#include <cstdint>

namespace cardbridge::test {

/// Where a port must be free.
enum class PortScope {
    Loopback,     ///< 127.0.0.1 (our daemons)
    AnyInterface  ///< 0.0.0.0 (vpcd binds every interface)
};

/// True when TCP `port` can be bound on `scope` right now.
[[nodiscard]] bool portFree(std::uint16_t port, PortScope scope = PortScope::Loopback);

/// A port picked at random in [low, high] such that it and the `count - 1` ports after it are free on
/// `scope` right now. Throws std::runtime_error after 200 unlucky picks.
[[nodiscard]] std::uint16_t freePort(PortScope scope = PortScope::Loopback, unsigned count = 1,
                                     std::uint16_t low = 24000, std::uint16_t high = 34000);

}  // namespace cardbridge::test
