// Plain HTTP request and response values: what the pure routers see and return. No Beast here.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cardbridge::authority::http {

/// One request as the routers see it (already read and bounded by the server).
struct HttpRequest {
    std::string method;                                        ///< "GET", "POST", …
    std::string target;                                        ///< origin-form, e.g. "/v1/unlock-requests?x"
    std::vector<std::pair<std::string, std::string>> headers;  ///< as received
    std::string body;
    std::string clientAddress;                           ///< the peer's IP address (rate limits, audit)
    std::chrono::steady_clock::time_point receivedAt{};  ///< when the server had read it all

    /// The first header named `name` (case-insensitive); "" when absent.
    [[nodiscard]] std::string header(std::string_view name) const;
    /// The target without its query string.
    [[nodiscard]] std::string_view path() const;
};

/// One response before serialisation.
struct HttpResponse {
    unsigned status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    /// The server holds the response until then (uniform timing), on a timer, never on a worker thread.
    std::optional<std::chrono::steady_clock::time_point> notBefore;

    /// Replaces (or adds) header `name`.
    void set(std::string_view name, std::string value);
    /// Adds header `name` (Set-Cookie may repeat).
    void add(std::string_view name, std::string value);
    /// The first header named `name` (case-insensitive); "" when absent.
    [[nodiscard]] std::string header(std::string_view name) const;
};

/// What the HTTPS server asks of the application: a pure request → response function plus the body limit
/// it wants for a request, known from the method and target before the body is read.
class RequestHandler {
  public:
    virtual ~RequestHandler() = default;
    /// Answers one request. Must not throw (errors become responses).
    [[nodiscard]] virtual HttpResponse handle(const HttpRequest& request) const noexcept = 0;
    /// The largest body accepted for `method` `target`.
    [[nodiscard]] virtual std::size_t bodyLimit(std::string_view method,
                                                std::string_view target) const noexcept = 0;
    /// The answer when a body is over bodyLimit (sent before the rest is read; the connection closes).
    [[nodiscard]] virtual HttpResponse bodyTooLarge(std::string_view method,
                                                    std::string_view target) const noexcept = 0;
    /// Decided when the header has arrived, before any of the body is read: a refusal (e.g. 401 for a
    /// missing or wrong API token) is sent at once and the connection closes. nullopt: read on.
    [[nodiscard]] virtual std::optional<HttpResponse> admit(std::string_view method, std::string_view target,
                                                            std::string_view authorization) const noexcept {
        static_cast<void>(method), static_cast<void>(target), static_cast<void>(authorization);
        return std::nullopt;
    }
    /// The answer when the handler queue is full: 503 with Retry-After.
    [[nodiscard]] virtual HttpResponse overloaded(std::string_view method,
                                                  std::string_view target) const noexcept;
};

/// The address a request comes from. `peer` (the TCP peer) unless it is one of `trustedProxies`: then the
/// X-Forwarded-For values (`forwardedFor`, each header's value in order) are read from the right, and the
/// first address that is not a trusted proxy is the client. A malformed entry stops the walk at the last
/// trusted hop. IPv4-mapped IPv6 addresses count as IPv4. Pure.
std::string clientAddressFor(std::string_view peer, const std::vector<std::string>& forwardedFor,
                             const std::vector<std::string>& trustedProxies);

/// Case-insensitive ASCII comparison.
bool equalsIgnoreCase(std::string_view a, std::string_view b) noexcept;

/// The media type of a Content-Type value, lower-cased and without parameters ("application/json").
std::string mediaType(std::string_view contentType);

}  // namespace cardbridge::authority::http
