// The card's I/O: a vpcd TCP client (uint16 length framing) plus the test control channel on a Unix socket.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "cardbridge/common/bytes.hpp"
#include "cardbridge/vcard/piv_applet.hpp"

namespace cardbridge::vcard {

/// Options of `cardbridge-vcard run`.
struct RunOptions {
    std::string vpcdHost = "127.0.0.1";  ///< loopback only (isLoopbackHost); vpcd listens on all interfaces
    std::uint16_t vpcdPort = 0;
    std::string controlPath;  ///< empty: no control channel
    bool startRemoved = false;
    bool t0 = false;
    int latencyMs = 0;
    bool verbose = false;
};

/// True for the hosts the card may dial vpcd on: "localhost", an IPv4 literal in 127.0.0.0/8 (dotted quad)
/// or the IPv6 literal "::1". Anything else (other addresses, other names, "0.0.0.0", "127.1") is false:
/// vpcd listens on every interface and the card side must never reach one over the network. Pure.
bool isLoopbackHost(std::string_view host);

/// Hex of a C-APDU for the log, with the data of VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER,
/// IMPORT KEY and SET MANAGEMENT KEY replaced by "<N bytes redacted>".
std::string redactedApdu(ByteView apdu);

/// What the card does with one frame from vpcd.
struct FrameAction {
    enum class Kind { NoReply, Reply, Drop } kind = Kind::NoReply;
    Bytes payload;
};

/// Drives a PivApplet from vpcd and obeys the control channel. Single-threaded (poll()).
class VpcdRunner {
  public:
    /// Throws InputError when options.vpcdHost is not a loopback host (see isLoopbackHost).
    VpcdRunner(PivApplet& applet, RunOptions options);
    ~VpcdRunner();
    VpcdRunner(const VpcdRunner&) = delete;
    VpcdRunner& operator=(const VpcdRunner&) = delete;

    /// Serves until `stop` is set (by SIGINT/SIGTERM). Throws FatalError if the control socket cannot be
    /// made.
    void run(const std::atomic<bool>& stop);

    /// Executes one control-channel line and returns the one-line JSON reply (without newline).
    std::string control(std::string_view line);

    /// Handles one vpcd payload (control code or C-APDU), applying latency / fail-at / drop-at.
    FrameAction onFrame(ByteView payload);

    [[nodiscard]] bool present() const noexcept { return present_; }
    [[nodiscard]] bool connected() const noexcept { return vpcdFd_ >= 0; }
    [[nodiscard]] std::uint64_t apduCount() const noexcept { return apdus_; }

  private:
    void tryConnect();
    void disconnect(const char* why);
    void readVpcd();
    bool sendFrame(ByteView payload);
    void openControl();
    void acceptControl();
    void readControl(int fd);

    PivApplet& applet_;
    RunOptions options_;
    bool present_ = true;
    int vpcdFd_ = -1;
    Bytes rx_;
    std::chrono::steady_clock::time_point nextConnect_{};
    bool reportedUnreachable_ = false;
    std::uint64_t apdus_ = 0;
    int latencyMs_ = 0;
    std::uint64_t failCountdown_ = 0;
    std::uint64_t dropCountdown_ = 0;
    int controlFd_ = -1;
    std::map<int, std::string> controlClients_;  // fd -> partial line
};

}  // namespace cardbridge::vcard
