// What every session of one server shares. Private to daemon/net.
#pragma once

#include <algorithm>
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
#include "cardbridge/net/peer_owner.hpp"
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

/// A count with a ceiling, shared by threads (open connections, connections in their handshake).
class Gauge {
  public:
    /// Holds one unit of the gauge; gives it back when destroyed.
    class Slot {
      public:
        explicit Slot(Gauge& gauge) noexcept : gauge_(gauge) {}
        ~Slot() { gauge_.value_.fetch_sub(1); }
        Slot(const Slot&) = delete;
        Slot& operator=(const Slot&) = delete;

      private:
        Gauge& gauge_;
    };

    explicit Gauge(unsigned max) : max_(max) {}
    /// One more unit; null when the gauge is at its ceiling.
    std::unique_ptr<Slot> take() {
        unsigned now = value_.load();
        do {
            if (now >= max_) return nullptr;
        } while (!value_.compare_exchange_weak(now, now + 1));
        return std::make_unique<Slot>(*this);
    }
    [[nodiscard]] unsigned value() const noexcept { return value_.load(); }
    [[nodiscard]] unsigned max() const noexcept { return max_; }

  private:
    unsigned max_;
    std::atomic<unsigned> value_{0};
};

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

    /// A slot for one more connection from `origin` (pass the normalised origin: the count is per origin,
    /// not per spelling of it); null when it already has the maximum.
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
          sessions(options.config.limits.maxConnectionsPerOrigin),
          connections(std::max(1U, options.config.limits.maxConnections)),
          handshakes(std::max(1U, options.config.limits.maxHandshakes)) {}

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
    Gauge connections;  // every open connection, HTTP or WebSocket
    Gauge handshakes;   // connections before their first request (HTTP) or WebSocket accept
    std::shared_ptr<const cardbridge::net::PeerOwnerCheck> peerCheck;  // set by the Server's constructor
    std::atomic<std::uint64_t> nextConnectionId{1};
    std::atomic<bool> stopping{false};
    asio::io_context ioc;
};

/// What a connection holds while it is open: its unit of the global count and, until its first request
/// (or WebSocket accept), its unit of the handshake count.
struct ConnectionUnits {
    std::unique_ptr<Gauge::Slot> open;
    std::unique_ptr<Gauge::Slot> handshake;
};

/// Takes one accepted TCP connection: checks who owns the peer socket and the connection caps, refusing
/// (closing, before TLS) with a logged reason, else serves it: TLS, HTTP requests, WebSocket upgrade
/// (http_session.cpp).
void acceptConnection(ServerState& state, tcp::socket socket);

/// Takes over an upgraded connection whose Origin was granted `context` (websocket_session.cpp).
/// The WebSocket handshake must finish by `deadline`.
void startWebsocketSession(ServerState& state, TlsStream stream, Request request, CallContext context,
                           std::unique_ptr<ConnectionSlot> slot, ConnectionUnits units,
                           std::chrono::steady_clock::time_point deadline);

}  // namespace cardbridge::daemon::net
