// Raw HTTPS connection for the upload tests. Every handler touches only Impl's members, so a wait that
// times out can leave its operation pending and a later call picks it up.
#include "raw_https.hpp"

#include <array>
#include <cstdio>

#include "cardbridge/net/connect.hpp"
#include "cardbridge/net/tls_client.hpp"

namespace cardbridge::test {

using namespace cardbridge::net;

struct RawHttpsConnection::Impl {
    explicit Impl(const WssClientOptions& opts)
        : options(opts), tls(ssl::context::tls_client), stream(ioc, tls) {
        if (options.rootCaPem.empty()) throw WssError("WssClientOptions.rootCaPem is required");
        configureClientTls(tls.native_handle(), options.rootCaPem);
        error_code ec;
        const auto address = asio::ip::make_address(options.host, ec);
        if (ec) throw WssError("host must be an IP literal: " + options.host);
        try {
            connectTls(ioc, stream, {address, options.port}, options.host, options.timeout);
        } catch (const std::runtime_error& e) {
            throw WssError(e.what());
        }
    }

    bool finishWrite(std::chrono::milliseconds timeout) {
        if (!writing) return !writeFailed;
        runFor(
            ioc, [this] { return !writing; }, timeout);
        return !writing && !writeFailed;
    }

    void startWrite(const std::string& bytes) {
        outgoing = bytes;
        writing = true;
        asio::async_write(stream, asio::buffer(outgoing), [this](error_code ec, std::size_t) {
            writing = false;
            if (ec) writeFailed = true;
        });
    }

    std::optional<HttpsResponse> waitResponse(std::chrono::milliseconds timeout) {
        if (!reading) {
            if (ended) return std::nullopt;
            parser.emplace();
            parser->body_limit(64 * 1024 * 1024);
            reading = true;
            readError = {};
            http::async_read(stream, buffer, *parser, [this](error_code ec, std::size_t) {
                reading = false;
                readError = ec;
            });
        }
        if (!runFor(
                ioc, [this] { return !reading; }, timeout))
            return std::nullopt;
        if (readError) {
            ended = true;
            return std::nullopt;
        }
        auto response = parser->release();
        HttpsResponse out;
        out.status = response.result_int();
        for (const auto& field : response.base())
            out.headers.emplace_back(field.name_string(), field.value());
        out.body = std::move(response.body());
        return out;
    }

    void readSome() {
        stream.async_read_some(asio::buffer(chunk), [this](error_code ec, std::size_t) {
            if (ec) {
                ended = true;
                return;
            }
            readSome();
        });
    }

    WssClientOptions options;
    asio::io_context ioc;
    ssl::context tls;
    TlsStream stream;
    beast::flat_buffer buffer;
    std::optional<http::response_parser<http::string_body>> parser;
    std::array<char, 16 * 1024> chunk{};
    std::string outgoing;
    bool writing = false;
    bool writeFailed = false;
    bool reading = false;
    bool ended = false;
    error_code readError;
};

RawHttpsConnection::RawHttpsConnection(const WssClientOptions& options)
    : impl_(std::make_unique<Impl>(options)) {}

RawHttpsConnection::~RawHttpsConnection() {
    error_code ec;
    beast::get_lowest_layer(impl_->stream).socket().close(ec);
    // Let the pending handlers see the close before the members they touch go away.
    impl_->ioc.restart();
    impl_->ioc.poll();
}

bool RawHttpsConnection::send(const std::string& bytes) {
    if (!impl_->finishWrite(impl_->options.timeout)) return false;
    impl_->startWrite(bytes);
    return impl_->finishWrite(impl_->options.timeout);
}

std::optional<HttpsResponse> RawHttpsConnection::sendAndRead(const std::string& bytes) {
    if (!impl_->finishWrite(impl_->options.timeout)) return std::nullopt;
    impl_->startWrite(bytes);
    return impl_->waitResponse(impl_->options.timeout);
}

std::optional<HttpsResponse> RawHttpsConnection::readResponse(std::chrono::milliseconds timeout) {
    return impl_->waitResponse(timeout);
}

bool RawHttpsConnection::waitClosed(std::chrono::milliseconds timeout) {
    if (impl_->reading) throw WssError("waitClosed with a response read pending");
    if (!impl_->ended) {
        impl_->buffer.clear();
        impl_->readSome();
    }
    return runFor(
        impl_->ioc, [this] { return impl_->ended; }, timeout);
}

std::string uploadRequest(const std::string& hostHeader, const std::optional<std::string>& origin,
                          const std::string& target, const std::string& body, const std::string& extraHeaders,
                          std::optional<std::size_t> contentLength, const std::string& method) {
    std::string out = method + " " + target + " HTTP/1.1\r\nHost: " + hostHeader + "\r\n";
    if (origin) out += "Origin: " + *origin + "\r\n";
    out += "Content-Type: application/octet-stream\r\n";
    if (extraHeaders.find("Transfer-Encoding") == std::string::npos)
        out += "Content-Length: " + std::to_string(contentLength.value_or(body.size())) + "\r\n";
    out += extraHeaders;
    out += "\r\n";
    out += body;
    return out;
}

std::string chunked(const std::string& body, std::size_t chunkBytes) {
    std::string out;
    for (std::size_t pos = 0; pos < body.size(); pos += chunkBytes) {
        const std::size_t size = std::min(chunkBytes, body.size() - pos);
        std::array<char, 32> line{};
        std::snprintf(line.data(), line.size(), "%zx\r\n", size);
        out += line.data();
        out.append(body, pos, size);
        out += "\r\n";
    }
    out += "0\r\n\r\n";
    return out;
}

}  // namespace cardbridge::test
