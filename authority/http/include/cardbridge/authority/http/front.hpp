// The authority's one RequestHandler: /v1/… to the API router, /review… to the reviewers' pages.
#pragma once

#include "cardbridge/authority/http/api_router.hpp"
#include "cardbridge/authority/http/http_types.hpp"
#include "cardbridge/authority/http/review_site.hpp"

namespace cardbridge::authority::http {

/// Dispatches by path prefix; "/" redirects to /review/. Thread-safe.
class AuthorityFront final : public RequestHandler {
  public:
    /// Keeps references; both must outlive the front.
    AuthorityFront(const ApiRouter& api, const ReviewSite& review) : api_(api), review_(review) {}

    [[nodiscard]] HttpResponse handle(const HttpRequest& request) const noexcept override;
    [[nodiscard]] std::size_t bodyLimit(std::string_view method,
                                        std::string_view target) const noexcept override;
    [[nodiscard]] HttpResponse bodyTooLarge(std::string_view method,
                                            std::string_view target) const noexcept override;

  private:
    const ApiRouter& api_;
    const ReviewSite& review_;
};

}  // namespace cardbridge::authority::http
