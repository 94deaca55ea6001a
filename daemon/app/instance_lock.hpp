// One cardbridged per state folder: an exclusive flock on <stateDir>/cardbridged.lock, held for the
// daemon's life, so the systemd user unit and the XDG autostart entry never run two daemons (POSIX).
#pragma once

#include <sys/types.h>

#include <filesystem>

namespace cardbridge::daemon {

/// The lock file's name inside the state folder.
inline constexpr const char* INSTANCE_LOCK_FILE = "cardbridged.lock";

/// Tries once, without waiting, to take an exclusive flock on `file` (created 0600 if missing). When it
/// holds the lock it writes its pid into the file; the kernel drops the lock when the process ends,
/// however it ends. The descriptor is close-on-exec, so programs the daemon runs do not inherit it.
class InstanceLock {
  public:
    /// Throws std::system_error when the file cannot be opened or flock fails for another reason than
    /// "held by someone else".
    explicit InstanceLock(const std::filesystem::path& file);
    ~InstanceLock();
    InstanceLock(const InstanceLock&) = delete;
    InstanceLock& operator=(const InstanceLock&) = delete;

    /// True when this process holds the lock.
    [[nodiscard]] bool held() const noexcept { return held_; }
    /// When not held: the pid the holder wrote into the file (0 when unreadable).
    [[nodiscard]] pid_t holder() const noexcept { return holder_; }

  private:
    int fd_ = -1;
    bool held_ = false;
    pid_t holder_ = 0;
};

}  // namespace cardbridge::daemon
