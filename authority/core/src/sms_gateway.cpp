#include "cardbridge/authority/core/sms_gateway.hpp"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "cardbridge/common/error.hpp"
#include "cardbridge/common/openssl.hpp"
#include "cardbridge/common/secret.hpp"
#include "cardbridge/common/time.hpp"

namespace cardbridge::authority {

namespace {

std::string messageJson(const SmsMessage& m) {
    return nlohmann::json{
        {"time", isoTime(m.time)}, {"phone", m.phone}, {"text", m.text}, {"requestId", m.requestId}}
        .dump();
}

using SslCtxPtr = std::unique_ptr<SSL_CTX, OpenSslDeleter<SSL_CTX_free>>;

}  // namespace

OutboxSmsGateway::OutboxSmsGateway(std::filesystem::path path) : path_(std::move(path)) {}

void OutboxSmsGateway::send(const SmsMessage& message) {
    std::string line = messageJson(message) + "\n";
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) throw RetryableError("SMS outbox " + path_.string() + " cannot be opened");
    std::size_t done = 0;
    while (done < line.size()) {
        const ssize_t n = ::write(fd, line.data() + done, line.size() - done);
        if (n <= 0) {
            ::close(fd);
            wipe(line);
            throw RetryableError("SMS outbox " + path_.string() + " cannot be written");
        }
        done += static_cast<std::size_t>(n);
    }
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    wipe(line);
    if (!synced) throw RetryableError("SMS outbox " + path_.string() + " cannot be synced");
}

WebhookSmsGateway::WebhookSmsGateway(std::string url, std::vector<std::filesystem::path> caFiles,
                                     int timeoutSeconds)
    : caFiles_(std::move(caFiles)), timeoutSeconds_(timeoutSeconds) {
    std::string_view rest = url;
    if (rest.starts_with("https://")) {
        tls_ = true;
        rest.remove_prefix(8);
    } else if (rest.starts_with("http://")) {
        rest.remove_prefix(7);
    } else {
        throw InputError("SMS webhook URL must start with http:// or https://");
    }
    const auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    path_ = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    const auto colon = authority.rfind(':');
    const auto bracket = authority.find(']');
    if (authority.starts_with('[') && bracket != std::string_view::npos) {  // [IPv6] or [IPv6]:port
        host_ = authority.substr(0, bracket + 1);
        port_ = bracket + 1 < authority.size() && authority[bracket + 1] == ':'
                    ? authority.substr(bracket + 2)
                    : (tls_ ? "443" : "80");
    } else if (colon != std::string_view::npos && bracket == std::string_view::npos) {
        host_ = authority.substr(0, colon);
        port_ = authority.substr(colon + 1);
    } else {
        host_ = authority;
        port_ = tls_ ? "443" : "80";
    }
    if (host_.empty() || port_.empty() || port_.find_first_not_of("0123456789") != std::string::npos ||
        host_.find_first_of(" \r\n@") != std::string::npos ||
        path_.find_first_of(" \r\n") != std::string::npos) {
        throw InputError("SMS webhook URL is malformed");
    }
    // Codes and phone numbers never cross a network in clear: plain http:// only to this machine (tests,
    // or a local relay that does its own TLS).
    if (!tls_) {
        const bool loopback =
            host_ == "localhost" || host_ == "[::1]" || host_ == "::1" ||
            (host_.starts_with("127.") && host_.find_first_not_of("0123456789.") == std::string::npos);
        if (!loopback) {
            throw InputError("SMS webhook URL must be https:// (http:// only to a loopback address)");
        }
    }
    if (timeoutSeconds_ <= 0) timeoutSeconds_ = 10;
}

void WebhookSmsGateway::send(const SmsMessage& message) {
    std::string body = messageJson(message);
    std::string request =
        "POST " + path_ + " HTTP/1.1\r\nHost: " + host_ + ":" + port_ +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\nConnection: close\r\nUser-Agent: cardbridge-authority\r\n\r\n" + body;
    wipe(body);
    struct Cleanup {
        std::string& text;
        ~Cleanup() { wipe(text); }
    } cleanup{request};

    BioPtr connect(BIO_new_connect((host_ + ":" + port_).c_str()));
    if (!connect) throwOpenSsl("BIO_new_connect");
    BIO_set_nbio(connect.get(), 1);
    if (BIO_do_connect_retry(connect.get(), timeoutSeconds_, -1) != 1) {
        ERR_clear_error();
        throw RetryableError("SMS webhook " + host_ + ":" + port_ + " unreachable");
    }
    // Back to blocking I/O with socket deadlines for the exchange.
    int fd = -1;
    BIO_get_fd(connect.get(), &fd);
    if (fd < 0) throw RetryableError("SMS webhook: no socket");
    const int flags = ::fcntl(fd, F_GETFL);
    ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    BIO_set_nbio(connect.get(), 0);
    timeval tv{};
    tv.tv_sec = timeoutSeconds_;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);

    SslCtxPtr ctx;
    BIO* io = connect.get();
    BioPtr chain;
    if (tls_) {
        ctx.reset(SSL_CTX_new(TLS_client_method()));
        if (!ctx) throwOpenSsl("SSL_CTX_new");
        SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
        SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
        // Configured CA files pin the provider's CA: then the system store is not consulted at all.
        if (caFiles_.empty()) SSL_CTX_set_default_verify_paths(ctx.get());
        for (const auto& ca : caFiles_) {
            if (SSL_CTX_load_verify_locations(ctx.get(), ca.c_str(), nullptr) != 1) {
                ERR_clear_error();
                throw RetryableError("SMS webhook CA file " + ca.string() + " cannot be loaded");
            }
        }
        BIO* ssl = BIO_new_ssl(ctx.get(), 1);
        if (ssl == nullptr) throwOpenSsl("BIO_new_ssl");
        SSL* s = nullptr;
        BIO_ctrl(ssl, BIO_C_GET_SSL, 0, static_cast<void*>(&s));
        SSL_ctrl(s, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(host_.c_str()));
        SSL_set1_host(s, host_.c_str());
        chain.reset(BIO_push(ssl, connect.release()));
        io = chain.get();
        if (BIO_do_handshake(io) != 1) {
            ERR_clear_error();
            throw RetryableError("SMS webhook TLS handshake with " + host_ + " failed");
        }
    }
    std::size_t done = 0;
    while (done < request.size()) {
        std::size_t written = 0;
        if (BIO_write_ex(io, request.data() + done, request.size() - done, &written) != 1) {
            ERR_clear_error();
            throw RetryableError("SMS webhook write failed");
        }
        done += written;
    }
    std::string response;
    char buffer[4096];
    while (response.size() < 64 * 1024) {
        std::size_t got = 0;
        if (BIO_read_ex(io, buffer, sizeof buffer, &got) != 1 || got == 0) break;
        response.append(buffer, got);
        if (response.find("\r\n") != std::string::npos) break;  // the status line is all we need
    }
    ERR_clear_error();
    if (!response.starts_with("HTTP/1.") || response.size() < 12) {
        throw RetryableError("SMS webhook gave no HTTP response");
    }
    const int status = std::atoi(response.substr(9, 3).c_str());
    if (status < 200 || status > 299) {
        throw RetryableError("SMS webhook answered HTTP " + std::to_string(status));
    }
}

std::unique_ptr<SmsGateway> makeSmsGateway(const SmsGatewayConfig& config,
                                           const std::filesystem::path& dataDir) {
    if (config.kind == "webhook") {
        return std::make_unique<WebhookSmsGateway>(config.webhookUrl, config.webhookCaFiles,
                                                   config.webhookTimeoutSeconds);
    }
    if (config.kind != "outbox") throw InputError("unknown SMS gateway kind '" + config.kind + "'");
    return std::make_unique<OutboxSmsGateway>(config.outboxPath.empty() ? dataDir / "sms-outbox.jsonl"
                                                                        : config.outboxPath);
}

}  // namespace cardbridge::authority
