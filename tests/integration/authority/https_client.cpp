// Every wait is bounded: asynchronous steps on a private io_context, driven on the calling thread, each
// with the stream's deadline.
#include "https_client.hpp"

#include <stdexcept>

#include "cardbridge/net/connect.hpp"
#include "cardbridge/net/tls_client.hpp"

namespace cardbridge::test {

namespace {

using namespace cardbridge::net;

constexpr std::chrono::seconds STEP_TIMEOUT{10};

// Starts one asynchronous step with `start(handler)` and waits for it; its error (timeout included).
template <class Start>
error_code await(asio::io_context& ioc, TlsStream& stream, Start start) {
    bool done = false;
    error_code result;
    beast::get_lowest_layer(stream).expires_after(STEP_TIMEOUT);
    start([&](error_code ec, auto...) {
        result = ec;
        done = true;
    });
    // The stream's deadline ends the step; the extra second only guards against a stuck handler.
    if (!runFor(
            ioc, [&] { return done; }, STEP_TIMEOUT + std::chrono::seconds(1)))
        throw std::runtime_error("HTTPS step did not end");
    return result;
}

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
               STEP_TIMEOUT);
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
        await(ioc, stream,
              [&](auto handler) { http::async_write_header(stream, serializer, std::move(handler)); });
        http::response_parser<http::empty_body> interim;
        ec = await(ioc, stream, [&](auto handler) {
            http::async_read_header(stream, buffer, interim, std::move(handler));
        });
        if (!ec && interim.get().result() != http::status::continue_) {
            http::response_parser<http::string_body> final(std::move(interim));
            await(ioc, stream,
                  [&](auto handler) { http::async_read(stream, buffer, final, std::move(handler)); });
            auto response = final.release();
            copyResponse(response, out);
            return out;
        }
        await(ioc, stream, [&](auto handler) { http::async_write(stream, serializer, std::move(handler)); });
    } else {
        await(ioc, stream, [&](auto handler) { http::async_write(stream, request, std::move(handler)); });
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(8 * 1024 * 1024);
    ec = await(ioc, stream,
               [&](auto handler) { http::async_read(stream, buffer, parser, std::move(handler)); });
    if (ec && !parser.is_header_done()) return out;
    auto response = parser.release();
    copyResponse(response, out);
    await(ioc, stream, [&](auto handler) { stream.async_shutdown(std::move(handler)); });
    return out;
}

}  // namespace cardbridge::test
