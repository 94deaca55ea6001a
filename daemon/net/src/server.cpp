// Listeners on both loopbacks, the session registry, broadcast, and the server's lifetime.
#include "cardbridge/daemon/net/server.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>
#include <thread>

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

constexpr std::chrono::milliseconds ACCEPT_RETRY_DELAY{200};
constexpr std::chrono::seconds STOP_GRACE{1};

// Accepts connections on one address, each onto its own strand.
class Listener : public std::enable_shared_from_this<Listener> {
  public:
    Listener(ServerState& state, tcp::acceptor acceptor)
        : state_(state), acceptor_(std::move(acceptor)), retry_(state.ioc) {}

    void start() { accept(); }

    void stop() {
        error_code ec;
        acceptor_.close(ec);
        retry_.cancel();
    }

  private:
    void accept() {
        acceptor_.async_accept(asio::make_strand(state_.ioc),
                               beast::bind_front_handler(&Listener::onAccept, shared_from_this()));
    }

    void onAccept(error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
        if (ec) {
            // Out of file descriptors and the like: back off instead of spinning.
            spdlog::warn("accept failed: {}", ec.message());
            retry_.expires_after(ACCEPT_RETRY_DELAY);
            retry_.async_wait([self = shared_from_this()](error_code waitError) {
                if (!waitError) self->accept();
            });
            return;
        }
        startHttpSession(state_, std::move(socket));
        accept();
    }

    ServerState& state_;
    tcp::acceptor acceptor_;
    asio::steady_timer retry_;
};

// Opens and binds `address:port`; the error says why not (address_in_use: try the next port).
tcp::acceptor bindAcceptor(asio::io_context& ioc, const asio::ip::address& address, std::uint16_t port,
                           error_code& ec) {
    tcp::acceptor acceptor(ioc);
    const tcp::endpoint endpoint(address, port);
    acceptor.open(endpoint.protocol(), ec);
    if (ec) return acceptor;
    if (address.is_v6()) acceptor.set_option(asio::ip::v6_only(true), ec);
    acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    acceptor.bind(endpoint, ec);
    if (ec) return acceptor;
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
    return acceptor;
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
    std::vector<std::shared_ptr<net::Listener>> listeners;
    std::atomic<bool> started{false};
};

Server::Server(ServerOptions options, Dispatcher& dispatcher)
    : impl_(std::make_unique<Impl>(std::move(options), dispatcher)) {
    const ServerOptions& loaded = impl_->state->options;
    configureServerTls(impl_->state->tls.native_handle(), loaded.certChainPem, loaded.keyPem);
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
    std::string tried;
    for (std::uint16_t wanted : state.options.config.ports) {
        net::error_code ec;
        auto acceptor4 = net::bindAcceptor(state.ioc, v4, wanted, ec);
        if (ec) {
            spdlog::info("port {} on 127.0.0.1 unavailable: {}", wanted, ec.message());
            tried += " " + std::to_string(wanted);
            continue;
        }
        const std::uint16_t port = acceptor4.local_endpoint().port();
        auto acceptor6 = net::bindAcceptor(state.ioc, v6, port, ec);
        std::vector<net::tcp::acceptor> acceptors;
        acceptors.push_back(std::move(acceptor4));
        if (ec == boost::system::errc::address_not_available ||
            ec == asio::error::address_family_not_supported) {
            spdlog::warn("no IPv6 loopback here ({}); serving on 127.0.0.1 only", ec.message());
        } else if (ec) {
            spdlog::info("port {} on ::1 unavailable: {}", port, ec.message());
            tried += " " + std::to_string(wanted);
            continue;
        } else {
            acceptors.push_back(std::move(acceptor6));
        }
        state.port = port;
        state.policy.emplace(state.options.config.platformOrigins, port);
        state.site.emplace(state.options.webRoot, port, state.options.health);
        for (auto& acceptor : acceptors) {
            impl_->listeners.push_back(std::make_shared<net::Listener>(state, std::move(acceptor)));
            impl_->listeners.back()->start();
        }
        spdlog::info("listening on https://127.0.0.1:{}/ and wss://127.0.0.1:{}/{}", port, port,
                     acceptors.size() > 1 ? " (and [::1])" : "");
        return port;
    }
    throw std::runtime_error("no free port for cardbridged (tried" + tried + ")");
}

void Server::run(unsigned threads) {
    auto& ioc = impl_->state->ioc;
    auto serve = [&ioc] {
        for (;;) {
            try {
                ioc.run();
                return;
            } catch (const std::exception& e) {
                // Handlers do not throw by design; if one does, keep serving the other clients.
                spdlog::error("network thread: {}", e.what());
            }
        }
    };
    std::vector<std::thread> extra;
    for (unsigned i = 1; i < threads; ++i) extra.emplace_back(serve);
    serve();
    for (auto& thread : extra) thread.join();
}

void Server::stop() {
    net::ServerState& state = *impl_->state;
    if (state.stopping.exchange(true)) return;
    net::asio::post(state.ioc, [this, &state] {
        for (auto& listener : impl_->listeners) listener->stop();
        for (auto& session : state.sessions.snapshot()) session->shutdown();
        // Give close handshakes a moment; connections still in their TLS handshake are just dropped.
        auto timer = std::make_shared<net::asio::steady_timer>(state.ioc, net::STOP_GRACE);
        timer->async_wait([timer, &state](net::error_code) { state.ioc.stop(); });
    });
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
