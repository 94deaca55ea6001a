// A small HTTPS/1.1 client for the unlock-flow tests: any method, headers and body, a deadline on the whole
// exchange, and a server that answers before the body is sent (413 from Content-Length) handled the way a
// browser sees it. Plain OpenSSL on a non-blocking socket: no Beast, so the tests compile quickly, and no
// call can hang a test past its deadline.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cardbridge::test {

/// What to send.
struct HttpsCall {
    std::string method = "GET";
    std::string target = "/";
    std::vector<std::pair<std::string, std::string>> headers;  ///< besides Host, Connection, Content-Length
    std::string body;
    /// Send "Expect: 100-continue" and hold the body until "100 Continue" (or 1 s of silence, as curl does).
    bool expectContinue = false;
    std::chrono::milliseconds timeout{20000};  ///< for connect, handshake, request and response together
};

/// What came back.
struct HttpsReply {
    unsigned status = 0;  ///< 0: the connection ended before a response header
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    bool bodyFullySent = false;  ///< false when the server answered (and closed) before taking all of it
    /// First header `name` (case-insensitive); "" when absent.
    [[nodiscard]] std::string header(const std::string& name) const;
};

/// One exchange with https://127.0.0.1:`port`, the server verified against `rootPem` for "127.0.0.1".
/// Sends "Connection: close". Throws std::runtime_error on connect or TLS failure and on the deadline.
HttpsReply httpsExchange(std::uint16_t port, const std::string& rootPem, const HttpsCall& call);

}  // namespace cardbridge::test
