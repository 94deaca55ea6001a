// The reviewers' pages under /review: login, queue, request details with inline attachments, approve /
// reject, logout — the routing. Sessions, tokens and time come from the core's ReviewerSessions, the HTML
// from review_pages.hpp, the cookies and forms from http_codecs.hpp. A pure request → response.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "cardbridge/authority/core/unlock_service.hpp"
#include "cardbridge/authority/http/http_types.hpp"

namespace cardbridge::authority::http {

/// Limits of the pages themselves (sessions and logins: ReviewerSessionPolicy in the service's config).
struct ReviewOptions {
    std::size_t formMaxBytes = 8 * 1024;  ///< largest POST form
};

/// Name of the session cookie. The __Host- prefix makes browsers accept it only with Secure, Path=/ and no
/// Domain, from this host itself — a sibling subdomain cannot plant or overwrite it.
inline constexpr std::string_view SESSION_COOKIE = "__Host-cb_review";
/// Name of the login form's double-submit CSRF cookie (Path=/, __Host- like the session's).
inline constexpr std::string_view LOGIN_CSRF_COOKIE = "__Host-cb_login_csrf";

/// Serves /review…. Thread-safe (the service is).
class ReviewSite {
  public:
    /// Keeps a reference to `service`; it must outlive the site.
    ReviewSite(UnlockService& service, ReviewOptions options);

    /// Answers one /review request. Never throws.
    [[nodiscard]] HttpResponse handle(const HttpRequest& request) const noexcept;

    /// The largest POST form accepted.
    [[nodiscard]] std::size_t formMaxBytes() const noexcept { return options_.formMaxBytes; }

  private:
    HttpResponse route(const HttpRequest& request) const;
    std::optional<ReviewerSession> session(const HttpRequest& request) const;
    HttpResponse loginForm(unsigned status, std::string_view error) const;
    HttpResponse login(const HttpRequest& request) const;
    HttpResponse logout(const ReviewerSession& session) const;
    HttpResponse requestPage(const ReviewerSession& session, const std::string& id) const;
    HttpResponse decide(const HttpRequest& request, const ReviewerSession& session, const std::string& id,
                        bool approve) const;

    UnlockService& service_;
    ReviewOptions options_;
};

/// Set-Cookie value of a session: "__Host-cb_review=<token>; Path=/; Max-Age=N; Secure; HttpOnly;
/// SameSite=Strict". Pure.
std::string sessionCookie(std::string_view token, std::chrono::seconds maxAge);

}  // namespace cardbridge::authority::http
