// Listeners on both loopbacks, the session registry, broadcast, and the server's lifetime.
#include "cardbridge/daemon/net/server.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "cardbridge/net/io_threads.hpp"
#include "cardbridge/net/tls_server.hpp"
#include "server_state.hpp"

namespace cardbridge::daemon {

namespace net {

ConnectionSlot::~ConnectionSlot() {
    registry_.release(origin_);
}

std::unique_ptr<ConnectionSlot> SessionRegistry::reserve(const std::string& origin) {
    std::lock_guard lock(mutex_);
    unsigned& count = perOrigin_[origin];
    if (count >= maxPerOrigin_) return nullptr;
    ++count;
    return std::make_unique<ConnectionSlot>(*this, origin);
}

void SessionRegistry::release(const std::string& origin) {
    std::lock_guard lock(mutex_);
    auto it = perOrigin_.find(origin);
    if (it == perOrigin_.end()) return;
    if (--it->second == 0) perOrigin_.erase(it);
}

void SessionRegistry::add(std::uint64_t id, std::weak_ptr<SessionHandle> session) {
    std::lock_guard lock(mutex_);
    sessions_[id] = std::move(session);
}

void SessionRegistry::remove(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    sessions_.erase(id);
}

std::vector<std::shared_ptr<SessionHandle>> SessionRegistry::snapshot() const {
    std::vector<std::shared_ptr<SessionHandle>> alive;
    std::lock_guard lock(mutex_);
    alive.reserve(sessions_.size());
    for (const auto& [id, weak] : sessions_) {
        if (auto session = weak.lock()) alive.push_back(std::move(session));
    }
    return alive;
}

std::size_t SessionRegistry::size() const {
    std::lock_guard lock(mutex_);
    return sessions_.size();
}

namespace {

constexpr std::chrono::seconds STOP_GRACE{1};

// http:// platform origins only with the development switch (config loading refuses them already; this
// holds for configs built in code too).
std::vector<PlatformOrigin> allowedPlatformOrigins(const DaemonConfig& config) {
    std::vector<PlatformOrigin> allowed;
    for (const auto& origin : config.platformOrigins) {
        const auto normalised = normaliseOrigin(origin.origin);
        if (normalised && normalised->starts_with("http://") &&
            !config.development.allowHttpLoopbackOrigins) {
            spdlog::warn("ignoring platform origin '{}': http:// needs development.allowHttpLoopbackOrigins",
                         *normalised);
            continue;
        }
        allowed.push_back(origin);
    }
    return allowed;
}

class Broadcaster final : public NotificationSink {
  public:
    explicit Broadcaster(ServerState& state) : state_(state) {}

    void broadcast(const std::string& method, const nlohmann::json& params, Capability required) override {
        const nlohmann::json message = {{"jsonrpc", "2.0"}, {"method", method}, {"params", params}};
        auto frame = std::make_shared<const std::string>(
            message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        for (const auto& session : state_.sessions.snapshot()) {
            if (session->context().capabilities.has(required)) session->deliver(frame);
        }
    }

  private:
    ServerState& state_;
};

}  // namespace

}  // namespace net

struct Server::Impl {
    Impl(ServerOptions options, Dispatcher& dispatcher)
        : state(std::make_unique<net::ServerState>(std::move(options), dispatcher)), broadcaster(*state) {}

    std::unique_ptr<net::ServerState> state;
    net::Broadcaster broadcaster;
    std::vector<std::shared_ptr<net::Listener>> listeners;  // cardbridge::net's accept loop
    std::atomic<bool> started{false};
};

Server::Server(ServerOptions options, Dispatcher& dispatcher)
    : impl_(std::make_unique<Impl>(std::move(options), dispatcher)) {
    const ServerOptions& loaded = impl_->state->options;
    configureServerTls(impl_->state->tls.native_handle(), loaded.certChainPem, loaded.keyPem);
    impl_->state->peerCheck = loaded.peerCheck ? loaded.peerCheck : net::platformPeerOwnerCheck();
    if (loaded.tlsSetup) loaded.tlsSetup(impl_->state->tls.native_handle());
}

Server::~Server() {
    stop();
    // Destroying the io_context destroys the sessions still parked in its handlers, while the
    // registry they unregister from is still alive (see ServerState).
    impl_->listeners.clear();
    impl_->state.reset();
}

std::uint16_t Server::start() {
    namespace asio = net::asio;
    if (impl_->started.exchange(true)) throw std::logic_error("Server::start() called twice");
    net::ServerState& state = *impl_->state;
    const auto v4 = asio::ip::make_address("127.0.0.1");
    const auto v6 = asio::ip::make_address("::1");
    net::ListenOptions v6Options;
    v6Options.v6Only = true;
    std::string tried;
    for (std::uint16_t wanted : state.options.config.ports) {
        net::error_code ec;
        auto listener4 = net::Listener::open(state.ioc, {v4, wanted}, {}, ec);
        if (ec) {
            spdlog::info("port {} on 127.0.0.1 unavailable: {}", wanted, ec.message());
            tried += " " + std::to_string(wanted);
            continue;
        }
        const std::uint16_t port = listener4->localEndpoint().port();
        auto listener6 = net::Listener::open(state.ioc, {v6, port}, v6Options, ec);
        std::vector<std::shared_ptr<net::Listener>> listeners{std::move(listener4)};
        if (ec == boost::system::errc::address_not_available ||
            ec == asio::error::address_family_not_supported) {
            spdlog::warn("no IPv6 loopback here ({}); serving on 127.0.0.1 only", ec.message());
        } else if (ec) {
            spdlog::info("port {} on ::1 unavailable: {}", port, ec.message());
            tried += " " + std::to_string(wanted);
            continue;
        } else {
            listeners.push_back(std::move(listener6));
        }
        state.port = port;
        state.policy.emplace(net::allowedPlatformOrigins(state.options.config), port);
        state.site.emplace(state.options.webRoot, port, state.options.health);
        for (auto& listener : listeners) {
            listener->start(
                [&state](net::tcp::socket socket) { net::acceptConnection(state, std::move(socket)); });
            impl_->listeners.push_back(std::move(listener));
        }
        spdlog::info("listening on https://127.0.0.1:{}/ and wss://127.0.0.1:{}/{}; serving {} only", port,
                     port, impl_->listeners.size() > 1 ? " (and [::1])" : "", state.peerCheck->servedUser());
        return port;
    }
    throw std::runtime_error("no free port for cardbridged (tried" + tried + ")");
}

void Server::run(unsigned threads) {
    net::runIoThreads(impl_->state->ioc, threads);
}

void Server::stop() {
    net::ServerState& state = *impl_->state;
    if (state.stopping.exchange(true)) return;
    net::asio::post(state.ioc, [this, &state] {
        for (auto& listener : impl_->listeners) listener->stop();
        for (auto& session : state.sessions.snapshot()) session->shutdown();
        // Give close handshakes a moment; connections still in their TLS handshake are just dropped.
        net::stopAfter(state.ioc, net::STOP_GRACE);
    });
}

void Server::post(std::function<void()> task) {
    net::asio::post(impl_->state->ioc, std::move(task));
}

std::uint16_t Server::port() const noexcept {
    return impl_->state->port;
}

NotificationSink& Server::notifications() noexcept {
    return impl_->broadcaster;
}

std::size_t Server::sessionCount() const {
    return impl_->state->sessions.size();
}

}  // namespace cardbridge::daemon
