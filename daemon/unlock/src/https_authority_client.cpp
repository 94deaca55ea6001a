// The real AuthorityClient: one HTTPS connection per attempt (Beast, driven on the calling thread), the
// authority's CA pinned, a deadline on connect and on each request, bounded retries with backoff for calls
// that are safe to repeat. The only file of the unlock module that sees Beast or Asio.
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <optional>
#include <thread>

#include "cardbridge/daemon/unlock/authority_client.hpp"
#include "cardbridge/daemon/unlock/authority_protocol.hpp"
#include "cardbridge/net/beast.hpp"
#include "cardbridge/net/connect.hpp"
#include "cardbridge/net/tls_client.hpp"

namespace cardbridge::daemon::unlock {

namespace {

namespace cnet = ::cardbridge::net;  // spelled out: daemon/net has a namespace of the same name
namespace asio = ::cardbridge::net::asio;
namespace beast = ::cardbridge::net::beast;
namespace http = ::cardbridge::net::http;
using ::cardbridge::net::error_code;
using ::cardbridge::net::tcp;
using Clock = std::chrono::steady_clock;

/// Handlers get this long past their own deadline before the attempt is abandoned (a stuck handler).
constexpr std::chrono::seconds GRACE{1};
constexpr std::size_t MAX_HEADER_BYTES = 16 * 1024;

/// What one attempt gave: an HTTP answer, or how it failed.
struct Attempt {
    std::optional<AttemptFailure> failure;
    std::string detail;  ///< for the log and what(): never a secret
    bool tooLarge = false;
    unsigned status = 0;
    std::string body;
};

/// The request was answered, with an error status the authority may recover from on its own.
bool unavailableStatus(unsigned status) {
    return status == 502 || status == 503 || status == 504;
}

class HttpsAuthorityClient final : public AuthorityClient {
  public:
    explicit HttpsAuthorityClient(AuthorityClientOptions options)
        : options_(std::move(options)), tls_(asio::ssl::context::tls_client) {
        try {
            cnet::configureClientTls(tls_.native_handle(), options_.caPem);
        } catch (const std::exception& e) {
            throw AuthorityConfigError(std::string("authority CA: ") + e.what());
        }
        const bool ipv6 = options_.url.host.find(':') != std::string::npos;
        hostHeader_ = ipv6 ? "[" + options_.url.host + "]" : options_.url.host;
        if (options_.url.port != 443) hostHeader_ += ":" + std::to_string(options_.url.port);
    }

    CreatedRequest createRequest(const CreateRequest& request) override {
        std::string body = createRequestBody(request);
        std::string answer = call(Repeat::Unsafe, http::verb::post, "", body, "create");
        wipe(body);  // it held the handler's ID number
        return decodeCreated(answer);
    }

    CodeSent sendCode(const std::string& requestId) override {
        std::string none;
        return decodeCodeSent(call(Repeat::Unsafe, http::verb::post, path(requestId, "/code"), none, "code"));
    }

    RequestStatus verifyCode(const std::string& requestId, const Secret& code) override {
        const std::string target = path(requestId, "/verify");
        std::string body = verifyBody(code);
        std::string answer;
        try {
            answer = call(Repeat::Unsafe, http::verb::post, target, body, "verify");
        } catch (...) {
            wipe(body);
            throw;
        }
        wipe(body);
        return decodeStatus(answer);
    }

    AttachmentInfo uploadAttachment(const std::string& requestId, const std::string& kind,
                                    ByteView bytes) override {
        // Kinds go into the path: only the documented spelling leaves the machine.
        const bool known = kind == "application_form" || kind == "business_license" || kind == "handler_id";
        if (!known)
            throw AuthorityRefused("ATTACHMENT_KIND", 400, {}, {}, "unknown attachment kind (not sent)");
        std::string body(bytes.begin(), bytes.end());
        return decodeAttachment(call(Repeat::Safe, http::verb::put, path(requestId, "/attachments/" + kind),
                                     body, "attachment", "application/octet-stream"));
    }

    RequestStatus submit(const std::string& requestId) override {
        std::string none;
        return decodeStatus(
            call(Repeat::Unsafe, http::verb::post, path(requestId, "/submit"), none, "submit"));
    }

    RequestStatus status(const std::string& requestId) override {
        std::string none;
        return decodeStatus(call(Repeat::Safe, http::verb::get, path(requestId, ""), none, "status"));
    }

    std::map<std::string, std::string> applicationForm(const std::string& requestId) override {
        std::string none;
        return decodeApplicationForm(call(Repeat::Safe, http::verb::get, path(requestId, "/application-form"),
                                          none, "application form"));
    }

    RequestStatus withdraw(const std::string& requestId) override {
        std::string none;
        return decodeStatus(call(Repeat::Unsafe, http::verb::delete_, path(requestId, ""), none, "withdraw"));
    }

    Credential credential(const std::string& requestId) override {
        std::string none;
        std::string answer =
            call(Repeat::Safe, http::verb::post, path(requestId, "/credential"), none, "credential");
        try {
            Credential result = decodeCredential(answer);
            wipe(answer);
            return result;
        } catch (...) {
            wipe(answer);
            throw;
        }
    }

    RequestStatus complete(const std::string& requestId) override {
        std::string none;
        return decodeStatus(
            call(Repeat::Safe, http::verb::post, path(requestId, "/complete"), none, "complete"));
    }

  private:
    /// "/{id}{suffix}" under the requests collection; a malformed id never leaves the machine.
    static std::string path(const std::string& requestId, const std::string& suffix) {
        if (!isRequestId(requestId)) {
            throw AuthorityRefused("REQUEST_NOT_FOUND", 404, {}, {}, "malformed request id (not sent)");
        }
        return "/" + requestId + suffix;
    }

    /// Runs attempts until one is answered or shouldRetry says stop; returns a 2xx body, else throws.
    std::string call(Repeat repeat, http::verb verb, const std::string& subPath, std::string& body,
                     const char* what, const char* contentType = "application/json") {
        const std::string target = options_.url.basePath + "/v1/unlock-requests" + subPath;
        for (unsigned attempt = 0;; ++attempt) {
            Attempt result = attemptOnce(verb, target, body, contentType);
            if (result.tooLarge) {
                throw AuthorityProtocolError(std::string("the authority's answer to ") + what +
                                             " is too large");
            }
            if (!result.failure) {
                if (result.status >= 200 && result.status < 300) return std::move(result.body);
                throw decodeRefusal(result.status, result.body);
            }
            if (*result.failure == AttemptFailure::TlsVerification) {
                throw AuthorityTlsFailure(std::string("authority ") + what + ": " + result.detail);
            }
            if (!shouldRetry(repeat, *result.failure, attempt, options_.retries)) {
                if (*result.failure == AttemptFailure::ServerUnavailable) {
                    AuthorityRefused refusal = decodeRefusal(result.status, result.body);
                    // The authority's own 503 (SMS_UNAVAILABLE, UNAVAILABLE) is an answer; a proxy's is not.
                    if (!refusal.reason().starts_with("HTTP_")) throw refusal;
                }
                throw AuthorityUnreachable(std::string("authority ") + what + ": " + result.detail + " (" +
                                           std::to_string(attempt + 1) + " attempt" +
                                           (attempt == 0 ? "" : "s") + ")");
            }
            const auto pause = backoffDelay(attempt, options_.backoffBase, options_.backoffMax);
            spdlog::warn("authority {}: attempt {} failed ({}); retrying in {} ms", what, attempt + 1,
                         result.detail, pause.count());
            std::this_thread::sleep_for(pause);
        }
    }

    /// One connection, one request, one response. Never throws for network trouble: it is in the result.
    Attempt attemptOnce(http::verb verb, const std::string& target, const std::string& body,
                        const char* contentType) {
        asio::io_context ioc;
        Attempt result;
        const auto connectDeadline = Clock::now() + options_.connectTimeout;

        tcp::resolver resolver(ioc);
        bool resolved = false;
        error_code resolveEc;
        tcp::resolver::results_type endpoints;
        resolver.async_resolve(options_.url.host, std::to_string(options_.url.port),
                               tcp::resolver::numeric_service,
                               [&](error_code ec, tcp::resolver::results_type found) {
                                   resolved = true;
                                   resolveEc = ec;
                                   endpoints = std::move(found);
                               });
        if (!cnet::runUntil(
                ioc, [&] { return resolved; }, connectDeadline)) {
            resolver.cancel();
            cnet::runFor(
                ioc, [&] { return resolved; }, GRACE);
            result.failure = AttemptFailure::ConnectFailed;
            result.detail = "resolving " + options_.url.host + " timed out";
            return result;
        }
        if (resolveEc || endpoints.empty()) {
            result.failure = AttemptFailure::ConnectFailed;
            result.detail = "cannot resolve " + options_.url.host + ": " + resolveEc.message();
            return result;
        }

        std::optional<cnet::TlsStream> stream;
        bool connected = false;
        for (const auto& entry : endpoints) {
            stream.emplace(ioc, tls_);
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(connectDeadline - Clock::now());
            if (left.count() <= 0) break;
            bool done = false;
            error_code ec;
            std::string step;
            cnet::asyncConnectTls(*stream, entry.endpoint(), options_.url.host, left,
                                  [&](error_code e, std::string_view s) {
                                      done = true;
                                      ec = e;
                                      step = s;
                                  });
            if (!cnet::runUntil(
                    ioc, [&] { return done; }, connectDeadline + GRACE)) {
                beast::get_lowest_layer(*stream).close();
                cnet::runFor(
                    ioc, [&] { return done; }, GRACE);
                ec = beast::error::timeout;
                step = "connect";
            }
            if (!ec) {
                connected = true;
                result.failure.reset();
                break;
            }
            const long verify = SSL_get_verify_result(stream->native_handle());
            if (step != "connect" && verify != X509_V_OK) {
                result.failure = AttemptFailure::TlsVerification;
                result.detail = std::string("the certificate does not verify against authority.caFile for ") +
                                options_.url.host + ": " + X509_verify_cert_error_string(verify);
                return result;
            }
            // Connect or handshake failed before the request was written: nothing was sent.
            result.failure = AttemptFailure::ConnectFailed;
            result.detail = step + " to " + hostHeader_ + " failed: " + ec.message();
        }
        if (!connected) {
            if (!result.failure) {
                result.failure = AttemptFailure::ConnectFailed;
                result.detail = "connect to " + hostHeader_ + " timed out";
            }
            return result;
        }

        http::request<http::string_body> request{verb, target, 11};
        request.set(http::field::host, hostHeader_);
        request.set(http::field::user_agent, "cardbridged");
        request.set(http::field::accept, "application/json");
        {
            std::string authorization = "Bearer ";
            authorization += options_.token.view();
            request.set(http::field::authorization, authorization);
            wipe(authorization);
        }
        if (!body.empty()) {
            request.set(http::field::content_type, contentType);
            request.body() = body;
        }
        request.keep_alive(false);
        request.prepare_payload();

        http::response_parser<http::string_body> parser;
        parser.body_limit(options_.maxResponseBytes);
        parser.header_limit(static_cast<std::uint32_t>(MAX_HEADER_BYTES));
        beast::flat_buffer buffer;
        bool done = false;
        error_code ioEc;
        beast::get_lowest_layer(*stream).expires_after(options_.requestTimeout);
        http::async_write(*stream, request, [&](error_code writeEc, std::size_t) {
            if (writeEc) {
                done = true;
                ioEc = writeEc;
                return;
            }
            http::async_read(*stream, buffer, parser, [&](error_code readEc, std::size_t) {
                done = true;
                ioEc = readEc;
            });
        });
        const auto requestDeadline = Clock::now() + options_.requestTimeout + GRACE;
        if (!cnet::runUntil(
                ioc, [&] { return done; }, requestDeadline)) {
            beast::get_lowest_layer(*stream).close();
            cnet::runFor(
                ioc, [&] { return done; }, GRACE);
            ioEc = beast::error::timeout;
        }
        wipe(request.body());
        error_code ignored;
        beast::get_lowest_layer(*stream).socket().close(ignored);
        if (ioEc == http::error::body_limit) {
            // An answer, but not one to trust: no retry, and no attempt to read it.
            result.tooLarge = true;
            result.status = parser.get().result_int();
            return result;
        }
        if (ioEc) {
            result.failure = AttemptFailure::Transport;
            result.detail = describe(verb, target) + ": " + ioEc.message();
            return result;
        }
        result.status = parser.get().result_int();
        result.body = std::move(parser.get().body());
        if (unavailableStatus(result.status)) {
            result.failure = AttemptFailure::ServerUnavailable;
            result.detail = describe(verb, target) + ": HTTP " + std::to_string(result.status);
        }
        return result;
    }

    static std::string describe(http::verb verb, const std::string& target) {
        const auto name = http::to_string(verb);
        return std::string(name.data(), name.size()) + " " + target;
    }

    AuthorityClientOptions options_;
    asio::ssl::context tls_;  // configured once; every connection copies its settings
    std::string hostHeader_;
};

}  // namespace

std::unique_ptr<AuthorityClient> makeHttpsAuthorityClient(AuthorityClientOptions options) {
    return std::make_unique<HttpsAuthorityClient>(std::move(options));
}

}  // namespace cardbridge::daemon::unlock
