// What every session of one server shares. Private to daemon/net.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cardbridge/daemon/core/dispatcher.hpp"
#include "cardbridge/daemon/core/origin_policy.hpp"
#include "cardbridge/daemon/net/server.hpp"
#include "cardbridge/daemon/net/static_site.hpp"
#include "net_common.hpp"

namespace cardbridge::daemon::net {

/// A live WebSocket session as the rest of the server sees it (no Beast types).
class SessionHandle {
  public:
    virtual ~SessionHandle() = default;
    /// Queues a frame on the session's strand; a session whose queue overflows closes. Thread-safe.
    virtual void deliver(std::shared_ptr<const std::string> frame) = 0;
    /// Starts a close (going away). Thread-safe.
    virtual void shutdown() = 0;
    /// Fixed at the handshake; safe to read from any thread.
    [[nodiscard]] virtual const CallContext& context() const noexcept = 0;
};

class SessionRegistry;

/// One connection counted against its origin; releases the count when destroyed.
class ConnectionSlot {
  public:
    ConnectionSlot(SessionRegistry& registry, std::string origin)
        : registry_(registry), origin_(std::move(origin)) {}
    ~ConnectionSlot();
    ConnectionSlot(const ConnectionSlot&) = delete;
    ConnectionSlot& operator=(const ConnectionSlot&) = delete;

  private:
    SessionRegistry& registry_;
    std::string origin_;
};

/// Live sessions and connections per origin. Thread-safe.
class SessionRegistry {
  public:
    explicit SessionRegistry(unsigned maxPerOrigin) : maxPerOrigin_(maxPerOrigin) {}

    /// A slot for one more connection from `origin`; null when it already has the maximum.
    std::unique_ptr<ConnectionSlot> reserve(const std::string& origin);
    void add(std::uint64_t id, std::weak_ptr<SessionHandle> session);
    void remove(std::uint64_t id);
    /// The sessions alive now.
    std::vector<std::shared_ptr<SessionHandle>> snapshot() const;
    std::size_t size() const;

  private:
    friend class ConnectionSlot;
    void release(const std::string& origin);

    unsigned maxPerOrigin_;
    mutable std::mutex mutex_;
    std::map<std::string, unsigned> perOrigin_;
    std::map<std::uint64_t, std::weak_ptr<SessionHandle>> sessions_;
};

/// Shared by the listeners and sessions of one Server; sessions keep a reference, which is safe because
/// they live in `ioc`'s handlers and `ioc` is declared last, so it is destroyed (with them) first.
struct ServerState {
    ServerState(ServerOptions opts, Dispatcher& disp)
        : options(std::move(opts)),
          dispatcher(disp),
          sessions(options.config.limits.maxConnectionsPerOrigin) {}

    [[nodiscard]] std::chrono::seconds handshakeTimeout() const {
        return std::chrono::seconds(std::max(1U, options.config.limits.handshakeTimeoutSeconds));
    }

    ServerOptions options;
    Dispatcher& dispatcher;
    ssl::context tls{ssl::context::tls_server};
    std::uint16_t port = 0;
    std::optional<OriginPolicy> policy;  // set by start(), read-only afterwards
    std::optional<StaticSite> site;      // set by start(), read-only afterwards
    SessionRegistry sessions;
    std::atomic<std::uint64_t> nextConnectionId{1};
    std::atomic<bool> stopping{false};
    asio::io_context ioc;
};

/// Serves one accepted TCP connection: TLS, HTTP requests, WebSocket upgrade (http_session.cpp).
void startHttpSession(ServerState& state, tcp::socket socket);

/// Takes over an upgraded connection whose Origin was granted `context` (websocket_session.cpp).
/// The WebSocket handshake must finish by `deadline`.
void startWebsocketSession(ServerState& state, TlsStream stream, Request request, CallContext context,
                           std::unique_ptr<ConnectionSlot> slot,
                           std::chrono::steady_clock::time_point deadline);

}  // namespace cardbridge::daemon::net
