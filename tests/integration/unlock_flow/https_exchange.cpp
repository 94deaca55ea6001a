// Non-blocking OpenSSL client: reads are tried before writes on every turn, so a server that answers early
// (and closes) is heard even when the rest of the body can no longer be written.
#include "https_exchange.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string_view>

#include "cardbridge/net/tls_client.hpp"

namespace cardbridge::test {

namespace {

using Clock = std::chrono::steady_clock;

struct SslCtxFree {
    void operator()(SSL_CTX* ctx) const noexcept { SSL_CTX_free(ctx); }
};
struct SslFree {
    void operator()(SSL* ssl) const noexcept { SSL_free(ssl); }
};

class Socket {
  public:
    Socket() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) {
        if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    ~Socket() { ::close(fd_); }
    [[nodiscard]] int fd() const noexcept { return fd_; }

  private:
    int fd_;
};

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string sslErrors() {
    std::string out;
    while (const unsigned long e = ERR_get_error()) {
        char text[256];
        ERR_error_string_n(e, text, sizeof text);
        out += std::string(out.empty() ? "" : "; ") + text;
    }
    return out.empty() ? std::string("(no OpenSSL error)") : out;
}

// Polls `fd` for `events` for at most 20 ms (the caller loops until its deadline).
void pollBriefly(int fd, short events) {
    pollfd p{fd, events, 0};
    ::poll(&p, 1, 20);
}

void waitFor(int fd, short events, Clock::time_point deadline, const char* what) {
    if (Clock::now() >= deadline) throw std::runtime_error(std::string(what) + " timed out");
    pollBriefly(fd, events);
}

struct Head {
    unsigned status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::size_t end = 0;  // offset just past the blank line
};

std::string trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return std::string(s);
}

std::optional<Head> parseHead(const std::string& in) {
    const std::size_t blank = in.find("\r\n\r\n");
    if (blank == std::string::npos) return std::nullopt;
    Head head;
    head.end = blank + 4;
    std::size_t lineStart = 0;
    std::size_t lineEnd = in.find("\r\n");
    const std::string statusLine = in.substr(0, lineEnd);
    const std::size_t space = statusLine.find(' ');
    if (space == std::string::npos) throw std::runtime_error("malformed status line: " + statusLine);
    head.status = static_cast<unsigned>(std::stoul(statusLine.substr(space + 1, 3)));
    lineStart = lineEnd + 2;
    while (lineStart < blank) {
        lineEnd = in.find("\r\n", lineStart);
        const std::string line = in.substr(lineStart, lineEnd - lineStart);
        const std::size_t colon = line.find(':');
        if (colon != std::string::npos) {
            head.headers.emplace_back(trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
        }
        lineStart = lineEnd + 2;
    }
    return head;
}

std::string headerOf(const Head& head, std::string_view name) {
    for (const auto& [key, value] : head.headers) {
        if (iequals(key, name)) return value;
    }
    return {};
}

// True when the body after `head` is complete (`eof`: the server closed); the decoded body goes to `body`.
bool bodyComplete(const Head& head, const std::string& in, bool eof, std::string& body) {
    const std::string length = headerOf(head, "Content-Length");
    if (!length.empty()) {
        const std::size_t want = std::stoul(length);
        if (in.size() - head.end < want) return false;
        body = in.substr(head.end, want);
        return true;
    }
    if (iequals(headerOf(head, "Transfer-Encoding"), "chunked")) {
        std::string out;
        std::size_t at = head.end;
        for (;;) {
            const std::size_t lineEnd = in.find("\r\n", at);
            if (lineEnd == std::string::npos) return false;
            const std::size_t size = std::stoul(in.substr(at, lineEnd - at), nullptr, 16);
            if (size == 0) {
                body = std::move(out);
                return true;
            }
            if (in.size() < lineEnd + 2 + size + 2) return false;
            out += in.substr(lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }
    }
    if (!eof) return false;
    body = in.substr(head.end);
    return true;
}

}  // namespace

std::string HttpsReply::header(const std::string& name) const {
    for (const auto& [key, value] : headers) {
        if (iequals(key, name)) return value;
    }
    return {};
}

HttpsReply httpsExchange(std::uint16_t port, const std::string& rootPem, const HttpsCall& call) {
    // OpenSSL writes with write(2): a server that closes early must not kill the test with SIGPIPE.
    static const bool sigpipeIgnored = [] {
        ::signal(SIGPIPE, SIG_IGN);
        return true;
    }();
    (void)sigpipeIgnored;
    const auto deadline = Clock::now() + call.timeout;

    Socket socket;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(socket.fd(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        if (errno != EINPROGRESS) throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
        for (;;) {
            pollfd p{socket.fd(), POLLOUT, 0};
            if (::poll(&p, 1, 20) > 0) break;
            if (Clock::now() >= deadline) throw std::runtime_error("connect timed out");
        }
        int error = 0;
        socklen_t size = sizeof error;
        ::getsockopt(socket.fd(), SOL_SOCKET, SO_ERROR, &error, &size);
        if (error != 0) throw std::runtime_error(std::string("connect: ") + std::strerror(error));
    }

    std::unique_ptr<SSL_CTX, SslCtxFree> context(SSL_CTX_new(TLS_client_method()));
    if (!context) throw std::runtime_error("SSL_CTX_new: " + sslErrors());
    net::configureClientTls(context.get(), rootPem);
    std::unique_ptr<SSL, SslFree> ssl(SSL_new(context.get()));
    if (!ssl || !net::expectServerName(ssl.get(), "127.0.0.1") || SSL_set_fd(ssl.get(), socket.fd()) != 1) {
        throw std::runtime_error("SSL setup: " + sslErrors());
    }
    SSL_ctrl(ssl.get(), SSL_CTRL_MODE,
             static_cast<long>(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER), nullptr);
    for (;;) {
        ERR_clear_error();
        const int r = SSL_connect(ssl.get());
        if (r == 1) break;
        const int e = SSL_get_error(ssl.get(), r);
        if (e == SSL_ERROR_WANT_READ) {
            waitFor(socket.fd(), POLLIN, deadline, "TLS handshake");
        } else if (e == SSL_ERROR_WANT_WRITE) {
            waitFor(socket.fd(), POLLOUT, deadline, "TLS handshake");
        } else {
            throw std::runtime_error("TLS handshake failed: " + sslErrors());
        }
    }

    std::string head = call.method + " " + call.target +
                       " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\nConnection: close\r\n";
    if (!call.body.empty() || call.method == "POST" || call.method == "PUT") {
        head += "Content-Length: " + std::to_string(call.body.size()) + "\r\n";
    }
    for (const auto& [name, value] : call.headers) head += name + ": " + value + "\r\n";
    if (call.expectContinue) head += "Expect: 100-continue\r\n";
    head += "\r\n";

    std::string out = head;
    std::size_t written = 0;
    bool bodyQueued = !call.expectContinue;
    if (bodyQueued) out += call.body;
    std::optional<Clock::time_point> headSentAt;
    bool writeClosed = false;
    bool eof = false;
    std::string in;
    HttpsReply reply;
    for (;;) {
        if (Clock::now() >= deadline) throw std::runtime_error("HTTPS exchange timed out");
        bool progressed = false;

        char buffer[16384];
        ERR_clear_error();
        const int got = SSL_read(ssl.get(), buffer, sizeof buffer);
        if (got > 0) {
            in.append(buffer, static_cast<std::size_t>(got));
            progressed = true;
        } else {
            const int e = SSL_get_error(ssl.get(), got);
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) eof = true;
        }

        while (auto parsed = parseHead(in)) {
            if (parsed->status >= 100 && parsed->status < 200) {
                in.erase(0, parsed->end);
                if (parsed->status == 100 && !bodyQueued) {
                    out += call.body;
                    bodyQueued = true;
                }
                continue;
            }
            std::string body;
            if (bodyComplete(*parsed, in, eof, body)) {
                reply.status = parsed->status;
                reply.headers = std::move(parsed->headers);
                reply.body = std::move(body);
                reply.bodyFullySent = bodyQueued && written == out.size();
                return reply;
            }
            break;
        }
        if (eof) {
            if (const auto parsed = parseHead(in)) {  // closed in the middle of the body
                reply.status = parsed->status;
                reply.headers = parsed->headers;
                reply.body = in.substr(parsed->end);
            }
            reply.bodyFullySent = bodyQueued && written == out.size();
            return reply;
        }

        if (!writeClosed && written < out.size()) {
            ERR_clear_error();
            const std::size_t chunk = std::min<std::size_t>(out.size() - written, 16384);
            const int sent = SSL_write(ssl.get(), out.data() + written, static_cast<int>(chunk));
            if (sent > 0) {
                written += static_cast<std::size_t>(sent);
                progressed = true;
            } else {
                const int e = SSL_get_error(ssl.get(), sent);
                if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) writeClosed = true;
            }
        }
        if (!headSentAt && written >= head.size()) headSentAt = Clock::now();
        if (!bodyQueued && headSentAt && Clock::now() - *headSentAt > std::chrono::seconds(1)) {
            out += call.body;  // no "100 Continue" within 1 s: send the body anyway, as curl does
            bodyQueued = true;
        }
        if (!progressed) {
            pollBriefly(socket.fd(),
                        static_cast<short>(POLLIN | (!writeClosed && written < out.size() ? POLLOUT : 0)));
        }
    }
}

}  // namespace cardbridge::test
