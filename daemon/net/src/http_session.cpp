// One TCP connection before it becomes a WebSocket: TLS handshake, HTTP requests (static UI, /health,
// attachment uploads), and the checks that decide whether an upgrade is allowed. Every read has a
// deadline; the first request must arrive within the handshake timeout counted from accept (slowloris).
// The header is read on its own first: it decides the body's limit and deadline (an upload may carry
// 1 MiB, everything else 16 KiB), and a refused upload is answered before any body byte is read.
#include <spdlog/spdlog.h>

#include <atomic>
#include <variant>

#include "cardbridge/daemon/net/upload_route.hpp"
#include "server_state.hpp"

namespace cardbridge::daemon::net {

namespace {

constexpr std::uint32_t MAX_HEADER_BYTES = 8 * 1024;
constexpr std::uint64_t MAX_BODY_BYTES = 16 * 1024;  // the UI's GETs carry no body
constexpr std::chrono::seconds SHUTDOWN_TIMEOUT{2};
// Generous for 1 MiB from the same machine, short enough that a peer trickling bytes is cut off.
constexpr std::chrono::seconds UPLOAD_BODY_TIMEOUT{60};
// A safety net only: the upload handler answers within its own authority timeouts, so an answer this
// late means it lost `done`; the browser gets a 500 instead of waiting forever.
constexpr std::chrono::minutes UPLOAD_ANSWER_TIMEOUT{5};

class HttpSession : public std::enable_shared_from_this<HttpSession> {
  public:
    HttpSession(ServerState& state, tcp::socket socket, std::uint64_t id, ConnectionUnits units)
        : state_(state), stream_(std::move(socket), state.tls), id_(id), units_(std::move(units)) {
        error_code ec;  // TCP_NODELAY is set by the listener for every accepted socket
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
        // No body limit while the header is read: Beast would refuse a large Content-Length with a bare
        // read error before the route could answer it. onHeader sets the route's limit.
        parser_->body_limit(boost::none);
        beast::get_lowest_layer(stream_).expires_at(deadline_);
        http::async_read_header(stream_, buffer_, *parser_,
                                beast::bind_front_handler(&HttpSession::onHeader, shared_from_this()));
    }

    void onHeader(error_code ec, std::size_t /*bytes*/) {
        if (ec == http::error::end_of_stream) return shutdown();
        if (ec) {
            spdlog::debug("connection {}: HTTP read ended: {}", id_, ec.message());
            return;  // timeout, reset, garbage: the socket closes with this session
        }
        const auto& header = parser_->get();
        const std::string host(header[http::field::host]);
        if (!state_.policy->hostAllowed(host)) {
            spdlog::warn("connection {} from {}: refused: Host '{:.100}' is not this daemon (DNS rebinding?)",
                         id_, peer_, host);
            return refuse(header.version(), http::status::forbidden);
        }
        if (isUploadRoute(header.target()) && !websocket::is_upgrade(header)) return beginUpload();
        const auto length = parser_->content_length();
        if (length && *length > MAX_BODY_BYTES)
            return refuse(header.version(), http::status::payload_too_large);
        parser_->body_limit(MAX_BODY_BYTES);  // also bounds a chunked body
        beast::get_lowest_layer(stream_).expires_at(deadline_);
        http::async_read(stream_, buffer_, *parser_,
                         beast::bind_front_handler(&HttpSession::onRead, shared_from_this()));
    }

    void onRead(error_code ec, std::size_t /*bytes*/) {
        if (ec) {
            spdlog::debug("connection {}: HTTP read ended: {}", id_, ec.message());
            return;
        }
        Request request = parser_->release();
        if (websocket::is_upgrade(request)) return upgrade(std::move(request));
        units_.handshake.reset();  // through TLS and a whole request: no longer half-open

        const HttpReply reply =
            state_.site->handle(request.method_string(), request.target(), request[http::field::origin],
                                request[http::field::referer]);
        http::response<http::string_body> response{static_cast<http::status>(reply.status),
                                                   request.version()};
        response.set(http::field::server, "cardbridge");
        for (const auto& [name, value] : reply.headers) response.set(name, value);
        response.body() = reply.body;
        response.content_length(reply.contentLength);
        response.keep_alive(request.keep_alive());
        write(std::move(response));
    }

    // PUT /unlock/{flowId}/attachments/{kind}: every check the header allows, then (100 Continue and)
    // the body, then the handler. A refusal closes the connection: the body, if any, is left unread.
    void beginUpload() {
        units_.handshake.reset();  // the body has deadlines of its own
        const auto& header = parser_->get();
        const std::string origin(header[http::field::origin]);
        const auto grant = state_.policy->grantFor(origin);
        const auto length = parser_->content_length();
        UploadHeader check;
        check.method = header.method_string();
        check.target = header.target();
        // A platform origin is refused even with allowSecrets: only the bundled wizard uploads.
        check.ownOrigin = grant && grant->ownOrigin;
        if (length) check.contentLength = *length;
        check.handlerPresent = static_cast<bool>(state_.options.upload);
        check.maxBytes = state_.options.maxUploadBytes;
        auto decision = checkUploadHeader(check);
        upload_ = {};
        uploadVersion_ = header.version();
        const std::string declared = length ? std::to_string(*length) + " bytes" : "chunked or empty";
        if (auto* refused = std::get_if<UploadRefusal>(&decision)) {
            if (auto target = parseUploadTarget(header.target())) upload_ = std::move(*target);
            const std::string why = refused->status == 403 ? "Origin '" + origin.substr(0, 100) + "'" : "";
            logUpload(declared, refused->status, why);
            return answerUpload(refused->status, std::move(refused->json), refused->allowPut, false);
        }
        upload_ = std::get<UploadTarget>(std::move(decision));
        uploadKeepAlive_ = header.keep_alive();
        // Bounds a chunked body the same way (and a Content-Length one, already checked above).
        parser_->body_limit(state_.options.maxUploadBytes);
        if (beast::iequals(header[http::field::expect], "100-continue")) return sendContinue();
        readUploadBody();
    }

    void sendContinue() {
        continue_ =
            std::make_shared<http::response<http::empty_body>>(http::status::continue_, uploadVersion_);
        beast::get_lowest_layer(stream_).expires_after(state_.handshakeTimeout());
        http::async_write(stream_, *continue_, [self = shared_from_this()](error_code ec, std::size_t) {
            self->continue_.reset();
            if (ec) {
                spdlog::debug("connection {}: writing 100 Continue failed: {}", self->id_, ec.message());
                return;
            }
            self->readUploadBody();
        });
    }

    void readUploadBody() {
        beast::get_lowest_layer(stream_).expires_after(UPLOAD_BODY_TIMEOUT);
        http::async_read(stream_, buffer_, *parser_,
                         beast::bind_front_handler(&HttpSession::onUploadBody, shared_from_this()));
    }

    void onUploadBody(error_code ec, std::size_t /*bytes*/) {
        if (ec == http::error::body_limit) {
            UploadRefusal refused = uploadTooLarge(state_.options.maxUploadBytes);
            logUpload("over the limit (chunked)", refused.status);
            return answerUpload(refused.status, std::move(refused.json), false, false);
        }
        if (ec) {
            spdlog::info("connection {}: upload {} {}: body read ended: {}", id_, shortFlowId(upload_.flowId),
                         upload_.kind, ec.message());
            return;
        }
        Request request = parser_->release();
        uploadKeepAlive_ = request.keep_alive();
        uploadBytes_ = request.body().size();
        awaitingAnswer_ = true;
        answerTimer_.expires_after(UPLOAD_ANSWER_TIMEOUT);
        answerTimer_.async_wait(beast::bind_front_handler(&HttpSession::onAnswerTimeout, shared_from_this()));
        auto completion = std::make_shared<UploadCompletion>(weak_from_this());
        UploadRequest upload{upload_.flowId, upload_.kind, std::move(request.body())};
        try {
            state_.options.upload(std::move(upload), [completion](UploadResponse response) {
                completion->complete(std::move(response));
            });
        } catch (const std::exception& e) {
            spdlog::error("connection {}: upload handler threw: {}", id_, e.what());
            completion->fail();
        } catch (...) {
            spdlog::error("connection {}: upload handler threw a non-exception", id_);
            completion->fail();
        }
    }

    // Hands the upload handler's answer back to the session's strand, once, from any thread. One
    // dropped unanswered answers 500 at once: a handler bug must not leave the browser waiting.
    class UploadCompletion {
      public:
        explicit UploadCompletion(std::weak_ptr<HttpSession> session) : session_(std::move(session)) {}
        ~UploadCompletion() {
            if (!answered_.exchange(true)) {
                spdlog::error("upload handler dropped its completion without answering");
                post(std::nullopt);
            }
        }
        UploadCompletion(const UploadCompletion&) = delete;
        UploadCompletion& operator=(const UploadCompletion&) = delete;

        void complete(UploadResponse response) {
            if (answered_.exchange(true)) {
                spdlog::error("upload handler completed twice; the second answer is dropped");
                return;
            }
            post(std::move(response));
        }

        void fail() {
            if (!answered_.exchange(true)) post(std::nullopt);
        }

      private:
        // nullopt: answer 500 INTERNAL.
        void post(std::optional<UploadResponse> response) noexcept {
            try {
                if (auto session = session_.lock()) {
                    asio::post(session->stream_.get_executor(),
                               [session, response = std::move(response)]() mutable {
                                   session->onUploadAnswered(std::move(response));
                               });
                }
            } catch (const std::exception& e) {
                spdlog::error("upload answer lost: {}", e.what());
            }
        }

        std::weak_ptr<HttpSession> session_;
        std::atomic<bool> answered_{false};
    };

    void onUploadAnswered(std::optional<UploadResponse> response) {
        if (!awaitingAnswer_) return;  // the answer timer was first
        awaitingAnswer_ = false;
        answerTimer_.cancel();
        if (response && (response->status < 200 || response->status > 599)) {
            spdlog::error("connection {}: upload handler answered status {}; sending 500", id_,
                          response->status);
            response.reset();
        }
        if (!response) {
            UploadRefusal internal = uploadInternalError();
            response = UploadResponse{internal.status, std::move(internal.json)};
        }
        logUpload(std::to_string(uploadBytes_) + " bytes", response->status);
        answerUpload(response->status, std::move(response->json), false, uploadKeepAlive_);
    }

    void onAnswerTimeout(error_code ec) {
        if (ec || !awaitingAnswer_) return;  // cancelled: answered in time
        awaitingAnswer_ = false;
        spdlog::error("connection {}: upload handler did not answer within {} min", id_,
                      UPLOAD_ANSWER_TIMEOUT.count());
        UploadRefusal internal = uploadInternalError();
        logUpload(std::to_string(uploadBytes_) + " bytes", internal.status);
        answerUpload(internal.status, std::move(internal.json), false, false);
    }

    // One line per upload, never the body, and the flow id shortened (the whole id continues the flow).
    void logUpload(const std::string& size, unsigned status, const std::string& why = {}) const {
        if (upload_.flowId.empty()) {
            spdlog::info("connection {} from {}: upload to an unserved target: {}", id_, peer_, status);
            return;
        }
        spdlog::info("connection {} from {}: upload {}… {} ({}): {}{}{}", id_, peer_,
                     shortFlowId(upload_.flowId), upload_.kind, size, status, why.empty() ? "" : " ", why);
    }

    void answerUpload(unsigned status, std::string json, bool allowPut, bool keepAlive) {
        http::response<http::string_body> response{static_cast<http::status>(status), uploadVersion_};
        response.set(http::field::server, "cardbridge");
        response.set(http::field::content_type, "application/json; charset=utf-8");
        response.set(http::field::cache_control, "no-store");
        response.set("X-Content-Type-Options", "nosniff");
        if (allowPut) response.set(http::field::allow, "PUT");
        response.body() = std::move(json);
        response.prepare_payload();
        response.keep_alive(keepAlive);
        write(std::move(response));
    }

    void upgrade(Request request) {
        const std::string origin(request[http::field::origin]);
        auto grant = state_.policy->grantFor(origin);
        if (!grant) {
            spdlog::warn("connection {} from {}: refused WebSocket: Origin '{:.100}' is not allowed", id_,
                         peer_, origin.empty() ? std::string("(none)") : origin);
            return refuse(request.version(), http::status::forbidden);
        }
        if (request.target() != "/") {
            spdlog::warn("connection {}: refused WebSocket on target other than /", id_);
            return refuse(request.version(), http::status::not_found);
        }
        if (state_.stopping) return refuse(request.version(), http::status::service_unavailable);
        // Counted per origin as the policy matched it, not per spelling: "HTTPS://127.0.0.1:P" and
        // "https://127.0.0.1:P" are one origin and share one count.
        const std::string originKey = normaliseOrigin(origin).value_or(origin);
        auto slot = state_.sessions.reserve(originKey);
        if (!slot) {
            spdlog::warn("connection {}: refused WebSocket: origin '{:.100}' has too many connections", id_,
                         originKey);
            return refuse(request.version(), http::status::too_many_requests);
        }
        CallContext context;
        context.connectionId = id_;
        context.origin = origin;
        context.ownOrigin = grant->ownOrigin;
        context.capabilities = grant->capabilities;
        startWebsocketSession(state_, std::move(stream_), std::move(request), std::move(context),
                              std::move(slot), std::move(units_), deadline_);
    }

    // Refusals are answered without any work and close the connection.
    void refuse(unsigned version, http::status status) {
        http::response<http::string_body> response{status, version};
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
    ConnectionUnits units_;
    std::string peer_ = "?";
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::shared_ptr<http::response<http::string_body>> response_;
    std::chrono::steady_clock::time_point deadline_;
    // The upload in progress (one at a time: no request is read while it waits for its answer).
    UploadTarget upload_;
    unsigned uploadVersion_ = 11;
    bool uploadKeepAlive_ = false;
    std::size_t uploadBytes_ = 0;
    bool awaitingAnswer_ = false;
    asio::steady_timer answerTimer_{stream_.get_executor()};
    std::shared_ptr<http::response<http::empty_body>> continue_;
};

}  // namespace

namespace {

void copyAddress(const asio::ip::address& address, std::array<std::uint8_t, 16>& out) {
    if (address.is_v6()) {
        const auto bytes = address.to_v6().to_bytes();
        std::copy(bytes.begin(), bytes.end(), out.begin());
    } else {
        const auto bytes = address.to_v4().to_bytes();
        std::copy(bytes.begin(), bytes.end(), out.begin());
    }
}

void drop(tcp::socket& socket) {
    error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
}

}  // namespace

void acceptConnection(ServerState& state, tcp::socket socket) {
    const std::uint64_t id = state.nextConnectionId++;
    error_code ec;
    const tcp::endpoint local = socket.local_endpoint(ec);
    tcp::endpoint remote;
    if (!ec) remote = socket.remote_endpoint(ec);
    if (ec) {
        spdlog::info("connection {}: gone before it was served: {}", id, ec.message());
        return drop(socket);
    }
    const std::string peer = remote.address().to_string() + ":" + std::to_string(remote.port());

    // Origin is only a browser's word; the OS says who owns the other end. Refused before any TLS work.
    cardbridge::net::TcpConnection connection;
    connection.v6 = local.address().is_v6();
    copyAddress(local.address(), connection.localAddress);
    connection.localPort = local.port();
    copyAddress(remote.address(), connection.remoteAddress);
    connection.remotePort = remote.port();
    const cardbridge::net::PeerCheck verdict = state.peerCheck->check(connection);
    switch (verdict.outcome) {
        case cardbridge::net::PeerOwnership::Allowed:
            break;
        case cardbridge::net::PeerOwnership::OtherUser:
            spdlog::warn(
                "connection {} from {}: refused before TLS: the peer socket belongs to {}, not to {}", id,
                peer, verdict.owner, state.peerCheck->servedUser());
            return drop(socket);
        case cardbridge::net::PeerOwnership::NotFound:
            spdlog::warn("connection {} from {}: refused before TLS: the peer socket was not found ({})", id,
                         peer, verdict.detail);
            return drop(socket);
        case cardbridge::net::PeerOwnership::LookupFailed:
            spdlog::warn(
                "connection {} from {}: refused before TLS: cannot tell who owns the peer socket ({})", id,
                peer, verdict.detail);
            return drop(socket);
    }

    ConnectionUnits units;
    units.open = state.connections.take();
    if (!units.open) {
        spdlog::warn("connection {} from {}: refused: {} connections open (limits.maxConnections)", id, peer,
                     state.connections.max());
        return drop(socket);
    }
    units.handshake = state.handshakes.take();
    if (!units.handshake) {
        spdlog::warn(
            "connection {} from {}: refused: {} connections still in their handshake "
            "(limits.maxHandshakes)",
            id, peer, state.handshakes.max());
        return drop(socket);
    }
    std::make_shared<HttpSession>(state, std::move(socket), id, std::move(units))->run();
}

}  // namespace cardbridge::daemon::net
