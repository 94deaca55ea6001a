// Connects through common/net (deadline, verified handshake); the request and response then go
// synchronously, as before: Beast's asynchronous composed operations would cost this test file five times
// its compile time, and ctest's timeout bounds a server that stops answering.
#include "https_client.hpp"

#include <array>
#include <functional>
#include <optional>
#include <stdexcept>

#include "cardbridge/net/connect.hpp"
#include "cardbridge/net/tls_client.hpp"

namespace cardbridge::test {

namespace {

using namespace cardbridge::net;

void copyResponse(http::response<http::string_body>& response, AuthorityResponse& out) {
    out.status = response.result_int();
    for (const auto& field : response) {
        out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    out.body = std::move(response.body());
}

}  // namespace

std::string AuthorityResponse::header(const std::string& name) const {
    for (const auto& [key, value] : headers) {
        if (beast::iequals(key, name)) return value;
    }
    return {};
}

AuthorityResponse authorityRequest(std::uint16_t port, const std::string& rootPem, const std::string& method,
                                   const std::string& target, const std::string& body,
                                   std::vector<std::pair<std::string, std::string>> headers) {
    asio::io_context ioc;
    ssl::context tls(ssl::context::tls_client);
    configureClientTls(tls.native_handle(), rootPem);
    TlsStream stream(ioc, tls);
    connectTls(ioc, stream, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), "127.0.0.1",
               std::chrono::seconds(10));
    http::request<http::string_body> request{http::string_to_verb(method), target, 11};
    request.set(http::field::host, "127.0.0.1:" + std::to_string(port));
    for (const auto& [name, value] : headers) request.set(name, value);
    request.body() = body;
    request.prepare_payload();
    AuthorityResponse out;
    error_code ec;
    beast::flat_buffer buffer;
    if (body.size() > 64 * 1024) {
        // Large bodies go as a browser-grade client sends them: "Expect: 100-continue", so that a server
        // refusing the size answers before the body is on the wire.
        request.set(http::field::expect, "100-continue");
        http::request_serializer<http::string_body> serializer(request);
        http::write_header(stream, serializer, ec);
        http::response_parser<http::empty_body> interim;
        http::read_header(stream, buffer, interim, ec);
        if (!ec && interim.get().result() != http::status::continue_) {
            http::response_parser<http::string_body> final(std::move(interim));
            http::read(stream, buffer, final, ec);
            auto response = final.release();
            copyResponse(response, out);
            return out;
        }
        http::write(stream, serializer, ec);
    } else {
        http::write(stream, request, ec);
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(8 * 1024 * 1024);
    http::read(stream, buffer, parser, ec);
    if (ec && !parser.is_header_done()) return out;
    auto response = parser.release();
    copyResponse(response, out);
    stream.shutdown(ec);
    return out;
}

struct RawTlsConnection::Impl {
    asio::io_context ioc;
    ssl::context tls{ssl::context::tls_client};
    std::optional<TlsStream> stream;  // made once the context is configured (SSL_new copies its settings)
};

RawTlsConnection::RawTlsConnection(std::uint16_t port, const std::string& rootPem) : impl_(new Impl) {
    try {
        configureClientTls(impl_->tls.native_handle(), rootPem);
        impl_->stream.emplace(impl_->ioc, impl_->tls);
        connectTls(impl_->ioc, *impl_->stream, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                   "127.0.0.1", std::chrono::seconds(5));
    } catch (...) {
        delete impl_;
        throw;
    }
}

RawTlsConnection::~RawTlsConnection() {
    error_code ec;
    if (impl_->stream) beast::get_lowest_layer(*impl_->stream).socket().close(ec);
    delete impl_;
}

bool RawTlsConnection::send(const std::string& bytes) {
    error_code ec;
    asio::write(*impl_->stream, asio::buffer(bytes), ec);
    return !ec;
}

std::string RawTlsConnection::receive(std::chrono::milliseconds timeout) {
    std::string out;
    bool done = false;
    std::array<char, 4096> chunk{};
    std::function<void()> readMore = [&] {
        impl_->stream->async_read_some(asio::buffer(chunk), [&](error_code ec, std::size_t n) {
            out.append(chunk.data(), n);
            if (ec) {
                done = true;
                return;
            }
            readMore();
        });
    };
    readMore();
    runFor(
        impl_->ioc, [&] { return done; }, timeout);
    if (!done) {
        // Cancel the read still pending so the stream can be used (or closed) afterwards.
        beast::get_lowest_layer(*impl_->stream).cancel();
        impl_->ioc.restart();
        impl_->ioc.poll();
    }
    return out;
}

}  // namespace cardbridge::test
