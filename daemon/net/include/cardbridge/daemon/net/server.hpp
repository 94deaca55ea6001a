// cardbridged's network front: HTTPS (bundled UI, /health, uploads) and WSS (JSON-RPC 2.0) on loopback only.
// Lean on purpose: no Beast or Asio here, so only daemon/net's own files pay for those templates.
#pragma once

#include <openssl/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "cardbridge/daemon/core/config.hpp"
#include "cardbridge/daemon/core/dispatcher.hpp"
#include "cardbridge/daemon/core/rpc.hpp"

namespace cardbridge::net {
class PeerOwnerCheck;  // cardbridge/net/peer_owner.hpp
}  // namespace cardbridge::net

namespace cardbridge::daemon {

/// One attachment upload that passed the network layer's checks (own origin, path, size).
struct UploadRequest {
    std::string flowId;  ///< as in the path (not yet checked against any flow)
    std::string kind;    ///< as in the path: application_form, business_license or handler_id (checked here)
    std::string body;    ///< the file's bytes (≤ ServerOptions::maxUploadBytes)
};

/// The answer: HTTP status and a JSON body ({"kind",…} or {"error":{"reason","message",…}}).
struct UploadResponse {
    unsigned status = 500;
    std::string json;
};

/// Called on a network thread; must not block: complete `done` exactly once, from any thread, later.
/// A `done` dropped without being called, or a handler that throws, answers 500 INTERNAL.
using UploadHandler = std::function<void(UploadRequest, std::function<void(UploadResponse)> done)>;

/// What the server needs besides the dispatcher.
struct ServerOptions {
    DaemonConfig config;                 ///< ports (0 picks a free one: tests), platform origins, limits
    std::filesystem::path certChainPem;  ///< leaf first, then intermediates (PEM)
    std::filesystem::path keyPem;        ///< the leaf's private key (PEM)
    std::filesystem::path webRoot;       ///< bundled web UI folder, served at https://127.0.0.1:PORT/
    /// GET /health body for a request's Origin and Referer ("" when absent); no secrets; may be empty.
    std::function<nlohmann::json(std::string_view origin, std::string_view referer)> health;
    /// Called once on the server's TLS context after the chain and key are loaded (e.g. to install a
    /// certificate callback that serves a renewed leaf to new connections); may be empty.
    std::function<void(SSL_CTX*)> tlsSetup;
    UploadHandler upload;                      ///< PUT /unlock/{flowId}/attachments/{kind}; empty: 404
    std::size_t maxUploadBytes = 1024 * 1024;  ///< larger uploads get 413 ATTACHMENT_TOO_LARGE
    /// Who may connect at all, asked right after accept, before TLS: the peer socket's owner must be the
    /// daemon's own user (or the administrator). Null: net::platformPeerOwnerCheck(). Tests may inject one.
    std::shared_ptr<const net::PeerOwnerCheck> peerCheck;
    /// Tests only: called on the session's strand after each WebSocket frame was handled (answered,
    /// refused or dropped) with each memory region that held the frame (the read buffer's whole storage,
    /// the frame's text copy), so a test can check that no secret is left in them. Empty in production.
    std::function<void(std::string_view region)> frameMemoryProbe;
};

/// Serves HTTPS + WSS on 127.0.0.1 and ::1. One io_context, `threads` threads, a strand per session.
/// Lifetime: the dispatcher must outlive the server; stop and join run() before destroying it.
class Server {
  public:
    /// Loads the TLS chain and key (TLS 1.2+ only). Throws std::runtime_error when they do not load.
    Server(ServerOptions options, Dispatcher& dispatcher);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Binds the first port of config.ports free on both loopbacks (::1 is skipped with a warning when
    /// the host has no IPv6), logs and returns the port.
    /// Call once, before run(). Throws std::runtime_error when no port is free.
    std::uint16_t start();

    /// Serves on the calling thread plus `threads - 1` more until stop(); returns when all have ended.
    void run(unsigned threads = 2);

    /// Stops accepting, closes every connection and makes run() return. Thread-safe, idempotent.
    void stop();

    /// Runs `task` on one of run()'s threads, after the handlers queued before it (the watchdog's proof
    /// that the network threads still turn). Tasks queued after run() returned never run. Thread-safe.
    void post(std::function<void()> task);

    /// The port start() bound (0 before).
    [[nodiscard]] std::uint16_t port() const noexcept;

    /// Delivers notifications to the connected sessions (see NotificationSink). Valid as long as the server.
    NotificationSink& notifications() noexcept;

    /// Number of open WebSocket sessions (for /health and tests). Thread-safe.
    [[nodiscard]] std::size_t sessionCount() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace cardbridge::daemon
