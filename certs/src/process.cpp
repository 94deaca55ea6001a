// Running a helper program (certutil) with an argv vector: posix_spawnp, no shell, output captured.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "cardbridge/common/error.hpp"
#include "local_tls_internal.hpp"

extern char** environ;

namespace cardbridge::localtls::detail {

namespace {

constexpr std::size_t MAX_CAPTURE = 1024 * 1024;

class Fd {
  public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }
    [[nodiscard]] int get() const noexcept { return fd_; }
    void reset(int fd = -1) noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }

  private:
    int fd_ = -1;
};

void makePipe(Fd& readEnd, Fd& writeEnd) {
    std::array<int, 2> fds{};
    // O_CLOEXEC: the child only keeps the ends dup2'ed onto 1 and 2.
    if (::pipe2(fds.data(), O_CLOEXEC) != 0) throw FatalError(std::string("pipe2: ") + std::strerror(errno));
    readEnd.reset(fds[0]);
    writeEnd.reset(fds[1]);
}

class SpawnActions {
  public:
    SpawnActions() {
        if (posix_spawn_file_actions_init(&actions_) != 0) throw FatalError("posix_spawn_file_actions_init");
    }
    SpawnActions(const SpawnActions&) = delete;
    SpawnActions& operator=(const SpawnActions&) = delete;
    ~SpawnActions() { posix_spawn_file_actions_destroy(&actions_); }
    posix_spawn_file_actions_t* get() noexcept { return &actions_; }

  private:
    posix_spawn_file_actions_t actions_{};
};

}  // namespace

ProcessResult runProcess(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
    ProcessResult result;
    if (argv.empty()) throw FatalError("runProcess: empty argv");
    Fd outRead, outWrite, errRead, errWrite;
    makePipe(outRead, outWrite);
    makePipe(errRead, errWrite);

    SpawnActions actions;
    if (posix_spawn_file_actions_addopen(actions.get(), 0, "/dev/null", O_RDONLY, 0) != 0 ||
        posix_spawn_file_actions_adddup2(actions.get(), outWrite.get(), 1) != 0 ||
        posix_spawn_file_actions_adddup2(actions.get(), errWrite.get(), 2) != 0)
        throw FatalError("posix_spawn_file_actions");

    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);

    pid_t pid = -1;
    const int spawnError = posix_spawnp(&pid, argv[0].c_str(), actions.get(), nullptr, args.data(), environ);
    outWrite.reset();
    errWrite.reset();
    if (spawnError != 0) {
        result.err = argv[0] + ": " + std::strerror(spawnError);
        return result;
    }
    result.started = true;

    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::array<pollfd, 2> fds{pollfd{outRead.get(), POLLIN, 0}, pollfd{errRead.get(), POLLIN, 0}};
    std::array<std::string*, 2> sinks{&result.out, &result.err};
    bool killed = false;
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            ::kill(pid, SIGKILL);  // our own child, by pid
            killed = true;
            break;
        }
        const int n = ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) continue;
            std::array<char, 4096> buffer{};
            const ssize_t got = ::read(fds[i].fd, buffer.data(), buffer.size());
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) {
                fds[i].fd = -1;  // EOF or error; the Fd closes it
                continue;
            }
            if (sinks[i]->size() < MAX_CAPTURE)
                sinks[i]->append(buffer.data(), static_cast<std::size_t>(got));
        }
    }

    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!killed && WIFEXITED(status)) result.exitCode = WEXITSTATUS(status);
    if (killed) result.err += "\n(killed after timeout)";
    return result;
}

}  // namespace cardbridge::localtls::detail
