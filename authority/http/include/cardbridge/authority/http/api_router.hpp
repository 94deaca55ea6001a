// The daemon-facing REST API (DESIGN.md §5, docs/authority-api.md): a pure request → response router
// over UnlockService. Testable without sockets.
#pragma once

#include <chrono>
#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cardbridge/authority/core/unlock_service.hpp"
#include "cardbridge/authority/http/http_types.hpp"

namespace cardbridge::authority::http {

/// Limits and access control of the API.
struct ApiOptions {
    /// Bearer tokens allowed to call /v1/ (one per daemon installation); a request is bound to the token
    /// that created it. Empty: no token is asked for (serve allows this only with --dev).
    std::vector<std::string> bearerTokens;
    std::size_t jsonMaxBytes = 64 * 1024;     ///< largest JSON body
    int jsonMaxDepth = 8;                     ///< deepest JSON nesting accepted
    std::size_t attachmentSlackBytes = 4096;  ///< read this much more than the service's attachment limit
    /// The create call answers no sooner than this after the request was read, on every path (either
    /// route, any refusal), so its timing does not tell the route: the response's notBefore.
    std::chrono::milliseconds createMinimumDuration{0};
};

/// Routes /v1/… to the UnlockService. Thread-safe (the service is).
class ApiRouter {
  public:
    /// Keeps a reference to `service`; it must outlive the router.
    ApiRouter(UnlockService& service, ApiOptions options);

    /// Answers one /v1/ request. Never throws: every failure becomes {"error":{reason, message, …}}. The
    /// create call's response carries notBefore = receivedAt + createMinimumDuration.
    [[nodiscard]] HttpResponse handle(const HttpRequest& request) const noexcept;

    /// The body limit for `method` `target` (attachments: the service's attachmentMaxBytes() + slack; else
    /// jsonMaxBytes).
    [[nodiscard]] std::size_t bodyLimit(std::string_view method, std::string_view target) const noexcept;

    /// When the header is in: 401 UNAUTHENTICATED (WWW-Authenticate: Bearer) unless a configured token is
    /// presented (or none is configured); nullopt to read on.
    [[nodiscard]] std::optional<HttpResponse> admit(std::string_view method, std::string_view target,
                                                    std::string_view authorization) const noexcept;

    /// 413 ATTACHMENT_TOO_LARGE {limit} for attachment uploads, 413 BODY_TOO_LARGE otherwise.
    [[nodiscard]] HttpResponse bodyTooLarge(std::string_view method, std::string_view target) const noexcept;

  private:
    HttpResponse route(const HttpRequest& request) const;
    UnlockService& service_;
    ApiOptions options_;
};

/// The one place an exception becomes an API error response: AuthorityError → its status,
/// {"error":{"reason", "message", …extra}}; anything else → 500 INTERNAL (what() logged, not sent).
HttpResponse apiErrorResponse(std::exception_ptr error) noexcept;

/// The id a request is bound to for bearer token `token`: 32 hex digits of SHA-256("cardbridge-installation:"
/// ‖ token), so storage never holds the token. Throws OpenSslError.
std::string installationId(std::string_view token);

/// A JSON response with the API's headers (no-store, nosniff).
HttpResponse jsonResponse(unsigned status, const nlohmann::json& body);

}  // namespace cardbridge::authority::http
