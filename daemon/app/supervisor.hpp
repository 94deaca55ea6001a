// What cardbridged tells the service manager that started it (systemd through sd_notify on Linux, the
// Service Control Manager on Windows). runDaemon calls these from its own threads; an implementation
// for "no manager" does nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

namespace cardbridge::daemon {

class Supervisor {
  public:
    virtual ~Supervisor() = default;
    /// The server listens on `port`: the manager may consider the service started.
    virtual void ready(std::uint16_t port) = 0;
    /// The daemon has begun to stop (signal, the manager's stop request, or a fatal error).
    virtual void stopping() = 0;
    /// How often alive() must be called; zero when the manager runs no watchdog.
    [[nodiscard]] virtual std::chrono::microseconds watchdogInterval() const = 0;
    /// The daemon's network threads answered a liveness probe just now.
    virtual void alive() = 0;
    /// A short status line for the manager ("listening on 127.0.0.1:23443", "stopping").
    virtual void status(std::string_view text) = 0;
};

/// The Supervisor for a daemon started by hand or by a manager that wants no notifications.
class NoSupervisor final : public Supervisor {
  public:
    void ready(std::uint16_t) override {}
    void stopping() override {}
    [[nodiscard]] std::chrono::microseconds watchdogInterval() const override { return {}; }
    void alive() override {}
    void status(std::string_view) override {}
};

}  // namespace cardbridge::daemon
