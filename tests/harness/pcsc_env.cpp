#include "pcsc_env.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <winscard.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "free_port.hpp"

namespace cardbridge::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr const char* kVpcdDriver = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so";

std::vector<char*> toArgv(const std::vector<std::string>& argv) {
    std::vector<char*> out;
    for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
    out.push_back(nullptr);
    return out;
}

// Per-process folder and ports: pcsc-lite caches PCSCLITE_CSOCK_NAME at first use.
struct ProcessEnv {
    fs::path dir;
    std::uint16_t basePort = 0;
    ProcessEnv() = default;
    ProcessEnv(ProcessEnv&&) = default;
    ProcessEnv& operator=(ProcessEnv&&) = default;
    // Logs stay for post-mortems only when asked for: CARDBRIDGE_KEEP_TEST_DIRS=1.
    ~ProcessEnv() {
        if (dir.empty() || std::getenv("CARDBRIDGE_KEEP_TEST_DIRS") != nullptr) return;
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};

ProcessEnv& processEnv() {
    static ProcessEnv env = [] {
        ProcessEnv e;
        std::string tmpl = (fs::temp_directory_path() / "cardbridge-pcsc-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        e.dir = tmpl;
        // One vpcd port per slot; vpcd binds every interface.
        e.basePort = freePort(PortScope::AnyInterface, 2, 20000, 59000);
        std::ofstream conf(e.dir / "reader.conf");
        char hex[16];
        std::snprintf(hex, sizeof(hex), "0x%X", e.basePort);
        conf << "FRIENDLYNAME \"Virtual PCD\"\n"
             << "DEVICENAME /dev/null:" << hex << "\n"
             << "LIBPATH " << kVpcdDriver << "\n"
             << "CHANNELID " << hex << "\n";
        ::setenv("PCSCLITE_CSOCK_NAME", (e.dir / "pcscd.comm").c_str(), 1);
        return e;
    }();
    return env;
}

bool canConnectUnix(const fs::path& path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) return false;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    ::close(fd);
    return ok;
}

std::string readFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

// ---------------------------------------------------------------- processes

CommandResult runCommand(const std::vector<std::string>& argv, std::chrono::seconds timeout) {
    int pipeFds[2];
    if (::pipe2(pipeFds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        ::dup2(pipeFds[1], STDOUT_FILENO);
        ::dup2(pipeFds[1], STDERR_FILENO);
        int devNull = ::open("/dev/null", O_RDONLY);
        if (devNull >= 0) ::dup2(devNull, STDIN_FILENO);
        auto args = toArgv(argv);
        ::execvp(args[0], args.data());
        std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
        ::_exit(127);
    }
    ::close(pipeFds[1]);
    CommandResult result;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[4096];
    bool timedOut = false;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                          std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            timedOut = true;
            break;
        }
        pollfd pfd{pipeFds[0], POLLIN, 0};
        int rc = ::poll(&pfd, 1, static_cast<int>(left.count()));
        if (rc < 0 && errno == EINTR) continue;
        if (rc <= 0) continue;
        ssize_t n = ::read(pipeFds[0], buf, sizeof(buf));
        if (n <= 0) break;
        result.output.append(buf, static_cast<std::size_t>(n));
    }
    ::close(pipeFds[0]);
    if (timedOut) ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!timedOut && WIFEXITED(status)) result.exitCode = WEXITSTATUS(status);
    return result;
}

std::string vcardExecutable() {
    return CARDBRIDGE_VCARD_EXE;
}

std::string vcardCli(const std::vector<std::string>& args) {
    std::vector<std::string> argv{vcardExecutable()};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult r = runCommand(argv);
    if (r.exitCode != 0) {
        std::string joined;
        for (const auto& a : args) joined += " " + a;
        throw std::runtime_error("cardbridge-vcard" + joined + " failed (" + std::to_string(r.exitCode) +
                                 "): " + r.output);
    }
    return r.output;
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const fs::path& logFile) {
    int logFd = ::open(logFile.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (logFd < 0) throw std::runtime_error("cannot open " + logFile.string());
    pid_ = ::fork();
    if (pid_ < 0) {
        ::close(logFd);
        throw std::runtime_error("fork failed");
    }
    if (pid_ == 0) {
        ::dup2(logFd, STDOUT_FILENO);
        ::dup2(logFd, STDERR_FILENO);
        int devNull = ::open("/dev/null", O_RDONLY);
        if (devNull >= 0) ::dup2(devNull, STDIN_FILENO);
        auto args = toArgv(argv);
        ::execvp(args[0], args.data());
        std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
        ::_exit(127);
    }
    ::close(logFd);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept : pid_(other.pid_) {
    other.pid_ = -1;
}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
    if (this != &other) {
        stop();
        pid_ = other.pid_;
        other.pid_ = -1;
    }
    return *this;
}

ChildProcess::~ChildProcess() {
    stop();
}

bool ChildProcess::running() {
    if (pid_ <= 0) return false;
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        pid_ = -1;
        return false;
    }
    return r == 0;
}

void ChildProcess::stop(std::chrono::milliseconds grace) {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return;
        }
        std::this_thread::sleep_for(20ms);
    }
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
}

// ---------------------------------------------------------------- pcscd

PcscEnv::PcscEnv() {
    if (::geteuid() != 0)
        throw std::runtime_error(
            "integration tests start a private pcscd in a mount namespace and need root "
            "(run them through scripts/test.sh as root, as CI does)");
    processEnv();
    fs::create_directories("/run/pcscd");  // the bind-mount target must exist
    startPcscd();
}

PcscEnv::~PcscEnv() {
    stopPcscd();
}

const fs::path& PcscEnv::dir() const {
    return processEnv().dir;
}

std::string PcscEnv::readerName(int slot) const {
    return "Virtual PCD 00 0" + std::to_string(slot);
}

std::uint16_t PcscEnv::vpcdPort(int slot) const {
    return static_cast<std::uint16_t>(processEnv().basePort + slot);
}

fs::path PcscEnv::socketPath() const {
    return dir() / "pcscd.comm";
}

void PcscEnv::stopPcscd() {
    pcscd_.stop();
    std::error_code ec;
    fs::remove(socketPath(), ec);
}

void PcscEnv::startPcscd() {
    if (pcscd_.running()) return;
    std::error_code ec;
    fs::remove(socketPath(), ec);
    const std::string d = dir().string();
    // A private /run/pcscd: pcscd's server socket path is fixed at compile time (piv.md §5).
    std::string script =
        "mount --bind '" + d + "' /run/pcscd && exec pcscd --foreground -c '" + d + "/reader.conf'";
    pcscd_ = ChildProcess({"unshare", "-m", "sh", "-c", script}, dir() / "pcscd.log");
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!pcscd_.running())
            throw std::runtime_error("pcscd exited at start: " + readFile(dir() / "pcscd.log"));
        if (canConnectUnix(socketPath())) return;
        std::this_thread::sleep_for(20ms);
    }
    throw std::runtime_error("pcscd did not open its socket: " + readFile(dir() / "pcscd.log"));
}

bool PcscEnv::pcscdRunning() {
    return pcscd_.running();
}

// ---------------------------------------------------------------- virtual card

VirtualCard::VirtualCard(PcscEnv& env, fs::path stateFile, VcardOptions options)
    : env_(env),
      stateFile_(std::move(stateFile)),
      options_(options),
      controlPath_(env.dir() / ("vcard-" + std::to_string(options.slot) + ".sock")),
      reader_(env.readerName(options.slot)) {
    launch();
}

VirtualCard::~VirtualCard() {
    process_.stop();
}

void VirtualCard::launch() {
    std::error_code ec;
    fs::remove(controlPath_, ec);
    std::vector<std::string> argv{vcardExecutable(), "run",
                                  "--state",         stateFile_.string(),
                                  "--vpcd-port",     std::to_string(env_.vpcdPort(options_.slot)),
                                  "--control",       controlPath_.string()};
    if (options_.removed) argv.emplace_back("--removed");
    if (options_.t0) argv.emplace_back("--t0");
    if (options_.latencyMs > 0) {
        argv.emplace_back("--latency-ms");
        argv.push_back(std::to_string(options_.latencyMs));
    }
    auto log = env_.dir() / ("vcard-" + std::to_string(options_.slot) + ".log");
    process_ = ChildProcess(argv, log);
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!canConnectUnix(controlPath_)) {
        if (!process_.running()) throw std::runtime_error("cardbridge-vcard exited: " + readFile(log));
        if (std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("cardbridge-vcard control channel did not open: " + readFile(log));
        std::this_thread::sleep_for(20ms);
    }
}

void VirtualCard::stop() {
    process_.stop();
    waitAbsent();
}

void VirtualCard::start() {
    launch();
    if (!options_.removed) waitPresent();
}

void VirtualCard::restart() {
    stop();
    start();
}

nlohmann::json VirtualCard::control(const std::string& line) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("socket failed");
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, controlPath_.c_str(), sizeof(addr.sun_path) - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot reach the vcard control channel");
    }
    std::string request = line + "\n";
    if (::write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
        ::close(fd);
        throw std::runtime_error("control write failed");
    }
    std::string reply;
    char c = 0;
    pollfd pfd{fd, POLLIN, 0};
    while (reply.size() < 65536) {
        if (::poll(&pfd, 1, 10000) <= 0) break;
        if (::read(fd, &c, 1) != 1 || c == '\n') break;
        reply.push_back(c);
    }
    ::close(fd);
    auto json = nlohmann::json::parse(reply, nullptr, false);
    if (json.is_discarded() || !json.is_object())
        throw std::runtime_error("bad control reply to '" + line + "': " + reply);
    if (!json.value("ok", false))
        throw std::runtime_error("control '" + line + "' failed: " + json.value("error", reply));
    return json;
}

void VirtualCard::insert() {
    control("insert");
}
void VirtualCard::remove() {
    control("remove");
}
void VirtualCard::setLatency(int ms) {
    control("latency " + std::to_string(ms));
}
void VirtualCard::failAt(std::uint64_t n) {
    control("fail-at " + std::to_string(n));
}
void VirtualCard::dropAt(std::uint64_t n) {
    control("drop-at " + std::to_string(n));
}
void VirtualCard::setT0(bool on) {
    control(on ? "t0 on" : "t0 off");
}
std::uint64_t VirtualCard::apduCount() {
    return control("stats").at("apdus").get<std::uint64_t>();
}
void VirtualCard::resetApduCount() {
    control("reset-stats");
}

void VirtualCard::waitPresent(std::chrono::milliseconds timeout) {
    waitState(true, timeout);
}
void VirtualCard::waitAbsent(std::chrono::milliseconds timeout) {
    waitState(false, timeout);
}

void VirtualCard::waitState(bool present, std::chrono::milliseconds timeout) {
    SCARDCONTEXT ctx = 0;
    if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &ctx) != SCARD_S_SUCCESS)
        throw std::runtime_error("waitState: no PC/SC context");
    auto deadline = std::chrono::steady_clock::now() + timeout;
    SCARD_READERSTATE state{};
    state.szReader = reader_.c_str();
    state.dwCurrentState = SCARD_STATE_UNAWARE;
    bool reached = false;
    while (std::chrono::steady_clock::now() < deadline) {
        LONG rc = SCardGetStatusChange(ctx, 200, &state, 1);
        if (rc == SCARD_S_SUCCESS || rc == SCARD_E_TIMEOUT) {
            bool isPresent = (state.dwEventState & SCARD_STATE_PRESENT) != 0;
            if (rc == SCARD_S_SUCCESS)
                state.dwCurrentState = state.dwEventState & ~static_cast<DWORD>(SCARD_STATE_CHANGED);
            if (isPresent == present && (state.dwEventState & SCARD_STATE_UNKNOWN) == 0 &&
                (state.dwEventState & SCARD_STATE_UNAVAILABLE) == 0) {
                reached = true;
                break;
            }
        } else {
            std::this_thread::sleep_for(100ms);
            state.dwCurrentState = SCARD_STATE_UNAWARE;
        }
    }
    SCardReleaseContext(ctx);
    if (!reached)
        throw std::runtime_error(std::string("card in '") + reader_ + "' did not become " +
                                 (present ? "present" : "absent"));
}

nlohmann::json VirtualCard::show() {
    return nlohmann::json::parse(vcardCli({"show", "--state", stateFile_.string()}));
}

void provisionCard(const fs::path& stateFile, const std::vector<SlotContent>& slots,
                   const std::vector<std::string>& initArgs) {
    std::vector<std::string> init{"init", "--state", stateFile.string(), "--force"};
    init.insert(init.end(), initArgs.begin(), initArgs.end());
    vcardCli(init);
    fs::path work = stateFile.parent_path();
    for (const auto& s : slots) {
        fs::path certFile = work / ("slot-" + s.slot + ".crt.pem");
        std::ofstream(certFile) << s.certPem;
        std::vector<std::string> import{"import", "--state", stateFile.string(), "--slot",
                                        s.slot,   "--cert",  certFile.string()};
        fs::path keyFile = work / ("slot-" + s.slot + ".key.pem");
        if (!s.keyPem.empty()) {
            { std::ofstream(keyFile) << s.keyPem; }
            fs::permissions(keyFile, fs::perms::owner_read | fs::perms::owner_write);
            import.emplace_back("--key");
            import.push_back(keyFile.string());
        }
        if (s.compress) import.emplace_back("--compress");
        vcardCli(import);
        fs::remove(keyFile);  // the key lives on the card now; leave no copy behind
    }
}

}  // namespace cardbridge::test
