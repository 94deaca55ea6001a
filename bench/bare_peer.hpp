// What the benchmarks' bare Beast peers (bare_https, bare_wss_echo) share: the command line, the reply
// file, TLS with our servers' settings (configureServerTls), cardbridge::net's Listener on 127.0.0.1 and
// its io threads until SIGTERM or SIGINT. Each peer brings only its session. Asio only, no Beast.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cardbridge/net/asio.hpp"

namespace cardbridge::bench {

/// What a peer's sessions share; valid while the peer runs.
struct BarePeer {
    net::ssl::context& tls;
    std::shared_ptr<const std::string> reply;  ///< the fixed answer, read from --reply-file
};

/// An option a peer takes besides --cert, --key, --reply-file, --port and --threads.
struct PeerOption {
    std::string name;  ///< with the dashes, e.g. "--release-buffers"
    std::string valueName;
    std::function<void(const std::string& value)> apply;
};

/// Parses `argv`, loads the chain and key, listens on 127.0.0.1:--port (0: any), prints "NAME listening on
/// 127.0.0.1:PORT" and serves on --threads threads, one strand per connection, until SIGTERM or SIGINT.
/// `tune` adjusts the TLS context after our settings; `startSession` takes each accepted connection.
/// Returns the exit code (2: bad command line, 1: cannot start).
int runBarePeer(int argc, char** argv, const std::string& name, const std::vector<PeerOption>& options,
                const std::function<void(net::ssl::context&)>& tune,
                const std::function<void(net::tcp::socket, const BarePeer&)>& startSession);

}  // namespace cardbridge::bench
