// The authority's HTTPS listener (Beast, in server.cpp only). Requests are read with deadlines and body
// limits, then handled on a worker pool so that storage and SMS calls never block the network threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cardbridge/authority/http/http_types.hpp"

namespace cardbridge::authority::http {

/// Where and how to listen.
struct HttpsServerOptions {
    std::string address = "127.0.0.1";   ///< IP literal to bind
    std::uint16_t port = 8443;           ///< 0 picks a free port (tests)
    std::filesystem::path certChainPem;  ///< leaf first, then intermediates
    std::filesystem::path keyPem;
    std::chrono::seconds handshakeTimeout{10};  ///< TLS handshake and each request's header
    std::chrono::seconds bodyTimeout{60};       ///< the rest of a request's body
    std::chrono::seconds idleTimeout{30};       ///< between requests on a kept-alive connection
    std::uint32_t maxHeaderBytes = 16 * 1024;
    unsigned workers = 4;  ///< handler threads
    /// Open connections at most; one more is closed right after accept (before TLS), logged.
    unsigned maxConnections = 512;
    /// Requests handed to the workers and not answered yet, at most; one more gets the handler's
    /// overloaded() answer (503 with Retry-After) without being queued.
    unsigned maxPendingRequests = 64;
    /// TCP peers whose X-Forwarded-For is believed (the TLS-terminating proxy in front); see
    /// clientAddressFor.
    std::vector<std::string> trustedProxies;
};

/// HTTPS (TLS 1.2+, cardbridge_net_common's settings) in front of a RequestHandler.
class HttpsServer {
  public:
    /// Loads the TLS chain and key. Throws std::runtime_error when they do not load. `handler` must
    /// outlive the server.
    HttpsServer(HttpsServerOptions options, const RequestHandler& handler);
    ~HttpsServer();
    HttpsServer(const HttpsServer&) = delete;
    HttpsServer& operator=(const HttpsServer&) = delete;

    /// Binds and listens; returns the port. Throws std::runtime_error when the address cannot be bound.
    std::uint16_t start();
    /// Serves on the calling thread plus `threads - 1` more until stop().
    void run(unsigned threads = 2);
    /// Stops accepting, drops connections, makes run() return. Thread-safe, idempotent.
    void stop();
    [[nodiscard]] std::uint16_t port() const noexcept;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace cardbridge::authority::http
