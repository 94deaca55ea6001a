// The authority's one RequestHandler: /v1/… to the API router, /review… to the reviewers' pages.
#pragma once

#include "cardbridge/authority/http/api_router.hpp"
#include "cardbridge/authority/http/http_types.hpp"
#include "cardbridge/authority/http/review_site.hpp"

namespace cardbridge::authority::http {

/// Dispatches by path prefix; "/" redirects to /review/; GET /health answers 200 {"status":"ok"} without
/// a token (liveness for monitors). Thread-safe.
class AuthorityFront final : public RequestHandler {
  public:
    /// Keeps references; both must outlive the front.
    AuthorityFront(const ApiRouter& api, const ReviewSite& review) : api_(api), review_(review) {}

    [[nodiscard]] HttpResponse handle(const HttpRequest& request) const noexcept override;
    [[nodiscard]] std::size_t bodyLimit(std::string_view method,
                                        std::string_view target) const noexcept override;
    [[nodiscard]] HttpResponse bodyTooLarge(std::string_view method,
                                            std::string_view target) const noexcept override;
    /// /v1/: the API's token check; everything else reads on.
    [[nodiscard]] std::optional<HttpResponse> admit(std::string_view method, std::string_view target,
                                                    std::string_view authorization) const noexcept override;
    /// /v1/: a JSON 503 UNAVAILABLE; pages: plain text; both with Retry-After.
    [[nodiscard]] HttpResponse overloaded(std::string_view method,
                                          std::string_view target) const noexcept override;

  private:
    const ApiRouter& api_;
    const ReviewSite& review_;
};

}  // namespace cardbridge::authority::http
