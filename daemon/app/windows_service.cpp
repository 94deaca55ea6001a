// The Service Control Manager side of cardbridged (windows_service.hpp).
#ifdef _WIN32

#include "windows_service.hpp"

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
// windows.h must come before winsvc.h.
// clang-format off
#include <windows.h>
#include <winsvc.h>
// clang-format on

#include <cstdio>
#include <string>

namespace cardbridge::daemon {

namespace {

/// The one service of this process: what ServiceMain (called by the dispatcher on its own thread) and the
/// control handler (called on the dispatcher's thread) share with runWindowsService.
struct ServiceState {
    std::mutex mutex;
    ServiceDaemon daemon;
    std::function<void()> stop;  // armed by the daemon once it can stop
    bool stopRequested = false;  // a stop that came before the daemon armed its stop function
    int exitCode = 0;
};

ServiceState& state() {
    static ServiceState instance;
    return instance;
}

// SERVICE_CONTROL_STOP and SHUTDOWN take the daemon's one stop path; the handler must return at once, and
// the stop function only asks the server to stop (the daemon's thread then winds down and reports).
DWORD WINAPI controlHandler(DWORD control, DWORD, LPVOID, LPVOID) {
    switch (control) {
        case SERVICE_CONTROL_STOP:
        case SERVICE_CONTROL_SHUTDOWN: {
            std::function<void()> stop;
            {
                std::lock_guard lock(state().mutex);
                state().stopRequested = true;
                stop = state().stop;
            }
            if (stop) stop();
            return NO_ERROR;
        }
        case SERVICE_CONTROL_INTERROGATE:
            return NO_ERROR;
        default:
            return ERROR_CALL_NOT_IMPLEMENTED;
    }
}

void WINAPI serviceMain(DWORD argc, LPWSTR* argv) {
    // argv[0] is the name the SCM started us under (cardbridged_<LUID> for a per-user instance).
    const wchar_t* name = argc > 0 && argv[0] != nullptr ? argv[0] : WINDOWS_SERVICE_NAME;
    SERVICE_STATUS_HANDLE handle = ::RegisterServiceCtrlHandlerExW(name, controlHandler, nullptr);
    if (handle == nullptr) {
        std::lock_guard lock(state().mutex);
        state().exitCode = 1;
        return;
    }
    ScmSupervisor supervisor(reinterpret_cast<void*>(handle));
    supervisor.starting();
    int exitCode = 1;
    try {
        exitCode = state().daemon(supervisor, [](std::function<void()> stop) {
            bool stopNow = false;
            {
                std::lock_guard lock(state().mutex);
                state().stop = stop;
                stopNow = state().stopRequested;
            }
            if (stopNow && stop) stop();
        });
    } catch (...) {
        exitCode = 1;
    }
    {
        std::lock_guard lock(state().mutex);
        state().stop = nullptr;
        state().exitCode = exitCode;
    }
    supervisor.stopped(exitCode);
}

}  // namespace

int runWindowsService(ServiceDaemon daemon) {
    state().daemon = std::move(daemon);
    // For an own-process service the table's name is not checked; serviceMain registers the real one.
    wchar_t name[] = L"cardbridged";
    SERVICE_TABLE_ENTRYW table[] = {{name, serviceMain}, {nullptr, nullptr}};
    if (!::StartServiceCtrlDispatcherW(table)) {
        const DWORD error = ::GetLastError();
        if (error == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
            std::fprintf(
                stderr,
                "cardbridged service run: 只能由 Windows 服务管理器启动（请用 service/windows/install.ps1 "
                "安装）。 Only the Service Control Manager starts this (install with "
                "service/windows/install.ps1); to run by hand, start cardbridged without "
                "`service run`.\n");
        } else {
            std::fprintf(stderr, "cardbridged service run: StartServiceCtrlDispatcherW failed (error %lu)\n",
                         static_cast<unsigned long>(error));
        }
        return 2;
    }
    std::lock_guard lock(state().mutex);
    return state().exitCode;
}

ScmSupervisor::ScmSupervisor(void* handle) : handle_(handle) {}

void ScmSupervisor::starting() {
    std::lock_guard lock(mutex_);
    // Minting the local TLS files on a first start takes a moment; 30 s is generous.
    report(SERVICE_START_PENDING, 30000, 0);
}

void ScmSupervisor::ready(std::uint16_t) {
    std::lock_guard lock(mutex_);
    if (state_ == SERVICE_START_PENDING) report(SERVICE_RUNNING, 0, 0);
}

void ScmSupervisor::stopping() {
    std::lock_guard lock(mutex_);
    if (state_ != SERVICE_STOPPED && state_ != SERVICE_STOP_PENDING) report(SERVICE_STOP_PENDING, 15000, 0);
}

void ScmSupervisor::status(std::string_view text) {
    std::lock_guard lock(mutex_);
    lastStatus_.assign(text);
}

void ScmSupervisor::stopped(int exitCode) {
    std::lock_guard lock(mutex_);
    report(SERVICE_STOPPED, 0, exitCode);
}

void ScmSupervisor::report(unsigned long newState, unsigned long waitHintMs, int exitCode) {
    SERVICE_STATUS status{};
    status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
    status.dwCurrentState = newState;
    // Stop is accepted from the start: the daemon's stop path holds a stop that comes before the server.
    status.dwControlsAccepted =
        newState == SERVICE_STOPPED ? 0 : SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN;
    if (exitCode != 0) {
        status.dwWin32ExitCode = ERROR_SERVICE_SPECIFIC_ERROR;
        status.dwServiceSpecificExitCode = static_cast<DWORD>(exitCode);
    } else {
        status.dwWin32ExitCode = NO_ERROR;
    }
    const bool pending = newState == SERVICE_START_PENDING || newState == SERVICE_STOP_PENDING;
    checkPoint_ = pending ? checkPoint_ + 1 : 0;
    status.dwCheckPoint = checkPoint_;
    status.dwWaitHint = waitHintMs;
    state_ = newState;
    ::SetServiceStatus(static_cast<SERVICE_STATUS_HANDLE>(handle_), &status);
}

}  // namespace cardbridge::daemon

#endif
