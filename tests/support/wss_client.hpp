// A synchronous WSS (JSON-RPC 2.0) and HTTPS client for tests, with a timeout on every wait. Beast
// stays in wss_client.cpp so that test files including this header compile quickly.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace cardbridge::test {

/// TLS protocol versions a test client may pin.
enum class TlsVersion { Tls1_0, Tls1_1, Tls1_2, Tls1_3 };

/// How to reach the daemon. The server's chain is always verified against `rootCaPem` and `host`.
struct WssClientOptions {
    std::string host = "127.0.0.1";  ///< IP literal to connect to and to verify the certificate for
    std::uint16_t port = 0;
    std::string rootCaPem;                  ///< trust anchor (PEM); required
    std::optional<std::string> origin;      ///< Origin header; nullopt: none
    std::optional<std::string> hostHeader;  ///< Host header; nullopt: "host:port" ("[::1]:port" for v6)
    std::string target = "/";
    std::optional<TlsVersion> minTls;
    std::optional<TlsVersion> maxTls;         ///< below 1.2 also lowers the client's OpenSSL security level
    std::chrono::milliseconds timeout{5000};  ///< per connect, handshake, write and wait
    std::size_t maxIncomingBytes = 16 * 1024 * 1024;
};

/// Connection or protocol failure. `httpStatus` is set when the server declined the upgrade.
class WssError : public std::runtime_error {
  public:
    explicit WssError(const std::string& what, unsigned httpStatus = 0)
        : std::runtime_error(what), httpStatus_(httpStatus) {}
    [[nodiscard]] unsigned httpStatus() const noexcept { return httpStatus_; }

  private:
    unsigned httpStatus_;
};

/// How a connection ended, as seen by the client.
struct CloseInfo {
    bool closed = false;  ///< false: still open when the wait timed out
    int code = 0;         ///< WebSocket close code (1008 policy, 1009 too big, 1007 bad payload); 0: none
    std::string error;    ///< the read error's message
};

/// One WSS connection. Not thread-safe; every call runs the client's own I/O on the calling thread.
class WssClient {
  public:
    /// Connects, verifies the chain, and upgrades. Throws WssError (httpStatus set when refused).
    explicit WssClient(WssClientOptions options);
    ~WssClient();
    WssClient(const WssClient&) = delete;
    WssClient& operator=(const WssClient&) = delete;

    /// Sends {"jsonrpc":"2.0","id":N,"method":…,"params":…} and returns the whole response object
    /// (with "result" or "error"); notifications arriving meanwhile are kept. Throws WssError on timeout.
    nlohmann::json call(const std::string& method, const nlohmann::json& params = nlohmann::json::object());
    /// Waits for the response carrying `id` (after sendText of a hand-made request). Throws on timeout.
    nlohmann::json waitResponse(const nlohmann::json& id);
    /// Waits for a notification `method` and returns its params. Throws WssError on timeout or close.
    nlohmann::json waitNotification(const std::string& method, std::chrono::milliseconds timeout);
    /// Next incoming text frame not yet consumed, or nullopt after `timeout`.
    std::optional<std::string> nextText(std::chrono::milliseconds timeout);

    void sendText(const std::string& text);     ///< one text frame, as is (may be invalid JSON or UTF-8)
    void sendBinary(const std::string& bytes);  ///< one binary frame
    /// Waits until the server closes the connection (or `timeout`).
    CloseInfo waitClosed(std::chrono::milliseconds timeout);
    [[nodiscard]] bool isOpen() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// An HTTPS response.
struct HttpsResponse {
    unsigned status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    /// First header `name` (case-insensitive); "" when absent.
    [[nodiscard]] std::string header(const std::string& name) const;
};

/// One HTTPS request (target sent verbatim, Host from options). Throws WssError on failure.
HttpsResponse httpsRequest(const WssClientOptions& options, const std::string& method,
                           const std::string& target);

/// Result of a raw TCP exchange.
struct RawTcpResult {
    bool connected = false;
    bool closedByPeer = false;  ///< EOF or reset before the timeout
    std::string received;
    std::chrono::milliseconds elapsed{0};  ///< until closed (or the timeout)
};

/// Connects to host:port, sends `bytes` (may be empty), reads until the peer closes or `timeout`.
RawTcpResult rawTcpExchange(const std::string& host, std::uint16_t port, const std::string& bytes,
                            std::chrono::milliseconds timeout);

/// Completes a TLS handshake (verified) and then sends nothing; returns when the peer closes or `timeout`.
RawTcpResult tlsConnectAndIdle(const WssClientOptions& options, std::chrono::milliseconds timeout);

}  // namespace cardbridge::test
