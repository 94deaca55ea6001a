// cardbridged as a Windows service: `cardbridged service run` hands the process to the Service Control
// Manager, which starts the daemon, and stops it through the same stop path as SIGTERM on Linux
// (docs/windows.md). Windows only; scripts/mingw-check.sh compiles and links it with mingw-w64.
#pragma once

#ifdef _WIN32

#include <functional>
#include <mutex>
#include <string>

#include "supervisor.hpp"

namespace cardbridge::daemon {

/// Hands the daemon's stop function to the service's control handler (runDaemon's ArmStop).
using ServiceStopArm = std::function<void(std::function<void()> stop)>;
/// Runs the daemon until it stops; returns its exit code (runDaemon with its Supervisor and ArmStop).
using ServiceDaemon = std::function<int(Supervisor& supervisor, const ServiceStopArm& armStop)>;

/// The service name the installer registers (service/windows/install.ps1). A per-user service's
/// instances are called cardbridged_<LUID>; the process learns its real name from the SCM.
inline constexpr const wchar_t* WINDOWS_SERVICE_NAME = L"cardbridged";

/// Enters StartServiceCtrlDispatcherW and runs `daemon` as the service. Returns when the service has
/// stopped: the daemon's exit code, or 2 (with a message on stderr) when the process was not started by
/// the Service Control Manager. Call once per process.
int runWindowsService(ServiceDaemon daemon);

/// What the daemon tells the SCM: START_PENDING until ready(), then RUNNING; STOP_PENDING on stopping();
/// runWindowsService reports STOPPED with the exit code. The SCM has no watchdog and no status text, so
/// watchdogInterval() is zero and status() only remembers the last line. Thread-safe.
class ScmSupervisor final : public Supervisor {
  public:
    /// `handle` is the SERVICE_STATUS_HANDLE from RegisterServiceCtrlHandlerExW (a pointer-sized value).
    explicit ScmSupervisor(void* handle);

    void ready(std::uint16_t port) override;
    void stopping() override;
    [[nodiscard]] std::chrono::microseconds watchdogInterval() const override { return {}; }
    void alive() override {}
    void status(std::string_view text) override;

    /// START_PENDING (at ServiceMain's start).
    void starting();
    /// STOPPED with `exitCode` (0: success; otherwise a service-specific error code). Last call.
    void stopped(int exitCode);

  private:
    // Sends one status; `state` is a SERVICE_* state. Caller holds mutex_.
    void report(unsigned long state, unsigned long waitHintMs, int exitCode);

    std::mutex mutex_;
    void* handle_;
    unsigned long state_ = 0;
    unsigned long checkPoint_ = 0;
    std::string lastStatus_;
};

}  // namespace cardbridge::daemon

#endif
