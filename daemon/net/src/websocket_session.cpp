// One WebSocket connection speaking JSON-RPC 2.0. Everything here runs on the session's strand; other
// threads reach it only through post() (deliver, shutdown, method answers). Bounds: frame size (Beast),
// rate (token bucket), pending requests, write queue (a slow reader is cut off, never waited for),
// idle timeout (Beast pings, then closes; a connection that never sent a request is closed after it
// even if it answers the pings). Every frame's bytes are wiped from our buffers once it was handled,
// whether it was answered or refused: it may have carried a PIN, a PUK or a code.
#include <spdlog/spdlog.h>

#include <deque>

#include "cardbridge/common/secret.hpp"
#include "cardbridge/daemon/core/errors.hpp"
#include "cardbridge/daemon/net/token_bucket.hpp"
#include "server_state.hpp"

namespace cardbridge::daemon::net {

namespace {

// Enough for any burst of answers and notifications a well-behaved client sees; past that the peer
// is not reading and holding more would let it grow our memory.
constexpr std::size_t MAX_QUEUED_FRAMES = 256;
constexpr std::size_t MAX_QUEUED_BYTES = 8 * 1024 * 1024;

class WebsocketSession final : public SessionHandle, public std::enable_shared_from_this<WebsocketSession> {
  public:
    WebsocketSession(ServerState& state, TlsStream stream, CallContext context,
                     std::unique_ptr<ConnectionSlot> slot, ConnectionUnits units)
        : state_(state),
          ws_(std::move(stream)),
          context_(std::move(context)),
          slot_(std::move(slot)),
          units_(std::move(units)),
          bucket_(state.options.config.limits.maxRequestsPerSecond, std::chrono::steady_clock::now()) {}

    ~WebsocketSession() override {
        wipeFrameMemory();
        state_.sessions.remove(context_.connectionId);
        spdlog::info("connection {} ({}) closed", context_.connectionId, context_.origin);
    }

    WebsocketSession(const WebsocketSession&) = delete;
    WebsocketSession& operator=(const WebsocketSession&) = delete;

    void run(Request request, std::chrono::steady_clock::time_point deadline) {
        const auto& limits = state_.options.config.limits;
        // Beast's own timeouts take over from the TCP stream's from here on.
        beast::get_lowest_layer(ws_).expires_never();
        websocket::stream_base::timeout timeout{};
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        timeout.handshake_timeout = std::max(left, std::chrono::milliseconds(100));
        timeout.idle_timeout = std::chrono::seconds(std::max(1U, limits.idleTimeoutSeconds));
        timeout.keep_alive_pings = true;  // a quiet but live page (waiting for events) stays connected
        ws_.set_option(timeout);
        ws_.set_option(websocket::stream_base::decorator(
            [](websocket::response_type& response) { response.set(http::field::server, "cardbridge"); }));
        ws_.read_message_max(limits.maxFrameBytes);
        ws_.text(true);
        ws_.async_accept(request, beast::bind_front_handler(&WebsocketSession::onAccept, shared_from_this()));
    }

    void deliver(std::shared_ptr<const std::string> frame) override {
        asio::post(ws_.get_executor(), [self = shared_from_this(), frame = std::move(frame)]() mutable {
            self->enqueue(std::move(frame));
        });
    }

    void shutdown() override {
        asio::post(ws_.get_executor(),
                   [self = shared_from_this()] { self->close(websocket::close_code::going_away); });
    }

    [[nodiscard]] const CallContext& context() const noexcept override { return context_; }

  private:
    void onAccept(error_code ec) {
        if (ec) {
            spdlog::info("connection {}: WebSocket handshake failed: {}", context_.connectionId,
                         ec.message());
            return;
        }
        // From now on handshake_timeout bounds our close handshakes: give them the full time.
        websocket::stream_base::timeout timeout{};
        ws_.get_option(timeout);
        timeout.handshake_timeout = state_.handshakeTimeout();
        ws_.set_option(timeout);
        units_.handshake.reset();  // through TLS and the upgrade: no longer half-open
        state_.sessions.add(context_.connectionId, weak_from_this());
        // Beast's pings keep a live page open; a page that has not sent one request (not even the
        // SDK's system.hello) by the idle timeout holds no subscription and is closed all the same.
        unsubscribedTimer_.expires_after(
            std::chrono::seconds(std::max(1U, state_.options.config.limits.idleTimeoutSeconds)));
        unsubscribedTimer_.async_wait(
            beast::bind_front_handler(&WebsocketSession::onUnsubscribedTimeout, shared_from_this()));
        std::string capabilities;
        for (const auto& name : capabilityNames(context_.capabilities)) capabilities += " " + name;
        spdlog::info("connection {} open from {} (capabilities:{})", context_.connectionId, context_.origin,
                     capabilities);
        if (state_.stopping) return close(websocket::close_code::going_away);
        read();
    }

    void read() {
        ws_.async_read(buffer_, beast::bind_front_handler(&WebsocketSession::onRead, shared_from_this()));
    }

    void onUnsubscribedTimeout(error_code ec) {
        if (ec || subscribed_ || closing_) return;  // cancelled: a request came
        spdlog::info("connection {} ({}): no request within the idle timeout (no subscription); closing",
                     context_.connectionId, context_.origin);
        close(websocket::close_code::policy_error);
    }

    // Zeroes the read buffer's whole storage and the frame's text copy (a frame may carry a PIN, PUK or
    // code; consume() alone only moves offsets), then shows them to the test probe if there is one.
    void wipeFrameMemory() noexcept {
        buffer_.consume(buffer_.size());
        // After consume() everything is free space: prepare() spans the whole allocation.
        const auto storage = buffer_.prepare(buffer_.capacity());
        cardbridge::wipe(storage.data(), storage.size());
        cardbridge::wipe(text_);
        if (state_.options.frameMemoryProbe) {
            try {
                state_.options.frameMemoryProbe(
                    std::string_view(static_cast<const char*>(storage.data()), storage.size()));
                state_.options.frameMemoryProbe(std::string_view(text_.data(), text_.capacity()));
            } catch (...) {
                // a test's probe; nothing to do
            }
        }
    }

    void onRead(error_code ec, std::size_t /*bytes*/) {
        if (ec) {
            closing_ = true;
            unsubscribedTimer_.cancel();  // it holds the session alive
            // Oversized frames (1009) and invalid UTF-8 (1007) are closed by Beast itself.
            if (ec == websocket::error::closed)
                spdlog::debug("connection {}: closed by the client", context_.connectionId);
            else
                spdlog::info("connection {}: read ended: {}", context_.connectionId, ec.message());
            return;
        }
        if (!ws_.got_text()) {
            spdlog::warn("connection {}: binary frame; closing (policy violation)", context_.connectionId);
            wipeFrameMemory();
            return close(websocket::close_code::policy_error);
        }
        if (!subscribed_) {
            subscribed_ = true;
            unsubscribedTimer_.cancel();
        }
        // One text member reused for every frame, so that wiping it wipes the only copy we made.
        text_.assign(static_cast<const char*>(buffer_.data().data()), buffer_.size());
        dispatch(text_);
        wipeFrameMemory();
        if (!closing_) read();
    }

    void dispatch(const std::string& text) {
        const auto& limits = state_.options.config.limits;
        auto enqueueNow = [this](std::string response) {
            if (!response.empty()) enqueue(std::make_shared<const std::string>(std::move(response)));
        };
        if (!bucket_.take(std::chrono::steady_clock::now())) {
            spdlog::debug("connection {}: rate limited", context_.connectionId);
            state_.dispatcher.refuse(text, RpcError(Reason::RateLimited, {}, "too many requests"),
                                     enqueueNow);
            return;
        }
        if (pending_ >= limits.maxPendingRequests) {
            state_.dispatcher.refuse(text, RpcError(Reason::TooManyPending, {}, "too many pending requests"),
                                     enqueueNow);
            return;
        }
        ++pending_;
        // Answers may come from a card worker thread, after this session is gone: hold it weakly and
        // hop back onto the strand.
        state_.dispatcher.handle(context_, text, [weak = weak_from_this()](std::string response) {
            if (auto self = weak.lock()) {
                asio::post(self->ws_.get_executor(), [self, response = std::move(response)]() mutable {
                    self->onAnswered(std::move(response));
                });
            }
        });
    }

    void onAnswered(std::string response) {
        if (pending_ > 0) --pending_;
        if (!response.empty()) enqueue(std::make_shared<const std::string>(std::move(response)));
    }

    void enqueue(std::shared_ptr<const std::string> frame) {
        if (closing_) return;
        if (queue_.size() >= MAX_QUEUED_FRAMES || queuedBytes_ + frame->size() > MAX_QUEUED_BYTES) {
            spdlog::warn("connection {} ({}): not reading its frames ({} queued); closing",
                         context_.connectionId, context_.origin, queue_.size());
            closing_ = true;
            // No close handshake: the peer is not reading, so it would only wait on the same queue.
            beast::get_lowest_layer(ws_).close();
            return;
        }
        queuedBytes_ += frame->size();
        queue_.push_back(std::move(frame));
        if (queue_.size() == 1) write();
    }

    void write() {
        ws_.async_write(asio::buffer(*queue_.front()),
                        beast::bind_front_handler(&WebsocketSession::onWrite, shared_from_this()));
    }

    void onWrite(error_code ec, std::size_t /*bytes*/) {
        if (ec) {
            spdlog::debug("connection {}: write failed: {}", context_.connectionId, ec.message());
            closing_ = true;
            queue_.clear();
            queuedBytes_ = 0;
            return;
        }
        queuedBytes_ -= queue_.front()->size();
        queue_.pop_front();
        if (!queue_.empty()) write();
    }

    void close(websocket::close_code code) {
        if (closing_) return;
        closing_ = true;
        ws_.async_close(code, [self = shared_from_this()](error_code) {});
    }

    ServerState& state_;
    WssStream ws_;
    const CallContext context_;
    std::unique_ptr<ConnectionSlot> slot_;
    ConnectionUnits units_;
    beast::flat_buffer buffer_;  // flat: one message is one contiguous region (and one to wipe)
    std::string text_;           // the message being handled; wiped after it
    bool subscribed_ = false;    // has sent a request: receives notifications, kept open by pings
    asio::steady_timer unsubscribedTimer_{ws_.get_executor()};
    TokenBucket bucket_;
    unsigned pending_ = 0;
    bool closing_ = false;
    std::deque<std::shared_ptr<const std::string>> queue_;
    std::size_t queuedBytes_ = 0;
};

}  // namespace

void startWebsocketSession(ServerState& state, TlsStream stream, Request request, CallContext context,
                           std::unique_ptr<ConnectionSlot> slot, ConnectionUnits units,
                           std::chrono::steady_clock::time_point deadline) {
    std::make_shared<WebsocketSession>(state, std::move(stream), std::move(context), std::move(slot),
                                       std::move(units))
        ->run(std::move(request), deadline);
}

}  // namespace cardbridge::daemon::net
