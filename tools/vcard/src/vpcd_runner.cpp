#include "cardbridge/vcard/vpcd_runner.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "cardbridge/common/error.hpp"

namespace cardbridge::vcard {

namespace {

constexpr auto RECONNECT_INTERVAL = std::chrono::milliseconds(200);
constexpr std::size_t MAX_CONTROL_LINE = 4096;

void logLine(const std::string& message) {
    std::timespec ts{};
    std::timespec_get(&ts, TIME_UTC);
    std::tm tm{};
    gmtime_r(&ts.tv_sec, &tm);
    std::fprintf(stderr, "%02d:%02d:%02d.%03ld vcard: %s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
                 ts.tv_nsec / 1000000, message.c_str());
}

// ordered_json keeps "ok" first, as the control protocol documents it.
std::string okJson(const nlohmann::ordered_json& extra = nlohmann::ordered_json::object()) {
    nlohmann::ordered_json out{{"ok", true}};
    for (const auto& [key, value] : extra.items()) out[key] = value;
    return out.dump();
}

std::string errorJson(const std::string& error) {
    return nlohmann::ordered_json{{"ok", false}, {"error", error}}.dump();
}

bool parseCount(const std::string& text, std::uint64_t& out) {
    if (text.empty() || text.size() > 9) return false;
    out = 0;
    for (char ch : text) {
        if (ch < '0' || ch > '9') return false;
        out = out * 10 + static_cast<std::uint64_t>(ch - '0');
    }
    return true;
}

bool writeAll(int fd, const std::uint8_t* data, std::size_t size) {
    while (size > 0) {
        ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

bool isLoopbackAddress(const sockaddr* address) {
    if (address->sa_family == AF_INET) {
        const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
        return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
    }
    if (address->sa_family == AF_INET6) {
        const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
        return IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
    }
    return false;
}

}  // namespace

bool isLoopbackHost(std::string_view host) {
    if (host == "localhost") return true;
    const std::string text(host);
    in_addr v4{};
    // inet_pton takes only the dotted quad, so "127.1" or "0x7f.1" (which getaddrinfo would accept) fail.
    if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
    in6_addr v6{};
    if (::inet_pton(AF_INET6, text.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
    return false;
}

std::string redactedApdu(ByteView apdu) {
    if (apdu.size() <= 5) return toHex(apdu);  // header (+ Le) only: nothing secret
    std::uint8_t ins = apdu[1];
    bool secret = ins == 0x20 || ins == 0x24 || ins == 0x2C || ins == 0xFE || ins == 0xFF;
    if (!secret) return toHex(apdu);
    return toHex(apdu.first(5)) + " <" + std::to_string(apdu.size() - 5) + " bytes redacted>";
}

VpcdRunner::VpcdRunner(PivApplet& applet, RunOptions options)
    : applet_(applet),
      options_(std::move(options)),
      present_(!options_.startRemoved),
      latencyMs_(options_.latencyMs) {
    if (!isLoopbackHost(options_.vpcdHost))
        throw InputError("--vpcd-host '" + options_.vpcdHost +
                         "' is not a loopback host: vpcd listens on every interface, so the card connects "
                         "only to 127.0.0.0/8, ::1 or localhost");
    applet_.setT0(options_.t0);
}

VpcdRunner::~VpcdRunner() {
    if (vpcdFd_ >= 0) ::close(vpcdFd_);
    for (auto& [fd, buffer] : controlClients_) ::close(fd);
    if (controlFd_ >= 0) {
        ::close(controlFd_);
        ::unlink(options_.controlPath.c_str());
    }
}

FrameAction VpcdRunner::onFrame(ByteView payload) {
    if (payload.size() == 1) {
        switch (payload[0]) {
            case 0x00:  // power off
            case 0x01:  // power on
            case 0x02:  // warm reset
                if (options_.verbose) logLine("vpcd control " + toHex(payload));
                applet_.powerCycle();
                return {};
            case 0x04:
                return {FrameAction::Kind::Reply, yubikey5Atr()};
            default:
                logLine("ignoring unknown vpcd control code " + toHex(payload));
                return {};
        }
    }
    if (payload.empty()) return {};
    ++apdus_;
    if (options_.verbose) logLine("> " + redactedApdu(payload));
    if (latencyMs_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(latencyMs_));
    if (dropCountdown_ > 0 && --dropCountdown_ == 0) {
        logLine("drop-at reached: pulling the card mid-command");
        return {FrameAction::Kind::Drop, {}};
    }
    Bytes response;
    if (failCountdown_ > 0 && --failCountdown_ == 0) {
        logLine("fail-at reached: answering 6F00");
        response = {0x6F, 0x00};
    } else {
        response = applet_.process(payload);
    }
    if (options_.verbose) logLine("< " + toHex(response));
    return {FrameAction::Kind::Reply, std::move(response)};
}

std::string VpcdRunner::control(std::string_view line) {
    std::istringstream in{std::string(line)};
    std::string command, argument, extra;
    in >> command >> argument >> extra;
    if (!extra.empty()) return errorJson("too many arguments");
    std::uint64_t n = 0;
    if (command == "insert" && argument.empty()) {
        present_ = true;
        nextConnect_ = {};  // connect at once
        return okJson();
    }
    if (command == "remove" && argument.empty()) {
        disconnect("removed by control channel");
        present_ = false;
        return okJson();
    }
    if (command == "latency") {
        if (!parseCount(argument, n) || n > 600000) return errorJson("usage: latency <ms>");
        latencyMs_ = static_cast<int>(n);
        return okJson();
    }
    if (command == "fail-at") {
        if (!parseCount(argument, n)) return errorJson("usage: fail-at <n>");
        failCountdown_ = n;
        return okJson();
    }
    if (command == "drop-at") {
        if (!parseCount(argument, n)) return errorJson("usage: drop-at <n>");
        dropCountdown_ = n;
        return okJson();
    }
    if (command == "t0") {
        if (argument != "on" && argument != "off") return errorJson("usage: t0 on|off");
        applet_.setT0(argument == "on");
        return okJson();
    }
    if (command == "stats" && argument.empty())
        return okJson({{"apdus", apdus_}, {"present", present_}, {"connected", connected()}});
    if (command == "reset-stats" && argument.empty()) {
        apdus_ = 0;
        return okJson();
    }
    return errorJson(command.empty() ? "empty command" : "unknown command: " + command);
}

void VpcdRunner::disconnect(const char* why) {
    if (vpcdFd_ >= 0) {
        ::close(vpcdFd_);
        vpcdFd_ = -1;
        logLine(std::string("disconnected from vpcd: ") + why);
    }
    rx_.clear();
    // A pulled card loses power: PIN status, selection and pending data go with it.
    applet_.powerCycle();
    nextConnect_ = std::chrono::steady_clock::now() + RECONNECT_INTERVAL;
}

void VpcdRunner::tryConnect() {
    nextConnect_ = std::chrono::steady_clock::now() + RECONNECT_INTERVAL;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    std::string port = std::to_string(options_.vpcdPort);
    int rc = ::getaddrinfo(options_.vpcdHost.c_str(), port.c_str(), &hints, &found);
    if (rc != 0) {
        if (!reportedUnreachable_) logLine("cannot resolve " + options_.vpcdHost + ": " + ::gai_strerror(rc));
        reportedUnreachable_ = true;
        return;
    }
    int lastErrno = 0;
    for (addrinfo* ai = found; ai != nullptr && vpcdFd_ < 0; ai = ai->ai_next) {
        // "localhost" is a name: a hosts file could point it elsewhere. Dial loopback addresses only.
        if (!isLoopbackAddress(ai->ai_addr)) continue;
        int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) continue;
        timeval timeout{2, 0};  // bounds connect() against a black-holed host
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            vpcdFd_ = fd;
        } else {
            lastErrno = errno;
            ::close(fd);
        }
    }
    ::freeaddrinfo(found);
    if (vpcdFd_ >= 0) {
        logLine("connected to vpcd at " + options_.vpcdHost + ":" + port + " (card inserted)");
        reportedUnreachable_ = false;
        applet_.powerCycle();
        return;
    }
    // ECONNREFUSED is normal: pcscd not started yet, restarting, or auto-exited. Say so once.
    if (!reportedUnreachable_)
        logLine("vpcd " + options_.vpcdHost + ":" + port + " not reachable (" + std::strerror(lastErrno) +
                "), retrying every 200 ms");
    reportedUnreachable_ = true;
}

bool VpcdRunner::sendFrame(ByteView payload) {
    Bytes frame{static_cast<std::uint8_t>(payload.size() >> 8),
                static_cast<std::uint8_t>(payload.size() & 0xFF)};
    append(frame, payload);
    return writeAll(vpcdFd_, frame.data(), frame.size());
}

void VpcdRunner::readVpcd() {
    std::uint8_t buffer[4096];
    ssize_t n = ::recv(vpcdFd_, buffer, sizeof buffer, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
        disconnect(n == 0 ? "EOF (pcscd stopped or closed the reader)" : std::strerror(errno));
        return;
    }
    // vpcd writes length and payload with two send() calls; with Nagle on its side and delayed ACKs on
    // ours every APDU would stall ~40 ms, so acknowledge at once (Linux resets QUICKACK, hence every read).
    int one = 1;
    ::setsockopt(vpcdFd_, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
    rx_.insert(rx_.end(), buffer, buffer + n);
    // vpcd may split length and payload over separate segments: consume only complete frames.
    while (rx_.size() >= 2 && vpcdFd_ >= 0) {
        std::size_t length = (std::size_t{rx_[0]} << 8) | rx_[1];
        if (rx_.size() < 2 + length) break;
        Bytes payload(rx_.begin() + 2, rx_.begin() + 2 + static_cast<std::ptrdiff_t>(length));
        rx_.erase(rx_.begin(), rx_.begin() + 2 + static_cast<std::ptrdiff_t>(length));
        FrameAction action = onFrame(payload);
        if (action.kind == FrameAction::Kind::Drop) {
            disconnect("drop-at: card pulled");
            present_ = false;
            return;
        }
        if (action.kind == FrameAction::Kind::Reply && !sendFrame(action.payload)) {
            disconnect("send failed");
            return;
        }
    }
}

void VpcdRunner::openControl() {
    if (options_.controlPath.empty()) return;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (options_.controlPath.size() >= sizeof addr.sun_path) throw FatalError("control socket path too long");
    std::memcpy(addr.sun_path, options_.controlPath.c_str(), options_.controlPath.size() + 1);
    struct stat st {};
    if (::lstat(options_.controlPath.c_str(), &st) == 0 && S_ISSOCK(st.st_mode))
        ::unlink(options_.controlPath.c_str());  // a stale socket from an earlier run
    controlFd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (controlFd_ < 0) throw FatalError(std::string("control socket: ") + std::strerror(errno));
    if (::bind(controlFd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::chmod(options_.controlPath.c_str(), S_IRUSR | S_IWUSR) != 0 || ::listen(controlFd_, 8) != 0) {
        std::string error = std::strerror(errno);
        ::close(controlFd_);
        controlFd_ = -1;
        throw FatalError("cannot listen on control socket " + options_.controlPath + ": " + error);
    }
    logLine("control channel on " + options_.controlPath);
}

void VpcdRunner::acceptControl() {
    int fd = ::accept4(controlFd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) controlClients_[fd] = {};
}

void VpcdRunner::readControl(int fd) {
    char buffer[1024];
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
        ::close(fd);
        controlClients_.erase(fd);
        return;
    }
    std::string& pending = controlClients_[fd];
    pending.append(buffer, static_cast<std::size_t>(n));
    std::size_t newline = 0;
    while ((newline = pending.find('\n')) != std::string::npos) {
        std::string line = pending.substr(0, newline);
        pending.erase(0, newline + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (options_.verbose) logLine("control: " + line);
        std::string reply = control(line) + "\n";
        if (!writeAll(fd, reinterpret_cast<const std::uint8_t*>(reply.data()), reply.size())) {
            ::close(fd);
            controlClients_.erase(fd);
            return;
        }
    }
    if (pending.size() > MAX_CONTROL_LINE) {
        ::close(fd);
        controlClients_.erase(fd);
    }
}

void VpcdRunner::run(const std::atomic<bool>& stop) {
    openControl();
    logLine(std::string("card starts ") + (present_ ? "inserted" : "removed") + ", vpcd " +
            options_.vpcdHost + ":" + std::to_string(options_.vpcdPort));
    while (!stop.load()) {
        if (present_ && vpcdFd_ < 0 && std::chrono::steady_clock::now() >= nextConnect_) tryConnect();
        std::vector<pollfd> fds;
        if (vpcdFd_ >= 0) fds.push_back({vpcdFd_, POLLIN, 0});
        if (controlFd_ >= 0) fds.push_back({controlFd_, POLLIN, 0});
        for (const auto& [fd, buffer] : controlClients_) fds.push_back({fd, POLLIN, 0});
        int ready = ::poll(fds.data(), fds.size(), 50);
        if (ready <= 0) continue;  // timeout or EINTR (a signal: the loop re-checks `stop`)
        for (const pollfd& p : fds) {
            if (p.revents == 0) continue;
            if (p.fd == vpcdFd_) {
                readVpcd();
            } else if (p.fd == controlFd_) {
                acceptControl();
            } else if (controlClients_.count(p.fd) != 0) {
                readControl(p.fd);
            }
        }
    }
    logLine("stopping");
}

}  // namespace cardbridge::vcard
