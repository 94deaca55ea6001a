// Listener and one session per connection (the Beast server-flex shape): TLS handshake, header read with
// a deadline, the body limit decided from the header (413 before the body is read), then the pure handler
// on a worker pool and the response written back on the connection's strand — held there on a timer until
// its notBefore (uniform timing), so no worker waits. Errors are error_codes.
#include "cardbridge/authority/http/server.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <limits>
#include <optional>
#include <stdexcept>

#include "beast_common.hpp"
#include "cardbridge/net/io_threads.hpp"
#include "cardbridge/net/tls_server.hpp"

namespace cardbridge::authority::http {

namespace {

// asio, beast, ssl, tcp, error_code, TlsStream, Listener. Beast's `http` is spelled bhttp here: plain
// `http` is this namespace.
using namespace cardbridge::net;
namespace bhttp = cardbridge::net::http;
using Response = bhttp::response<bhttp::string_body>;

constexpr std::chrono::seconds SHUTDOWN_TIMEOUT{2};
// Between stop() and the io_context's end: long enough for responses being written to finish.
constexpr std::chrono::milliseconds STOP_GRACE{300};

struct State {
    State(HttpsServerOptions opts, const RequestHandler& h)
        : options(std::move(opts)), handler(h), workers(std::max(1U, options.workers)) {}
    HttpsServerOptions options;
    const RequestHandler& handler;
    ssl::context tls{ssl::context::tls_server};
    asio::thread_pool workers;
    std::atomic<bool> stopping{false};
    std::atomic<unsigned> connections{0};  // sessions alive
    std::atomic<unsigned> pending{0};      // requests handed to the workers, not yet answered
    asio::io_context ioc;
};

// Counts a session while it lives (the connection cap).
struct ConnectionSlot {
    explicit ConnectionSlot(State& s) : state(s) {}
    ~ConnectionSlot() { state.connections.fetch_sub(1); }
    ConnectionSlot(const ConnectionSlot&) = delete;
    ConnectionSlot& operator=(const ConnectionSlot&) = delete;
    State& state;
};

Response toBeast(const HttpResponse& reply, unsigned version, bool keepAlive, bool head) {
    Response response{static_cast<bhttp::status>(reply.status), version};
    response.set(bhttp::field::server, "cardbridge-authority");
    for (const auto& [name, value] : reply.headers) response.insert(name, value);
    response.body() = head ? std::string() : reply.body;
    response.content_length(reply.body.size());
    response.keep_alive(keepAlive);
    return response;
}

class Session : public std::enable_shared_from_this<Session> {
  public:
    Session(State& state, tcp::socket socket)
        : state_(state), slot_(state), stream_(std::move(socket), state.tls), hold_(stream_.get_executor()) {
        error_code ec;
        auto remote = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
        if (!ec) peer_ = remote.address().to_string();
    }

    void run() {
        asio::dispatch(stream_.get_executor(),
                       beast::bind_front_handler(&Session::onRun, shared_from_this()));
    }

  private:
    void onRun() {
        beast::get_lowest_layer(stream_).expires_after(state_.options.handshakeTimeout);
        stream_.async_handshake(ssl::stream_base::server,
                                beast::bind_front_handler(&Session::onHandshake, shared_from_this()));
    }

    void onHandshake(error_code ec) {
        if (ec) {
            spdlog::info("authority: TLS handshake from {} failed: {}", peer_, ec.message());
            return;
        }
        readHeader(state_.options.handshakeTimeout);
    }

    void readHeader(std::chrono::seconds timeout) {
        parser_.emplace();
        parser_->header_limit(state_.options.maxHeaderBytes);
        // Beast's default (1 MB) would fail the header read itself; the real limit is set in onHeader.
        parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
        beast::get_lowest_layer(stream_).expires_after(timeout);
        bhttp::async_read_header(stream_, buffer_, *parser_,
                                 beast::bind_front_handler(&Session::onHeader, shared_from_this()));
    }

    void onHeader(error_code ec, std::size_t) {
        if (ec == bhttp::error::end_of_stream) return shutdown();
        if (ec) {
            spdlog::debug("authority: header read from {} ended: {}", peer_, ec.message());
            return;
        }
        const auto& head = parser_->get();
        method_ = std::string(head.method_string());
        target_ = std::string(head.target());
        // Who may send a body is decided from the header: a wrong API token is answered now, and the
        // connection closes without a byte of the body read.
        if (auto refusal = state_.handler.admit(method_, target_, head[bhttp::field::authorization])) {
            spdlog::info("authority: {} {} from {}: refused at the header ({})", method_.substr(0, 8),
                         target_.substr(0, 100), peer_, refusal->status);
            return write(toBeast(*refusal, head.version(), false, false));
        }
        const std::size_t limit = state_.handler.bodyLimit(method_, target_);
        const auto length = parser_->content_length();
        if (length && *length > limit) return tooLarge();  // refused before a byte of the body is read
        parser_->body_limit(limit);
        if (equalsIgnoreCase(head[bhttp::field::expect], "100-continue")) {
            // "Expect: 100-continue": the client waits for our go before sending the body.
            auto proceed = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_,
                                                                                head.version());
            bhttp::async_write(stream_, *proceed,
                               [self = shared_from_this(), proceed](error_code writeError, std::size_t) {
                                   if (!writeError) self->readBody();
                               });
            return;
        }
        readBody();
    }

    void readBody() {
        beast::get_lowest_layer(stream_).expires_after(state_.options.bodyTimeout);
        bhttp::async_read(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&Session::onBody, shared_from_this()));
    }

    void onBody(error_code ec, std::size_t) {
        if (ec == bhttp::error::body_limit) return tooLarge();
        if (ec) {
            spdlog::debug("authority: body read from {} ended: {}", peer_, ec.message());
            return;
        }
        auto message = parser_->release();
        auto request = std::make_shared<HttpRequest>();
        request->method = method_;
        request->target = target_;
        for (const auto& field : message) {
            request->headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        }
        request->body = std::move(message.body());
        std::vector<std::string> forwardedFor;
        for (const auto& field : message) {
            if (equalsIgnoreCase(field.name_string(), "X-Forwarded-For"))
                forwardedFor.emplace_back(field.value());
        }
        request->clientAddress = clientAddressFor(peer_, forwardedFor, state_.options.trustedProxies);
        request->receivedAt = std::chrono::steady_clock::now();
        const unsigned version = message.version();
        const bool keepAlive = message.keep_alive();
        const bool head = message.method() == bhttp::verb::head;
        // Storage, scrypt and SMS calls block: run them off the network threads, answer on the strand. The
        // workers' queue is bounded: past maxPendingRequests the caller is told to come back.
        if (state_.pending.fetch_add(1) >= state_.options.maxPendingRequests) {
            state_.pending.fetch_sub(1);
            spdlog::warn("authority: {} pending requests: {} {} from {} answered 503",
                         state_.options.maxPendingRequests, method_.substr(0, 8), target_.substr(0, 100),
                         peer_);
            return answer(state_.handler.overloaded(method_, target_), version, keepAlive, head);
        }
        asio::post(state_.workers, [self = shared_from_this(), request, version, keepAlive, head] {
            HttpResponse reply = self->state_.handler.handle(*request);
            self->state_.pending.fetch_sub(1);
            asio::post(self->stream_.get_executor(),
                       [self, reply = std::move(reply), version, keepAlive, head] {
                           self->answer(reply, version, keepAlive, head);
                       });
        });
    }

    // On the strand. A response with a notBefore still ahead waits on this connection's timer (the
    // create call's uniform timing): the worker that made it is already free for other requests.
    void answer(const HttpResponse& reply, unsigned version, bool keepAlive, bool head) {
        Response response = toBeast(reply, version, keepAlive, head);
        if (!reply.notBefore || *reply.notBefore <= std::chrono::steady_clock::now()) {
            return write(std::move(response));
        }
        held_ = std::make_shared<Response>(std::move(response));
        hold_.expires_at(*reply.notBefore);
        hold_.async_wait([self = shared_from_this()](error_code ec) {
            auto ready = std::move(self->held_);
            if (ec || !ready) return;  // cancelled: the server is stopping
            self->write(std::move(*ready));
        });
    }

    void tooLarge() {
        const HttpResponse reply = state_.handler.bodyTooLarge(method_, target_);
        spdlog::info("authority: {} {} from {}: body over the limit", method_.substr(0, 8),
                     target_.substr(0, 100), peer_);
        write(toBeast(reply, 11, false, false));
    }

    void write(Response response) {
        response_ = std::make_shared<Response>(std::move(response));
        beast::get_lowest_layer(stream_).expires_after(state_.options.bodyTimeout);
        bhttp::async_write(stream_, *response_,
                           beast::bind_front_handler(&Session::onWrite, shared_from_this()));
    }

    void onWrite(error_code ec, std::size_t) {
        if (ec) {
            spdlog::debug("authority: write to {} failed: {}", peer_, ec.message());
            return;
        }
        const bool keepAlive = response_->keep_alive();
        response_.reset();
        if (!keepAlive || state_.stopping) return shutdown();
        readHeader(state_.options.idleTimeout);
    }

    void shutdown() {
        beast::get_lowest_layer(stream_).expires_after(SHUTDOWN_TIMEOUT);
        stream_.async_shutdown([self = shared_from_this()](error_code) {});
    }

    State& state_;
    ConnectionSlot slot_;  // counted by the listener before construction, released here
    TlsStream stream_;
    std::string peer_ = "?";
    std::string method_;
    std::string target_;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    std::shared_ptr<Response> response_;
    asio::steady_timer hold_;         // holds a response until its notBefore; on the strand
    std::shared_ptr<Response> held_;  // the response hold_ is holding
};

}  // namespace

struct HttpsServer::Impl {
    Impl(HttpsServerOptions options, const RequestHandler& handler)
        : state(std::make_unique<State>(std::move(options), handler)) {}
    std::unique_ptr<State> state;
    std::shared_ptr<Listener> listener;
    std::uint16_t port = 0;
};

HttpsServer::HttpsServer(HttpsServerOptions options, const RequestHandler& handler)
    : impl_(std::make_unique<Impl>(std::move(options), handler)) {
    const HttpsServerOptions& loaded = impl_->state->options;
    configureServerTls(impl_->state->tls.native_handle(), loaded.certChainPem, loaded.keyPem);
}

HttpsServer::~HttpsServer() {
    stop();
    impl_->state->workers.join();
    impl_->listener.reset();
    impl_->state.reset();
}

std::uint16_t HttpsServer::start() {
    State& state = *impl_->state;
    error_code ec;
    const auto address = asio::ip::make_address(state.options.address, ec);
    if (ec) throw std::runtime_error("bad listen address '" + state.options.address + "': " + ec.message());
    ListenOptions listenOptions;
    listenOptions.logPrefix = "authority: ";
    impl_->listener = Listener::open(state.ioc, {address, state.options.port}, listenOptions, ec);
    if (ec) {
        throw std::runtime_error("cannot listen on " + state.options.address + ":" +
                                 std::to_string(state.options.port) + ": " + ec.message());
    }
    impl_->port = impl_->listener->localEndpoint().port();
    impl_->listener->start([&state](tcp::socket socket) {
        if (state.connections.fetch_add(1) >= state.options.maxConnections) {
            state.connections.fetch_sub(1);
            error_code ignored;
            const auto peer = socket.remote_endpoint(ignored);
            spdlog::warn("authority: {} connections open: closing a new one from {}",
                         state.options.maxConnections, peer.address().to_string());
            socket.close(ignored);
            return;
        }
        std::make_shared<Session>(state, std::move(socket))->run();
    });
    return impl_->port;
}

void HttpsServer::run(unsigned threads) {
    runIoThreads(impl_->state->ioc, threads, "authority: ");
}

void HttpsServer::stop() {
    State& state = *impl_->state;
    if (state.stopping.exchange(true)) return;
    asio::post(state.ioc, [this, &state] {
        if (impl_->listener) impl_->listener->stop();
        stopAfter(state.ioc, STOP_GRACE);
    });
}

std::uint16_t HttpsServer::port() const noexcept {
    return impl_->port;
}

}  // namespace cardbridge::authority::http
