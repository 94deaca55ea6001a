// A raw HTTPS/1.1 connection for the upload tests: bytes go out exactly as a test writes them (bodies,
// chunked encoding, Expect: 100-continue, a header whose body never follows), and responses are parsed
// one at a time (a 100 Continue is a response of its own). Verified TLS, as the shared client does; Beast
// stays in raw_https.cpp. Local to tests/integration/net on purpose (tests/support's client sends no body).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "wss_client.hpp"

namespace cardbridge::test {

/// One connection. Not thread-safe; all I/O runs on the calling thread, every wait bounded.
class RawHttpsConnection {
  public:
    /// Connects and verifies the server (options.host, rootCaPem). Throws WssError.
    explicit RawHttpsConnection(const WssClientOptions& options);
    ~RawHttpsConnection();
    RawHttpsConnection(const RawHttpsConnection&) = delete;
    RawHttpsConnection& operator=(const RawHttpsConnection&) = delete;

    /// Writes `bytes` (after any write still pending); false when it failed or did not finish within
    /// the options' timeout (the server may have stopped reading or closed).
    bool send(const std::string& bytes);

    /// Starts writing `bytes` and reads the next response meanwhile, because a server may answer (413)
    /// before it has read them all; nullopt when no response arrived within the options' timeout.
    std::optional<HttpsResponse> sendAndRead(const std::string& bytes);

    /// The next response; nullopt when none arrived within `timeout` or the connection ended. A read
    /// that timed out stays pending: the next call goes on waiting for the same response.
    std::optional<HttpsResponse> readResponse(std::chrono::milliseconds timeout);

    /// Whether the server ends the connection (close_notify, EOF or reset) within `timeout`; bytes that
    /// still arrive meanwhile are discarded. Call with no response read pending.
    bool waitClosed(std::chrono::milliseconds timeout);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// "PUT <target> HTTP/1.1" with Host, Origin (when given), Content-Length and `extraHeaders` (each
/// ending in "\r\n"), then `body`. `contentLength` overrides the body's size in the header.
std::string uploadRequest(const std::string& hostHeader, const std::optional<std::string>& origin,
                          const std::string& target, const std::string& body,
                          const std::string& extraHeaders = "",
                          std::optional<std::size_t> contentLength = std::nullopt,
                          const std::string& method = "PUT");

/// `body` in chunked encoding (chunks of `chunkBytes`), with the final zero chunk.
std::string chunked(const std::string& body, std::size_t chunkBytes);

}  // namespace cardbridge::test
