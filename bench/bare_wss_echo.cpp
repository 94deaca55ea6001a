// The peer for the daemon benchmarks: a bare Boost.Beast WSS server with no application logic. It
// answers every text frame with one fixed reply (the bench passes a real cards.list answer, so the
// frames have the same size), using the daemon's TLS settings and its certificate files (the same
// ECDSA P-256 leaf), the same number of network threads, one strand per connection, and the same
// WebSocket timeouts (so its idle behaviour is comparable too). Nothing else: no origin check, no
// dispatcher, no card worker. It is what "Beast + TLS + the kernel" cost on this machine.
//
//   bare_wss_echo --cert CHAIN.pem --key KEY.pem --reply-file FILE [--port P] [--threads 2]
//                 [--release-buffers 1]
//
// --release-buffers sets OpenSSL's SSL_MODE_RELEASE_BUFFERS (idle connections give their 16 KB+ record
// buffers back); the daemon does not, so it is an experiment for the memory benchmark, not the peer.
// Prints "bare_wss_echo listening on 127.0.0.1:PORT" once it accepts; SIGTERM/SIGINT end it.
#include <openssl/ssl.h>
#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using error_code = beast::error_code;

// One connection: TLS handshake, WebSocket accept, then read → fixed reply → read, on its strand.
class Session : public std::enable_shared_from_this<Session> {
  public:
    Session(tcp::socket socket, ssl::context& tls, std::shared_ptr<const std::string> reply)
        : ws_(std::move(socket), tls), reply_(std::move(reply)) {}

    void run() {
        // As the daemon does: Beast splits a 5 KB reply into two 4 KB-fragment writes, and with Nagle the
        // second would wait for the peer's delayed ACK (40 ms).
        error_code ignored;
        beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true), ignored);
        beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(10));
        ws_.next_layer().async_handshake(ssl::stream_base::server,
                                         beast::bind_front_handler(&Session::onTls, shared_from_this()));
    }

  private:
    void onTls(error_code ec) {
        if (ec) return;
        beast::get_lowest_layer(ws_).expires_never();
        // The daemon's settings: Beast's server timeouts with a 300 s idle timeout and keep-alive pings.
        websocket::stream_base::timeout timeout =
            websocket::stream_base::timeout::suggested(beast::role_type::server);
        timeout.idle_timeout = std::chrono::seconds(300);
        timeout.keep_alive_pings = true;
        ws_.set_option(timeout);
        ws_.read_message_max(65536);
        ws_.text(true);
        ws_.async_accept(beast::bind_front_handler(&Session::onAccept, shared_from_this()));
    }

    void onAccept(error_code ec) {
        if (!ec) read();
    }

    void read() { ws_.async_read(buffer_, beast::bind_front_handler(&Session::onRead, shared_from_this())); }

    void onRead(error_code ec, std::size_t /*bytes*/) {
        if (ec) return;
        buffer_.consume(buffer_.size());
        ws_.async_write(asio::buffer(*reply_),
                        beast::bind_front_handler(&Session::onWrite, shared_from_this()));
    }

    void onWrite(error_code ec, std::size_t /*bytes*/) {
        if (!ec) read();
    }

    websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws_;
    beast::flat_buffer buffer_;
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

// The daemon's TLS configuration (daemon/net/src/server.cpp): TLS 1.2+, ECDHE AEAD suites for 1.2.
void configureTls(ssl::context& tls, const std::string& chain, const std::string& key, bool releaseBuffers) {
    tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                    ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::no_compression |
                    ssl::context::single_dh_use);
    SSL_CTX* native = tls.native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_cipher_list(native, "ECDHE+AESGCM:ECDHE+CHACHA20");
    if (releaseBuffers) SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
    tls.use_certificate_chain_file(chain);
    tls.use_private_key_file(key, ssl::context::pem);
}

}  // namespace

int main(int argc, char** argv) {
    std::string chain, key, replyFile;
    unsigned port = 0, threads = 2;
    bool releaseBuffers = false;
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
        } else if (arg == "--release-buffers") {
            releaseBuffers = value == "1";
        } else if (arg == "--threads") {
            threads = static_cast<unsigned>(std::max(1, std::atoi(value.c_str())));
        } else {
            std::cerr << "unknown option " << arg << "\n";
            return 2;
        }
    }
    if (chain.empty() || key.empty() || replyFile.empty() || port > 65535) {
        std::cerr << "usage: bare_wss_echo --cert CHAIN.pem --key KEY.pem --reply-file FILE [--port P] "
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
        configureTls(tls, chain, key, releaseBuffers);
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
        std::printf("bare_wss_echo listening on 127.0.0.1:%u\n", bound);
        std::fflush(stdout);
        std::vector<std::thread> extra;
        for (unsigned i = 1; i < threads; ++i) extra.emplace_back([&ioc] { ioc.run(); });
        ioc.run();
        for (auto& t : extra) t.join();
    } catch (const std::exception& e) {
        std::cerr << "bare_wss_echo: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
