// Running an io_context on several threads, the same way in every server of ours. No Beast or Asio
// headers here (io_context is only declared).
#pragma once

#include <chrono>
#include <string_view>

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace cardbridge::net {

/// Runs `ioc` on the calling thread plus `threads - 1` more until it stops, then joins them. Handlers do
/// not throw by design; one that does is logged (prefixed by `logPrefix`) and its thread goes back to
/// serving the other connections. Never throws: a thread that cannot be started is logged and the rest
/// serve.
void runIoThreads(boost::asio::io_context& ioc, unsigned threads, std::string_view logPrefix = {});

/// Stops `ioc` once `grace` has passed, giving connections time for their close handshakes. Call from
/// one of `ioc`'s threads or any other.
void stopAfter(boost::asio::io_context& ioc, std::chrono::milliseconds grace);

}  // namespace cardbridge::net
