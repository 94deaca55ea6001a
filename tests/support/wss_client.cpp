// Test WSS/HTTPS client. All I/O is asynchronous on a private io_context driven by the calling thread
// with run_one_until(deadline): a timed-out wait leaves the one outstanding WebSocket read in place,
// so a later wait picks up where it left off (a cancelled Beast read would end the stream).
#include "wss_client.hpp"

#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <deque>
#include <functional>

#include "cardbridge/net/connect.hpp"
#include "cardbridge/net/tls_client.hpp"
#include "cardbridge/net/websocket.hpp"

namespace cardbridge::test {

namespace {

using namespace cardbridge::net;
using Clock = std::chrono::steady_clock;

int opensslVersion(TlsVersion version) {
    switch (version) {
        case TlsVersion::Tls1_0:
            return TLS1_VERSION;
        case TlsVersion::Tls1_1:
            return TLS1_1_VERSION;
        case TlsVersion::Tls1_2:
            return TLS1_2_VERSION;
        case TlsVersion::Tls1_3:
            return TLS1_3_VERSION;
    }
    return 0;
}

void configureTestTls(ssl::context& tls, const WssClientOptions& options) {
    if (options.rootCaPem.empty()) throw WssError("WssClientOptions.rootCaPem is required");
    try {
        configureClientTls(tls.native_handle(), options.rootCaPem);
    } catch (const std::runtime_error& e) {
        throw WssError(std::string("cannot load the test root: ") + e.what());
    }
    // configureClientTls's floor is TLS 1.2; the options may move it either way.
    SSL_CTX* native = tls.native_handle();
    if (options.minTls) SSL_CTX_set_min_proto_version(native, opensslVersion(*options.minTls));
    if (options.maxTls) {
        SSL_CTX_set_max_proto_version(native, opensslVersion(*options.maxTls));
        // OpenSSL 3 will not even offer TLS < 1.2 at its default security level; lower it so that
        // the refusal we test is the server's, not our own library's.
        if (*options.maxTls == TlsVersion::Tls1_0 || *options.maxTls == TlsVersion::Tls1_1) {
            SSL_CTX_set_security_level(native, 0);
            SSL_CTX_set_cipher_list(native, "DEFAULT:@SECLEVEL=0");
            if (!options.minTls) SSL_CTX_set_min_proto_version(native, TLS1_VERSION);
        }
    }
}

ssl::context configuredContext(const WssClientOptions& options) {
    ssl::context tls{ssl::context::tls_client};
    configureTestTls(tls, options);
    return tls;
}

std::string defaultHostHeader(const WssClientOptions& options) {
    const bool v6 = options.host.find(':') != std::string::npos;
    return (v6 ? "[" + options.host + "]" : options.host) + ":" + std::to_string(options.port);
}

tcp::endpoint endpointFor(const std::string& host, std::uint16_t port) {
    error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (ec) throw WssError("host must be an IP literal: " + host);
    return {address, port};
}

void connectTcp(asio::io_context& ioc, tcp::socket& socket, const tcp::endpoint& endpoint,
                std::chrono::milliseconds timeout) {
    bool done = false;
    error_code result;
    socket.async_connect(endpoint, [&](error_code ec) {
        result = ec;
        done = true;
    });
    if (!runFor(
            ioc, [&] { return done; }, timeout))
        throw WssError("connect timed out");
    if (result) throw WssError("connect failed: " + result.message());
}

// TCP connect and verified TLS handshake; WssError "connect failed: …" / "TLS handshake failed: …".
void openTls(asio::io_context& ioc, TlsStream& stream, const WssClientOptions& options) {
    const tcp::endpoint endpoint = endpointFor(options.host, options.port);
    try {
        net::connectTls(ioc, stream, endpoint, options.host, options.timeout);
    } catch (const std::runtime_error& e) {
        throw WssError(e.what());
    }
}

bool isResponseFor(const nlohmann::json& message, const nlohmann::json& id) {
    return message.is_object() && message.contains("id") && message["id"] == id &&
           (message.contains("result") || message.contains("error"));
}

}  // namespace

struct WssClient::Impl {
    // The context is configured before the stream exists: SSL_new copies the verify mode and the
    // protocol versions, so settings made afterwards would silently not apply.
    explicit Impl(WssClientOptions opts)
        : options(std::move(opts)), tls(configuredContext(options)), ws(ioc, tls) {}

    void connect() {
        openTls(ioc, ws.next_layer(), options);
        if (options.origin) {
            ws.set_option(websocket::stream_base::decorator(
                [origin = *options.origin](websocket::request_type& request) {
                    request.set(http::field::origin, origin);
                }));
        }
        websocket::response_type response;
        bool done = false;
        error_code result;
        ws.async_handshake(response, options.hostHeader.value_or(defaultHostHeader(options)), options.target,
                           [&](error_code ec) {
                               result = ec;
                               done = true;
                           });
        if (!runFor(
                ioc, [&] { return done; }, options.timeout))
            throw WssError("WebSocket handshake timed out");
        if (result) {
            throw WssError("WebSocket handshake failed: " + result.message() + " (HTTP " +
                               std::to_string(response.result_int()) + ")",
                           response.result_int());
        }
        ws.read_message_max(options.maxIncomingBytes);
        open = true;
        startRead();
    }

    void startRead() {
        ws.async_read(buffer, [this](error_code ec, std::size_t) {
            if (ec) {
                open = false;
                closeInfo.closed = true;
                closeInfo.error = ec.message();
                // Set whenever a close frame arrived, even if the TLS teardown after it failed.
                closeInfo.code = ws.reason().code;
                return;
            }
            Incoming message;
            message.text = beast::buffers_to_string(buffer.data());
            // Parsed once here: waits scan the inbox on every wake-up.
            message.json = nlohmann::json::parse(message.text, nullptr, false);
            inbox.push_back(std::move(message));
            buffer.consume(buffer.size());
            startRead();
        });
    }

    void write(const std::string& bytes, bool text) {
        if (!open) throw WssError("connection closed: " + closeInfo.error);
        ws.text(text);
        bool done = false;
        error_code result;
        ws.async_write(asio::buffer(bytes), [&](error_code ec, std::size_t) {
            result = ec;
            done = true;
        });
        if (!runFor(
                ioc, [&] { return done; }, options.timeout))
            throw WssError("write timed out");
        if (result) throw WssError("write failed: " + result.message());
    }

    // Removes and returns the first inbox message matching `match`, waiting up to `timeout`.
    std::optional<nlohmann::json> take(const std::function<bool(const nlohmann::json&)>& match,
                                       std::chrono::milliseconds timeout) {
        std::optional<nlohmann::json> found;
        auto scan = [&] {
            for (auto it = inbox.begin(); it != inbox.end(); ++it) {
                if (!it->json.is_discarded() && match(it->json)) {
                    found = std::move(it->json);
                    inbox.erase(it);
                    return true;
                }
            }
            return !open;
        };
        runFor(ioc, scan, timeout);
        return found;
    }

    WssClientOptions options;
    asio::io_context ioc;
    ssl::context tls;
    WssStream ws;
    beast::flat_buffer buffer;
    struct Incoming {
        std::string text;
        nlohmann::json json;
    };
    std::deque<Incoming> inbox;
    bool open = false;
    CloseInfo closeInfo;
    long long nextId = 1;
};

WssClient::WssClient(WssClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
    impl_->connect();
}

WssClient::~WssClient() {
    if (!impl_->open) return;
    // A polite close keeps the server's log quiet; give it a moment, then just drop the socket.
    bool done = false;
    impl_->ws.async_close(websocket::close_code::normal, [&](error_code) { done = true; });
    runFor(
        impl_->ioc, [&] { return done && !impl_->open; }, std::chrono::milliseconds(1000));
    error_code ec;
    beast::get_lowest_layer(impl_->ws).socket().close(ec);
    impl_->ioc.restart();
    impl_->ioc.poll();
}

nlohmann::json WssClient::call(const std::string& method, const nlohmann::json& params) {
    const nlohmann::json id = impl_->nextId++;
    const nlohmann::json request = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}};
    impl_->write(request.dump(), true);
    return waitResponse(id);
}

nlohmann::json WssClient::waitResponse(const nlohmann::json& id) {
    auto response =
        impl_->take([&](const nlohmann::json& m) { return isResponseFor(m, id); }, impl_->options.timeout);
    if (!response) {
        throw WssError(
            "no response for id " + id.dump() +
            (impl_->open ? " (timed out)" : " (connection closed: " + impl_->closeInfo.error + ")"));
    }
    return *response;
}

nlohmann::json WssClient::waitNotification(const std::string& method, std::chrono::milliseconds timeout) {
    auto message = impl_->take(
        [&](const nlohmann::json& m) {
            return m.is_object() && !m.contains("id") && m.value("method", std::string()) == method;
        },
        timeout);
    if (!message) throw WssError("no notification " + method);
    return message->value("params", nlohmann::json());
}

std::optional<std::string> WssClient::nextText(std::chrono::milliseconds timeout) {
    runFor(
        impl_->ioc, [&] { return !impl_->inbox.empty() || !impl_->open; }, timeout);
    if (impl_->inbox.empty()) return std::nullopt;
    std::string text = std::move(impl_->inbox.front().text);
    impl_->inbox.pop_front();
    return text;
}

void WssClient::sendText(const std::string& text) {
    impl_->write(text, true);
}

void WssClient::sendBinary(const std::string& bytes) {
    impl_->write(bytes, false);
}

CloseInfo WssClient::waitClosed(std::chrono::milliseconds timeout) {
    runFor(
        impl_->ioc, [&] { return !impl_->open; }, timeout);
    return impl_->closeInfo;
}

bool WssClient::isOpen() const {
    return impl_->open;
}

std::string HttpsResponse::header(const std::string& name) const {
    auto lower = [](std::string text) {
        std::transform(text.begin(), text.end(), text.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        return text;
    };
    for (const auto& [key, value] : headers) {
        if (lower(key) == lower(name)) return value;
    }
    return "";
}

HttpsResponse httpsRequest(const WssClientOptions& options, const std::string& method,
                           const std::string& target) {
    asio::io_context ioc;
    ssl::context tls = configuredContext(options);
    TlsStream stream(ioc, tls);
    openTls(ioc, stream, options);

    http::request<http::empty_body> request{http::string_to_verb(method), target, 11};
    request.method_string(method);
    request.set(http::field::host, options.hostHeader.value_or(defaultHostHeader(options)));
    request.set(http::field::user_agent, "cardbridge-test");
    if (options.origin) request.set(http::field::origin, *options.origin);
    request.keep_alive(false);
    bool done = false;
    error_code result;
    http::async_write(stream, request, [&](error_code ec, std::size_t) {
        result = ec;
        done = true;
    });
    if (!runFor(
            ioc, [&] { return done; }, options.timeout))
        throw WssError("HTTP write timed out");
    if (result) throw WssError("HTTP write failed: " + result.message());

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    if (method == "HEAD") parser.skip(true);
    done = false;
    http::async_read(stream, buffer, parser, [&](error_code ec, std::size_t) {
        result = ec;
        done = true;
    });
    if (!runFor(
            ioc, [&] { return done; }, options.timeout))
        throw WssError("HTTP read timed out");
    if (result) throw WssError("HTTP read failed: " + result.message());
    auto response = parser.release();
    HttpsResponse out;
    out.status = response.result_int();
    for (const auto& field : response.base()) out.headers.emplace_back(field.name_string(), field.value());
    out.body = std::move(response.body());
    return out;
}

namespace {

// Reads from `stream` until EOF/error or the deadline.
template <class Stream>
void readUntilClosed(asio::io_context& ioc, Stream& stream, RawTcpResult& result, Clock::time_point start,
                     std::chrono::milliseconds timeout) {
    std::array<char, 4096> chunk{};
    bool ended = false;
    std::function<void()> readMore = [&] {
        stream.async_read_some(asio::buffer(chunk), [&](error_code ec, std::size_t bytes) {
            if (ec) {
                ended = true;
                return;
            }
            result.received.append(chunk.data(), bytes);
            readMore();
        });
    };
    readMore();
    runUntil(
        ioc, [&] { return ended; }, start + timeout);
    result.closedByPeer = ended;
    result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

}  // namespace

RawTcpResult rawTcpExchange(const std::string& host, std::uint16_t port, const std::string& bytes,
                            std::chrono::milliseconds timeout) {
    asio::io_context ioc;
    tcp::socket socket(ioc);
    RawTcpResult result;
    const auto start = Clock::now();
    connectTcp(ioc, socket, endpointFor(host, port), timeout);
    result.connected = true;
    if (!bytes.empty()) {
        bool done = false;
        asio::async_write(socket, asio::buffer(bytes), [&](error_code, std::size_t) { done = true; });
        runFor(
            ioc, [&] { return done; }, timeout);
    }
    readUntilClosed(ioc, socket, result, start, timeout);
    error_code ec;
    socket.close(ec);
    ioc.restart();
    ioc.poll();
    return result;
}

RawTcpResult tlsConnectAndIdle(const WssClientOptions& options, std::chrono::milliseconds timeout) {
    asio::io_context ioc;
    ssl::context tls = configuredContext(options);
    TlsStream stream(ioc, tls);
    RawTcpResult result;
    const auto start = Clock::now();
    openTls(ioc, stream, options);
    result.connected = true;
    readUntilClosed(ioc, stream, result, start, timeout);
    error_code ec;
    beast::get_lowest_layer(stream).socket().close(ec);
    ioc.restart();
    ioc.poll();
    return result;
}

}  // namespace cardbridge::test
