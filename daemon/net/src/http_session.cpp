// One TCP connection before it becomes a WebSocket: TLS handshake, HTTP requests (static UI, /health),
// and the checks that decide whether an upgrade is allowed. Every read has a deadline; the first
// request must arrive within the handshake timeout counted from accept (slowloris).
#include <spdlog/spdlog.h>

#include "server_state.hpp"

namespace cardbridge::daemon::net {

namespace {

constexpr std::uint32_t MAX_HEADER_BYTES = 8 * 1024;
constexpr std::uint64_t MAX_BODY_BYTES = 16 * 1024;  // the UI's GETs carry no body
constexpr std::chrono::seconds SHUTDOWN_TIMEOUT{2};

class HttpSession : public std::enable_shared_from_this<HttpSession> {
  public:
    HttpSession(ServerState& state, tcp::socket socket)
        : state_(state), stream_(std::move(socket), state.tls), id_(state.nextConnectionId++) {
        error_code ec;
        beast::get_lowest_layer(stream_).socket().set_option(tcp::no_delay(true), ec);
        auto remote = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
        if (!ec) peer_ = remote.address().to_string() + ":" + std::to_string(remote.port());
    }

    void run() {
        // The stream's executor is the connection's strand (the listener accepted onto one).
        asio::dispatch(stream_.get_executor(),
                       beast::bind_front_handler(&HttpSession::onRun, shared_from_this()));
    }

  private:
    void onRun() {
        deadline_ = std::chrono::steady_clock::now() + state_.handshakeTimeout();
        beast::get_lowest_layer(stream_).expires_at(deadline_);
        stream_.async_handshake(ssl::stream_base::server,
                                beast::bind_front_handler(&HttpSession::onHandshake, shared_from_this()));
    }

    void onHandshake(error_code ec) {
        if (ec) {
            // Plain HTTP on the TLS port, an old TLS version, a client that gave up: log and drop.
            spdlog::info("connection {} from {}: TLS handshake failed: {}", id_, peer_, ec.message());
            return;
        }
        readRequest();
    }

    void readRequest() {
        parser_.emplace();
        parser_->header_limit(MAX_HEADER_BYTES);
        parser_->body_limit(MAX_BODY_BYTES);
        beast::get_lowest_layer(stream_).expires_at(deadline_);
        http::async_read(stream_, buffer_, *parser_,
                         beast::bind_front_handler(&HttpSession::onRead, shared_from_this()));
    }

    void onRead(error_code ec, std::size_t /*bytes*/) {
        if (ec == http::error::end_of_stream) return shutdown();
        if (ec) {
            spdlog::debug("connection {}: HTTP read ended: {}", id_, ec.message());
            return;  // timeout, reset, garbage: the socket closes with this session
        }
        Request request = parser_->release();
        const OriginPolicy& policy = *state_.policy;
        const std::string host(request[http::field::host]);
        if (!policy.hostAllowed(host)) {
            spdlog::warn("connection {} from {}: refused: Host '{:.100}' is not this daemon (DNS rebinding?)",
                         id_, peer_, host);
            return refuse(request, http::status::forbidden);
        }
        if (websocket::is_upgrade(request)) return upgrade(std::move(request));

        const HttpReply reply = state_.site->handle(request.method_string(), request.target());
        http::response<http::string_body> response{static_cast<http::status>(reply.status),
                                                   request.version()};
        response.set(http::field::server, "cardbridge");
        for (const auto& [name, value] : reply.headers) response.set(name, value);
        response.body() = reply.body;
        response.content_length(reply.contentLength);
        response.keep_alive(request.keep_alive());
        write(std::move(response));
    }

    void upgrade(Request request) {
        const std::string origin(request[http::field::origin]);
        auto grant = state_.policy->grantFor(origin);
        if (!grant) {
            spdlog::warn("connection {} from {}: refused WebSocket: Origin '{:.100}' is not allowed", id_,
                         peer_, origin.empty() ? std::string("(none)") : origin);
            return refuse(request, http::status::forbidden);
        }
        if (request.target() != "/") {
            spdlog::warn("connection {}: refused WebSocket on target other than /", id_);
            return refuse(request, http::status::not_found);
        }
        if (state_.stopping) return refuse(request, http::status::service_unavailable);
        auto slot = state_.sessions.reserve(origin);
        if (!slot) {
            spdlog::warn("connection {}: refused WebSocket: origin '{}' has too many connections", id_,
                         origin);
            return refuse(request, http::status::too_many_requests);
        }
        CallContext context;
        context.connectionId = id_;
        context.origin = origin;
        context.ownOrigin = grant->ownOrigin;
        context.capabilities = grant->capabilities;
        startWebsocketSession(state_, std::move(stream_), std::move(request), std::move(context),
                              std::move(slot), deadline_);
    }

    // Refusals are answered without any work and close the connection.
    void refuse(const Request& request, http::status status) {
        http::response<http::string_body> response{status, request.version()};
        response.set(http::field::server, "cardbridge");
        response.set(http::field::content_type, "text/plain; charset=utf-8");
        response.body() = std::string(http::obsolete_reason(status)) + "\n";
        response.prepare_payload();
        response.keep_alive(false);
        write(std::move(response));
    }

    void write(http::response<http::string_body> response) {
        response_ = std::make_shared<http::response<http::string_body>>(std::move(response));
        beast::get_lowest_layer(stream_).expires_after(state_.handshakeTimeout());
        http::async_write(stream_, *response_,
                          beast::bind_front_handler(&HttpSession::onWrite, shared_from_this()));
    }

    void onWrite(error_code ec, std::size_t /*bytes*/) {
        if (ec) {
            spdlog::debug("connection {}: HTTP write failed: {}", id_, ec.message());
            return;
        }
        const bool keepAlive = response_->keep_alive();
        response_.reset();
        if (!keepAlive) return shutdown();
        // Each further request on a kept-alive connection gets its own deadline.
        deadline_ = std::chrono::steady_clock::now() + state_.handshakeTimeout();
        readRequest();
    }

    void shutdown() {
        beast::get_lowest_layer(stream_).expires_after(SHUTDOWN_TIMEOUT);
        stream_.async_shutdown([self = shared_from_this()](error_code) {});
    }

    ServerState& state_;
    TlsStream stream_;
    std::uint64_t id_;
    std::string peer_ = "?";
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::shared_ptr<http::response<http::string_body>> response_;
    std::chrono::steady_clock::time_point deadline_;
};

}  // namespace

void startHttpSession(ServerState& state, tcp::socket socket) {
    std::make_shared<HttpSession>(state, std::move(socket))->run();
}

}  // namespace cardbridge::daemon::net
