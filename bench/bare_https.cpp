// The peer for the authority benchmark: a bare Boost.Beast HTTPS server with no application logic. It
// answers every request with one fixed JSON body (the bench passes a real status reply of the authority,
// so responses have the same size) and the same headers the authority sends (Content-Type, Cache-Control,
// X-Content-Type-Options, Server), with the authority's TLS settings (cardbridge_net_common's
// configureServerTls), the same number of network threads and one strand per connection, keep-alive.
// Nothing else: no routing, no token check, no worker pool, no storage. It is what "Beast + TLS + the
// kernel" cost for an HTTPS request/response on this machine.
//
//   bare_https --cert CHAIN.pem --key KEY.pem --reply-file FILE [--port P] [--threads 2]
//
// Prints "bare_https listening on 127.0.0.1:PORT" once it accepts; SIGTERM/SIGINT end it.
#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cardbridge/net/tls_server.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using error_code = beast::error_code;

// One connection: TLS handshake, then read request → fixed response → read, on its strand.
class Session : public std::enable_shared_from_this<Session> {
  public:
    Session(tcp::socket socket, ssl::context& tls, std::shared_ptr<const std::string> reply)
        : stream_(std::move(socket), tls), reply_(std::move(reply)) {}

    void run() {
        beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(10));
        stream_.async_handshake(ssl::stream_base::server,
                                beast::bind_front_handler(&Session::onTls, shared_from_this()));
    }

  private:
    void onTls(error_code ec) {
        if (!ec) read();
    }

    void read() {
        request_ = {};
        // The authority's idle keep-alive timeout.
        beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
        http::async_read(stream_, buffer_, request_,
                         beast::bind_front_handler(&Session::onRead, shared_from_this()));
    }

    void onRead(error_code ec, std::size_t /*bytes*/) {
        if (ec) return;
        response_.emplace(http::status::ok, request_.version());
        response_->set(http::field::server, "bare_https");
        response_->set(http::field::content_type, "application/json; charset=utf-8");
        response_->set(http::field::cache_control, "no-store");
        response_->set("X-Content-Type-Options", "nosniff");
        response_->body() = *reply_;
        response_->content_length(reply_->size());
        response_->keep_alive(request_.keep_alive());
        http::async_write(stream_, *response_,
                          beast::bind_front_handler(&Session::onWrite, shared_from_this()));
    }

    void onWrite(error_code ec, std::size_t /*bytes*/) {
        if (ec) return;
        const bool keepAlive = response_->keep_alive();
        response_.reset();
        if (keepAlive) {
            read();
        } else {
            beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
            stream_.async_shutdown([self = shared_from_this()](error_code) {});
        }
    }

    beast::ssl_stream<beast::tcp_stream> stream_;
    beast::flat_buffer buffer_;
    http::request<http::string_body> request_;
    std::optional<http::response<http::string_body>> response_;
    std::shared_ptr<const std::string> reply_;
};

class Listener : public std::enable_shared_from_this<Listener> {
  public:
    Listener(asio::io_context& ioc, tcp::acceptor acceptor, ssl::context& tls,
             std::shared_ptr<const std::string> reply)
        : ioc_(ioc), acceptor_(std::move(acceptor)), tls_(tls), reply_(std::move(reply)) {}

    void accept() {
        acceptor_.async_accept(asio::make_strand(ioc_),
                               beast::bind_front_handler(&Listener::onAccept, shared_from_this()));
    }

  private:
    void onAccept(error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted) return;
        if (!ec) std::make_shared<Session>(std::move(socket), tls_, reply_)->run();
        accept();
    }

    asio::io_context& ioc_;
    tcp::acceptor acceptor_;
    ssl::context& tls_;
    std::shared_ptr<const std::string> reply_;
};

}  // namespace

int main(int argc, char** argv) {
    std::string chain, key, replyFile;
    unsigned port = 0, threads = 2;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string arg = argv[i], value = argv[i + 1];
        if (arg == "--cert") {
            chain = value;
        } else if (arg == "--key") {
            key = value;
        } else if (arg == "--reply-file") {
            replyFile = value;
        } else if (arg == "--port") {
            port = static_cast<unsigned>(std::atoi(value.c_str()));
        } else if (arg == "--threads") {
            threads = static_cast<unsigned>(std::max(1, std::atoi(value.c_str())));
        } else {
            std::cerr << "unknown option " << arg << "\n";
            return 2;
        }
    }
    if (chain.empty() || key.empty() || replyFile.empty() || port > 65535) {
        std::cerr << "usage: bare_https --cert CHAIN.pem --key KEY.pem --reply-file FILE [--port P] "
                     "[--threads N]\n";
        return 2;
    }
    std::ifstream in(replyFile, std::ios::binary);
    auto reply = std::make_shared<const std::string>(std::istreambuf_iterator<char>(in),
                                                     std::istreambuf_iterator<char>());
    if (reply->empty()) {
        std::cerr << "empty reply file " << replyFile << "\n";
        return 2;
    }
    try {
        asio::io_context ioc(static_cast<int>(threads));
        ssl::context tls{ssl::context::tls_server};
        cardbridge::configureServerTls(tls.native_handle(), chain, key);
        tcp::acceptor acceptor(ioc);
        const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), static_cast<std::uint16_t>(port));
        acceptor.open(endpoint.protocol());
        acceptor.set_option(asio::socket_base::reuse_address(true));
        acceptor.bind(endpoint);
        acceptor.listen(asio::socket_base::max_listen_connections);
        const unsigned bound = acceptor.local_endpoint().port();
        std::make_shared<Listener>(ioc, std::move(acceptor), tls, reply)->accept();
        asio::signal_set signals(ioc, SIGINT, SIGTERM);
        signals.async_wait([&ioc](error_code, int) { ioc.stop(); });
        std::printf("bare_https listening on 127.0.0.1:%u\n", bound);
        std::fflush(stdout);
        std::vector<std::thread> extra;
        for (unsigned i = 1; i < threads; ++i) extra.emplace_back([&ioc] { ioc.run(); });
        ioc.run();
        for (auto& t : extra) t.join();
    } catch (const std::exception& e) {
        std::cerr << "bare_https: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
