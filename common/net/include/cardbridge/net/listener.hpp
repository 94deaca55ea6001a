// The accept loop every server of ours runs (cardbridged, cardbridge-authority, the benchmarks' bare
// peers), written once. Asio-bearing: include it only from network-layer files.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "cardbridge/net/asio.hpp"

namespace cardbridge::net {

/// How Listener::open binds.
struct ListenOptions {
    bool v6Only = false;    ///< IPv6 endpoints: set IPV6_V6ONLY (no IPv4-mapped peers on "::")
    std::string logPrefix;  ///< starts this listener's log lines, e.g. "authority: "
};

/// Accepts TCP connections on one endpoint and hands each socket, already bound to a strand of its own,
/// to a callback. The accept loop runs on the listener's own strand; an accept error (out of file
/// descriptors and the like) is logged and retried after a short back-off instead of spinning. No
/// exception leaves it: errors are error_codes.
class Listener : public std::enable_shared_from_this<Listener> {
  public:
    /// Receives each accepted connection, on the listener's strand; it must not block.
    using OnAccept = std::function<void(tcp::socket)>;

    /// Opens `endpoint` with SO_REUSEADDR, binds and listens. On failure sets `ec` (address_in_use: try
    /// another port) and returns null. Accepting starts with start().
    static std::shared_ptr<Listener> open(asio::io_context& ioc, const tcp::endpoint& endpoint,
                                          const ListenOptions& options, error_code& ec);

    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;
    ~Listener();

    /// Starts the accept loop; every connection goes to `onAccept`. Call once.
    void start(OnAccept onAccept);
    /// Stops accepting and closes the socket (connections already handed over stay). Thread-safe,
    /// idempotent.
    void stop();
    /// The bound endpoint (with the real port when 0 was asked for).
    [[nodiscard]] const tcp::endpoint& localEndpoint() const noexcept { return endpoint_; }

  private:
    Listener(asio::io_context& ioc, std::string logPrefix);
    void accept();
    void onAccepted(error_code ec, tcp::socket socket);

    asio::io_context& ioc_;
    tcp::acceptor acceptor_;  // on the listener's strand, as is retry_
    asio::steady_timer retry_;
    tcp::endpoint endpoint_;
    std::string logPrefix_;
    OnAccept onAccept_;
};

}  // namespace cardbridge::net
