// Load generator and connection holder for the daemon benchmarks: asynchronous Beast WSS clients on one
// io_context driven by the calling thread. Beast stays in wss_load.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cardbridge::bench {

/// Where to connect: wss://127.0.0.1:port/ with this Origin; the chain is verified against rootCaPem.
struct WssTarget {
    std::uint16_t port = 0;
    std::string rootCaPem;
    std::string origin;
};

/// What a closed-loop run measured.
struct LoadResult {
    std::uint64_t requests = 0;     ///< replies received inside the measured window
    std::uint64_t errors = 0;       ///< of those, replies holding a JSON-RPC error object
    double seconds = 0;             ///< length of the measured window
    std::vector<double> latencyUs;  ///< per request, sent → whole reply read, inside the window
    std::size_t replyBytes = 0;     ///< size of the last reply
    std::string firstError;         ///< first error reply, for the report
};

/// N open WSS connections (TLS + WebSocket handshake done), all on one io_context.
class WssConnections {
  public:
    /// Opens `count` connections, at most `parallel` handshakes at a time. Throws std::runtime_error
    /// when one fails or the whole opening takes longer than `timeout`.
    WssConnections(const WssTarget& target, unsigned count, unsigned parallel = 32,
                   std::chrono::milliseconds timeout = std::chrono::seconds(120));
    ~WssConnections();
    WssConnections(const WssConnections&) = delete;
    WssConnections& operator=(const WssConnections&) = delete;

    /// Number of open connections.
    [[nodiscard]] std::size_t size() const;

    /// Sends `request` once on every connection and waits for every reply; returns the last reply.
    /// Throws std::runtime_error on timeout or a connection error.
    std::string callAll(const std::string& request,
                        std::chrono::milliseconds timeout = std::chrono::seconds(30));

    /// Closed loop on every connection: send `request`, wait for the reply, send again, for `warmup`
    /// and then `measure`; only requests sent after the warm-up and answered before its end count.
    LoadResult closedLoop(const std::string& request, std::chrono::milliseconds warmup,
                          std::chrono::milliseconds measure);

    /// Closes every connection (WebSocket close, bounded to a few seconds).
    void close();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace cardbridge::bench
