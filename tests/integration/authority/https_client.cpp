#include "https_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <stdexcept>

namespace cardbridge::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

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
    asio::ssl::context tls(asio::ssl::context::tls_client);
    tls.add_certificate_authority(asio::buffer(rootPem));
    tls.set_verify_mode(asio::ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(ioc, tls);
    stream.set_verify_callback(asio::ssl::host_name_verification("127.0.0.1"));
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
    beast::get_lowest_layer(stream).connect(
        asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    stream.handshake(asio::ssl::stream_base::client);
    http::request<http::string_body> request{http::string_to_verb(method), target, 11};
    request.set(http::field::host, "127.0.0.1:" + std::to_string(port));
    for (const auto& [name, value] : headers) request.set(name, value);
    request.body() = body;
    request.prepare_payload();
    AuthorityResponse out;
    beast::error_code ec;
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
            out.status = response.result_int();
            for (const auto& field : response) {
                out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
            }
            out.body = response.body();
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
    out.status = response.result_int();
    for (const auto& field : response) {
        out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    out.body = response.body();
    stream.shutdown(ec);
    return out;
}

}  // namespace cardbridge::test
