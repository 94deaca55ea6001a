#include "systemd_supervisor.hpp"

#include <systemd/sd-daemon.h>

#include <spdlog/spdlog.h>
#include <cstdlib>
#include <string>

namespace cardbridge::daemon {

namespace {

// sd_notify answers < 0 on a send error, 0 when NOTIFY_SOCKET is unset; neither may stop the daemon.
void notify(const std::string& message) {
    if (int r = ::sd_notify(0, message.c_str()); r < 0)
        spdlog::warn("sd_notify failed ({}); the service manager may not see '{}'", r, message);
}

// STATUS= ends at the newline: keep the text to one line.
std::string oneLine(std::string_view text) {
    std::string line(text);
    for (char& c : line)
        if (c == '\n' || c == '\r') c = ' ';
    return line;
}

}  // namespace

SystemdSupervisor::SystemdSupervisor() {
    std::uint64_t usec = 0;
    // > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID is unset or names this process.
    if (::sd_watchdog_enabled(0, &usec) > 0) watchdog_ = std::chrono::microseconds(usec);
}

void SystemdSupervisor::ready(std::uint16_t port) {
    notify(port == 0 ? std::string("READY=1")
                     : "READY=1\nSTATUS=listening on https://127.0.0.1:" + std::to_string(port) + "/");
    if (std::getenv("NOTIFY_SOCKET") != nullptr) {
        if (int r = ::sd_notify_barrier(0, 5'000'000); r < 0)
            spdlog::debug("sd_notify_barrier: {} (the manager may read READY=1 late)", r);
    }
}

void SystemdSupervisor::stopping() {
    notify("STOPPING=1\nSTATUS=stopping");
}

void SystemdSupervisor::alive() {
    notify("WATCHDOG=1");
}

void SystemdSupervisor::status(std::string_view text) {
    notify("STATUS=" + oneLine(text));
}

}  // namespace cardbridge::daemon
