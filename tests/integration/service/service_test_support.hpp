// What the service tests share: a NOTIFY_SOCKET the test owns, a cardbridged child whose exit status can
// be read, and an environment that keeps the daemon away from the real home and pcscd.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace cardbridge::test {

inline std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

/// An AF_UNIX datagram socket standing in for systemd's notify socket; a thread collects every message
/// with its arrival time. Messages carrying descriptors (sd_notify_barrier's BARRIER=1) are read
/// without a control buffer, so the kernel closes the descriptors and the barrier returns.
class NotifySocket {
  public:
    using Clock = std::chrono::steady_clock;
    struct Message {
        std::string text;
        Clock::time_point at;
    };

    explicit NotifySocket(std::filesystem::path path) : path_(std::move(path)) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        const std::string p = path_.string();
        if (fd_ < 0 || p.size() >= sizeof(address.sun_path)) throw std::runtime_error("notify socket");
        std::memcpy(address.sun_path, p.c_str(), p.size() + 1);
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0)
            throw std::runtime_error("cannot bind " + p);
        timeval tick{0, 100'000};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof(tick));
        reader_ = std::thread([this] {
            char buffer[4096];
            while (!done_) {
                const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
                if (n <= 0) continue;
                std::lock_guard lock(mutex_);
                messages_.push_back({std::string(buffer, static_cast<std::size_t>(n)), Clock::now()});
                arrived_.notify_all();
            }
        });
    }
    ~NotifySocket() {
        done_ = true;
        reader_.join();
        ::close(fd_);
        std::filesystem::remove(path_);
    }
    NotifySocket(const NotifySocket&) = delete;
    NotifySocket& operator=(const NotifySocket&) = delete;

    const std::filesystem::path& path() const { return path_; }

    /// The first message containing `needle` (as a line) that arrives within `timeout`.
    std::optional<Message> waitFor(const std::string& needle, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        std::optional<Message> found;
        arrived_.wait_for(lock, timeout, [&] {
            for (const auto& m : messages_)
                if (hasLine(m.text, needle)) {
                    found = m;
                    return true;
                }
            return false;
        });
        return found;
    }

    /// Every message so far containing `needle` as a line.
    std::vector<Message> all(const std::string& needle) {
        std::lock_guard lock(mutex_);
        std::vector<Message> out;
        for (const auto& m : messages_)
            if (hasLine(m.text, needle)) out.push_back(m);
        return out;
    }

  private:
    static bool hasLine(const std::string& text, const std::string& needle) {
        std::istringstream lines(text);
        for (std::string line; std::getline(lines, line);)
            if (line.rfind(needle, 0) == 0) return true;
        return false;
    }

    std::filesystem::path path_;
    int fd_ = -1;
    std::atomic<bool> done_{false};
    std::mutex mutex_;
    std::condition_variable arrived_;
    std::vector<Message> messages_;
    std::thread reader_;
};

/// A process started with posix_spawn (stdout and stderr into `log`), whose exit status the test reads.
/// Killed with SIGKILL if still running on destruction.
class Spawned {
  public:
    Spawned(const std::vector<std::string>& argv, const std::filesystem::path& log) {
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        const int rc = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) throw std::runtime_error("posix_spawn " + argv[0] + " failed");
    }
    ~Spawned() {
        if (pid_ > 0 && !status_) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    Spawned(const Spawned&) = delete;
    Spawned& operator=(const Spawned&) = delete;

    pid_t pid() const { return pid_; }
    /// The raw wait status once the process ended within `timeout`; nullopt while it runs.
    std::optional<int> wait(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!status_) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                status_ = status;
                break;
            }
            if (std::chrono::steady_clock::now() > deadline) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return status_;
    }

  private:
    pid_t pid_ = -1;
    std::optional<int> status_;
};

}  // namespace cardbridge::test
