// Asynchronous WSS clients on one io_context, driven by the calling thread with run_one_until(deadline)
// so that every wait is bounded. Each connection has at most one request in flight (closed loop), so no
// strand or write queue is needed.
#include "wss_load.hpp"

#include <functional>
#include <stdexcept>
#include <string_view>

#include "cardbridge/net/connect.hpp"
#include "cardbridge/net/tls_client.hpp"
#include "cardbridge/net/websocket.hpp"

namespace cardbridge::bench {

namespace {

using namespace cardbridge::net;
using Clock = std::chrono::steady_clock;

struct Connection {
    Connection(asio::io_context& ioc, ssl::context& tls) : ws(ioc, tls) {}

    WssStream ws;
    beast::flat_buffer buffer;
    Clock::time_point sent;
};

std::string_view textOf(const beast::flat_buffer& buffer) {
    return {static_cast<const char*>(buffer.data().data()), buffer.size()};
}

bool isErrorReply(std::string_view text) {
    return text.find("\"error\":{") != std::string_view::npos;
}

}  // namespace

struct WssConnections::Impl {
    explicit Impl(WssTarget t) : target(std::move(t)) {
        // Configured before any stream exists: SSL_new copies the verify mode.
        configureClientTls(tls.native_handle(), target.rootCaPem);
    }

    using Done = std::function<void(error_code, std::string_view)>;

    void open(Connection& c, Done done) {
        const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), target.port);
        asyncConnectTls(
            c.ws.next_layer(), endpoint, "127.0.0.1", std::chrono::seconds(20),
            [this, &c, done](error_code ec, std::string_view step) {
                if (ec) return done(ec, step);
                c.ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
                c.ws.set_option(websocket::stream_base::decorator(
                    [origin = target.origin](websocket::request_type& request) {
                        request.set(http::field::origin, origin);
                    }));
                c.ws.text(true);
                c.ws.async_handshake("127.0.0.1:" + std::to_string(target.port), "/",
                                     [done](error_code wsEc) { done(wsEc, "WebSocket handshake"); });
            });
    }

    asio::io_context ioc{1};
    ssl::context tls{ssl::context::tls_client};
    WssTarget target;
    std::vector<std::unique_ptr<Connection>> connections;
};

WssConnections::WssConnections(const WssTarget& target, unsigned count, unsigned parallel,
                               std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(target)) {
    Impl& im = *impl_;
    for (unsigned i = 0; i < count; ++i)
        im.connections.push_back(std::make_unique<Connection>(im.ioc, im.tls));
    std::size_t next = 0, finished = 0;
    std::string failure;
    std::function<void()> startNext = [&] {
        if (next >= im.connections.size() || !failure.empty()) return;
        Connection& c = *im.connections[next++];
        im.open(c, [&](error_code ec, std::string_view step) {
            ++finished;
            if (ec && failure.empty()) failure = std::string(step) + ": " + ec.message();
            startNext();
        });
    };
    for (unsigned i = 0; i < std::max(1U, parallel); ++i) startNext();
    const bool ok = runUntil(
        im.ioc, [&] { return finished == next && (next == im.connections.size() || !failure.empty()); },
        Clock::now() + timeout);
    if (!failure.empty())
        throw std::runtime_error("connection " + std::to_string(finished) + " of " + std::to_string(count) +
                                 ": " + failure);
    if (!ok)
        throw std::runtime_error("opening " + std::to_string(count) + " connections timed out after " +
                                 std::to_string(finished));
}

WssConnections::~WssConnections() = default;

std::size_t WssConnections::size() const {
    return impl_->connections.size();
}

std::string WssConnections::callAll(const std::string& request, std::chrono::milliseconds timeout) {
    Impl& im = *impl_;
    std::size_t answered = 0;
    std::string failure, last;
    for (auto& owned : im.connections) {
        Connection& c = *owned;
        c.ws.async_write(asio::buffer(request), [&](error_code ec, std::size_t) {
            if (ec) {
                failure = "write: " + ec.message();
                ++answered;
                return;
            }
            c.ws.async_read(c.buffer, [&](error_code readEc, std::size_t) {
                ++answered;
                if (readEc) {
                    failure = "read: " + readEc.message();
                    return;
                }
                last = std::string(textOf(c.buffer));
                c.buffer.consume(c.buffer.size());
            });
        });
    }
    const bool ok = runUntil(
        im.ioc, [&] { return answered == im.connections.size(); }, Clock::now() + timeout);
    if (!failure.empty()) throw std::runtime_error("callAll: " + failure);
    if (!ok) throw std::runtime_error("callAll timed out");
    return last;
}

LoadResult WssConnections::closedLoop(const std::string& request, std::chrono::milliseconds warmup,
                                      std::chrono::milliseconds measure) {
    Impl& im = *impl_;
    LoadResult result;
    result.latencyUs.reserve(1 << 20);
    const auto start = Clock::now();
    const auto warmEnd = start + warmup;
    const auto stopAt = warmEnd + measure;
    std::size_t active = im.connections.size();
    std::string failure;

    std::function<void(Connection&)> step = [&](Connection& c) {
        c.sent = Clock::now();
        c.ws.async_write(asio::buffer(request), [&](error_code ec, std::size_t) {
            if (ec) {
                failure = "write: " + ec.message();
                --active;
                return;
            }
            c.ws.async_read(c.buffer, [&](error_code readEc, std::size_t) {
                const auto now = Clock::now();
                if (readEc) {
                    failure = "read: " + readEc.message();
                    --active;
                    return;
                }
                if (c.sent >= warmEnd && now <= stopAt) {
                    const std::string_view text = textOf(c.buffer);
                    ++result.requests;
                    result.replyBytes = text.size();
                    if (isErrorReply(text)) {
                        if (result.errors++ == 0) result.firstError = std::string(text);
                    }
                    result.latencyUs.push_back(
                        std::chrono::duration<double, std::micro>(now - c.sent).count());
                }
                c.buffer.consume(c.buffer.size());
                if (now < stopAt && failure.empty())
                    step(c);
                else
                    --active;
            });
        });
    };
    for (auto& c : im.connections) step(*c);
    const bool ok = runUntil(
        im.ioc, [&] { return active == 0; }, stopAt + std::chrono::seconds(10));
    if (!failure.empty()) throw std::runtime_error("closed loop: " + failure);
    if (!ok) throw std::runtime_error("closed loop: replies still missing 10 s after the end");
    result.seconds = std::chrono::duration<double>(measure).count();
    return result;
}

void WssConnections::close() {
    Impl& im = *impl_;
    std::size_t closed = 0;
    for (auto& c : im.connections)
        c->ws.async_close(websocket::close_code::normal, [&closed](error_code) { ++closed; });
    const auto all = [&] { return closed == im.connections.size(); };
    if (!runUntil(im.ioc, all, Clock::now() + std::chrono::seconds(5))) {
        // A peer that does not answer the close: drop the sockets, which completes the pending handlers.
        for (auto& c : im.connections) {
            error_code ignored;
            beast::get_lowest_layer(c->ws).socket().close(ignored);
        }
        runUntil(im.ioc, all, Clock::now() + std::chrono::seconds(5));
    }
    im.connections.clear();
}

}  // namespace cardbridge::bench
