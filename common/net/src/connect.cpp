// Client-side connection set-up and the run-until loop (see connect.hpp).
#include "cardbridge/net/connect.hpp"

#include <stdexcept>
#include <utility>

#include "cardbridge/net/tls_client.hpp"

namespace cardbridge::net {

void asyncConnectTls(TlsStream& stream, const tcp::endpoint& endpoint, const std::string& host,
                     std::chrono::milliseconds timeout, ConnectDone done) {
    beast::get_lowest_layer(stream).expires_after(timeout);
    beast::get_lowest_layer(stream).async_connect(endpoint, [&stream, host,
                                                             done = std::move(done)](error_code ec) mutable {
        if (ec) {
            beast::get_lowest_layer(stream).expires_never();
            return done(ec, "connect");
        }
        error_code ignored;  // a small request must not wait for the peer's delayed ACK (Nagle)
        beast::get_lowest_layer(stream).socket().set_option(tcp::no_delay(true), ignored);
        if (!expectServerName(stream.native_handle(), host)) {
            beast::get_lowest_layer(stream).expires_never();
            return done(asio::error::invalid_argument, "TLS handshake");
        }
        stream.async_handshake(ssl::stream_base::client, [&stream, done = std::move(done)](error_code tlsEc) {
            beast::get_lowest_layer(stream).expires_never();
            done(tlsEc, "TLS handshake");
        });
    });
}

void connectTls(asio::io_context& ioc, TlsStream& stream, const tcp::endpoint& endpoint,
                const std::string& host, std::chrono::milliseconds timeout) {
    bool finished = false;
    error_code result;
    std::string failedStep;
    asyncConnectTls(stream, endpoint, host, timeout, [&](error_code ec, std::string_view step) {
        finished = true;
        result = ec;
        failedStep = step;
    });
    // The stream's own deadline ends the attempt; the extra second only guards against a stuck handler.
    if (!runFor(
            ioc, [&] { return finished; }, timeout + std::chrono::seconds(1))) {
        // Abort what is pending so that its handler, which refers to this frame, runs before we leave.
        beast::get_lowest_layer(stream).close();
        runFor(
            ioc, [&] { return finished; }, std::chrono::seconds(1));
        throw std::runtime_error("connect timed out");
    }
    if (result) throw std::runtime_error(failedStep + " failed: " + result.message());
}

bool runUntil(asio::io_context& ioc, const std::function<bool()>& done,
              std::chrono::steady_clock::time_point deadline) {
    while (!done()) {
        if (ioc.stopped()) ioc.restart();
        if (ioc.run_one_until(deadline) == 0) {
            // The deadline passed or nothing is left to wait for: either way the wait is over.
            if (ioc.stopped()) ioc.restart();
            return done();
        }
    }
    return true;
}

}  // namespace cardbridge::net
