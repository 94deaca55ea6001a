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
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "bare_peer.hpp"
#include "cardbridge/net/beast.hpp"

namespace {

using namespace cardbridge::net;

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

    TlsStream stream_;
    beast::flat_buffer buffer_;
    http::request<http::string_body> request_;
    std::optional<http::response<http::string_body>> response_;
    std::shared_ptr<const std::string> reply_;
};

}  // namespace

int main(int argc, char** argv) {
    return cardbridge::bench::runBarePeer(
        argc, argv, "bare_https", {}, [](ssl::context&) {},
        [](tcp::socket socket, const cardbridge::bench::BarePeer& peer) {
            std::make_shared<Session>(std::move(socket), peer.tls, peer.reply)->run();
        });
}
