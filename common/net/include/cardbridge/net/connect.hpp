// Client side, Beast-bearing: a TLS connection opened with a deadline, and driving an io_context on the
// calling thread until something is done. For the tests' clients and the benchmarks' load generators;
// include it only where cardbridge/net/beast.hpp may go.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "cardbridge/net/beast.hpp"

namespace cardbridge::net {

/// Called once when asyncConnectTls ends; on failure `step` names what failed ("connect", "TLS handshake").
using ConnectDone = std::function<void(error_code ec, std::string_view step)>;

/// Connects `stream` to `endpoint` (its socket may be opened and bound beforehand, e.g. to pick a source
/// address), sets TCP_NODELAY as browsers do, and runs the TLS client handshake verifying the server for
/// `host` (see expectServerName), all within `timeout`; then clears the stream's deadline and calls
/// `done`. The stream's context must be configured already (configureClientTls). Never throws; `stream`
/// must outlive the call of `done`.
void asyncConnectTls(TlsStream& stream, const tcp::endpoint& endpoint, const std::string& host,
                     std::chrono::milliseconds timeout, ConnectDone done);

/// asyncConnectTls driven on the calling thread through `ioc`. Throws std::runtime_error
/// "<step> failed: <reason>" (the reason is "The socket was timed out" after `timeout`).
void connectTls(asio::io_context& ioc, TlsStream& stream, const tcp::endpoint& endpoint,
                const std::string& host, std::chrono::milliseconds timeout);

/// Runs `ioc`'s handlers on the calling thread until `done()` holds, `deadline` passes, or no work is
/// left; returns done(). Restarts `ioc` as needed, so it can be called again.
bool runUntil(asio::io_context& ioc, const std::function<bool()>& done,
              std::chrono::steady_clock::time_point deadline);

/// runUntil with a deadline `timeout` from now.
inline bool runFor(asio::io_context& ioc, const std::function<bool()>& done,
                   std::chrono::milliseconds timeout) {
    return runUntil(ioc, done, std::chrono::steady_clock::now() + timeout);
}

}  // namespace cardbridge::net
