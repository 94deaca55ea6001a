// A synchronous HTTPS client for the authority tests: any method, headers and body; verifies the chain.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace cardbridge::test {

/// One HTTPS response.
struct AuthorityResponse {
    unsigned status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    /// First header `name` (case-insensitive), "" when absent.
    [[nodiscard]] std::string header(const std::string& name) const;
};

/// Sends one request to 127.0.0.1:`port` verifying the server against `rootPem` (connecting within 10 s).
/// Throws std::runtime_error on connection or TLS failure; a server that closes early gives status 0.
AuthorityResponse authorityRequest(std::uint16_t port, const std::string& rootPem, const std::string& method,
                                   const std::string& target, const std::string& body = {},
                                   std::vector<std::pair<std::string, std::string>> headers = {});

/// One TLS connection to 127.0.0.1:`port` for raw bytes: what a misbehaving client sends (a header without
/// its body, a connection held open). Not copyable.
class RawTlsConnection {
  public:
    /// Connects and handshakes within 5 s, verifying the server against `rootPem`. Throws
    /// std::runtime_error when the connection or the handshake fails (e.g. the server closed it).
    RawTlsConnection(std::uint16_t port, const std::string& rootPem);
    ~RawTlsConnection();
    RawTlsConnection(const RawTlsConnection&) = delete;
    RawTlsConnection& operator=(const RawTlsConnection&) = delete;

    /// Writes `bytes`. False on failure.
    bool send(const std::string& bytes);
    /// What arrives within `timeout` (until the peer closes or the time is up).
    std::string receive(std::chrono::milliseconds timeout);

  private:
    struct Impl;
    Impl* impl_;
};

}  // namespace cardbridge::test
