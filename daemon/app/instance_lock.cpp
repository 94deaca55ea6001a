#include "instance_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <system_error>

namespace cardbridge::daemon {

InstanceLock::InstanceLock(const std::filesystem::path& file) {
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "cannot open " + file.string());
    if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) {
        held_ = true;
        const std::string pid = std::to_string(::getpid()) + "\n";
        // Only a hint for "already running (pid N)"; the lock itself is the flock.
        if (::ftruncate(fd_, 0) == 0) (void)!::pwrite(fd_, pid.data(), pid.size(), 0);
        return;
    }
    const int error = errno;
    if (error != EWOULDBLOCK) {
        ::close(fd_);
        fd_ = -1;
        throw std::system_error(error, std::generic_category(), "cannot lock " + file.string());
    }
    char text[32] = {};
    if (::pread(fd_, text, sizeof(text) - 1, 0) > 0) holder_ = static_cast<pid_t>(std::atol(text));
}

InstanceLock::~InstanceLock() {
    if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

}  // namespace cardbridge::daemon
