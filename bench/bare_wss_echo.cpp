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

#include <chrono>
#include <memory>
#include <string>

#include "bare_peer.hpp"
#include "cardbridge/net/websocket.hpp"

namespace {

using namespace cardbridge::net;

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

    WssStream ws_;
    beast::flat_buffer buffer_;
    std::shared_ptr<const std::string> reply_;
};

}  // namespace

int main(int argc, char** argv) {
    bool releaseBuffers = false;
    return cardbridge::bench::runBarePeer(
        argc, argv, "bare_wss_echo",
        {{"--release-buffers", "1",
          [&releaseBuffers](const std::string& value) { releaseBuffers = value == "1"; }}},
        [&releaseBuffers](ssl::context& tls) {
            if (releaseBuffers) SSL_CTX_set_mode(tls.native_handle(), SSL_MODE_RELEASE_BUFFERS);
        },
        [](tcp::socket socket, const cardbridge::bench::BarePeer& peer) {
            std::make_shared<Session>(std::move(socket), peer.tls, peer.reply)->run();
        });
}
