// The Supervisor for systemd (Type=notify units): readiness, status, watchdog pings and the stop notice go
// to $NOTIFY_SOCKET through libsystemd's sd_notify. Linux only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "supervisor.hpp"

namespace cardbridge::daemon {

/// Talks to the systemd manager that started the daemon. Without NOTIFY_SOCKET (started by hand, by the
/// XDG autostart entry, in tests) every call is a no-op and watchdogInterval() is zero. Never throws.
class SystemdSupervisor final : public Supervisor {
  public:
    /// Reads WATCHDOG_USEC / WATCHDOG_PID once (sd_watchdog_enabled); the environment is left as it is.
    SystemdSupervisor();

    /// READY=1, then waits (at most 5 s) until the manager has read it: a second instance calls ready(0)
    /// and exits 0 right away, and systemd credits READY=1 only to a process that still exists (without
    /// it the exit reads as "never became ready", which Restart=on-failure would retry).
    void ready(std::uint16_t port) override;
    void stopping() override;
    [[nodiscard]] std::chrono::microseconds watchdogInterval() const override { return watchdog_; }
    void alive() override;
    void status(std::string_view text) override;

  private:
    std::chrono::microseconds watchdog_{0};
};

}  // namespace cardbridge::daemon
