// The one accept loop (see listener.hpp).
#include "cardbridge/net/listener.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/ip/v6_only.hpp>
#include <chrono>

namespace cardbridge::net {

namespace {

// Long enough for a burst of closing connections to hand file descriptors back, short enough that a
// client barely notices.
constexpr std::chrono::milliseconds ACCEPT_RETRY_DELAY{200};

}  // namespace

Listener::Listener(asio::io_context& ioc, std::string logPrefix)
    : ioc_(ioc),
      acceptor_(asio::make_strand(ioc)),
      retry_(acceptor_.get_executor()),
      logPrefix_(std::move(logPrefix)) {}

Listener::~Listener() = default;

std::shared_ptr<Listener> Listener::open(asio::io_context& ioc, const tcp::endpoint& endpoint,
                                         const ListenOptions& options, error_code& ec) {
    // Not make_shared: the constructor is private.
    std::shared_ptr<Listener> listener(new Listener(ioc, options.logPrefix));
    tcp::acceptor& acceptor = listener->acceptor_;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec && options.v6Only && endpoint.address().is_v6()) acceptor.set_option(asio::ip::v6_only(true), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) listener->endpoint_ = acceptor.local_endpoint(ec);
    if (ec) return nullptr;
    return listener;
}

void Listener::start(OnAccept onAccept) {
    onAccept_ = std::move(onAccept);
    asio::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->accept(); });
}

void Listener::stop() {
    asio::dispatch(acceptor_.get_executor(), [self = shared_from_this()] {
        error_code ignored;
        self->acceptor_.close(ignored);
        self->retry_.cancel();
    });
}

void Listener::accept() {
    // Each connection gets a strand of its own: its handlers never run concurrently, and nothing else
    // needs a lock.
    acceptor_.async_accept(asio::make_strand(ioc_),
                           [self = shared_from_this()](error_code ec, tcp::socket socket) {
                               self->onAccepted(ec, std::move(socket));
                           });
}

void Listener::onAccepted(error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
        // Out of file descriptors and the like: back off instead of spinning.
        spdlog::warn("{}accept failed: {}", logPrefix_, ec.message());
        retry_.expires_after(ACCEPT_RETRY_DELAY);
        retry_.async_wait([self = shared_from_this()](error_code waitError) {
            if (!waitError && self->acceptor_.is_open()) self->accept();
        });
        return;
    }
    // Small TLS records (answers, session tickets) must not wait for the peer's delayed ACK (~40 ms on
    // Linux, up to 200 ms on Windows): every server here answers in a few small writes.
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    onAccept_(std::move(socket));
    accept();
}

}  // namespace cardbridge::net
