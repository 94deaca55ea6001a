// The reviewers' pages under /review: login, queue, request details with inline attachments, approve /
// reject. Server-rendered HTML (Chinese first, English second), no script; a pure request → response.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "cardbridge/authority/http/http_types.hpp"
#include "cardbridge/authority/unlock_service.hpp"
#include "cardbridge/common/clock.hpp"

namespace cardbridge::authority::http {

/// Session and login limits.
struct ReviewOptions {
    std::chrono::minutes sessionLifetime{480};  ///< absolute session life from login
    int loginAttemptsPerWindow = 10;            ///< per client address
    std::chrono::minutes loginWindow{15};
    std::size_t formMaxBytes = 8 * 1024;  ///< largest POST form
};

/// Name of the session cookie (Path=/review).
inline constexpr std::string_view SESSION_COOKIE = "cb_review";
/// Name of the login form's double-submit CSRF cookie (Path=/review/login).
inline constexpr std::string_view LOGIN_CSRF_COOKIE = "cb_login_csrf";

/// Serves /review…. Thread-safe (the service and storage are).
class ReviewSite {
  public:
    /// Keeps references; they must outlive the site.
    ReviewSite(UnlockService& service, const Clock& clock, ReviewOptions options);

    /// Answers one /review request. Never throws.
    [[nodiscard]] HttpResponse handle(const HttpRequest& request) const noexcept;

    [[nodiscard]] std::size_t formMaxBytes() const noexcept { return options_.formMaxBytes; }

  private:
    struct Session;
    HttpResponse route(const HttpRequest& request) const;
    std::optional<Session> session(const HttpRequest& request) const;
    HttpResponse login(const HttpRequest& request) const;
    HttpResponse loginPage(std::string_view error, unsigned status) const;
    HttpResponse logout(const HttpRequest& request, const Session& s) const;
    HttpResponse queuePage(const Session& s) const;
    HttpResponse requestPage(const Session& s, const std::string& id) const;
    HttpResponse attachment(const Session& s, const std::string& id, const std::string& kind) const;
    HttpResponse decide(const HttpRequest& request, const Session& s, const std::string& id,
                        bool approve) const;

    UnlockService& service_;
    const Clock& clock_;
    ReviewOptions options_;
};

/// Escapes & < > " ' for HTML text and attribute values. Pure.
std::string htmlEscape(std::string_view text);

/// Set-Cookie value of a session: "<name>=<token>; Path=/review; Max-Age=N; Secure; HttpOnly;
/// SameSite=Strict". Pure.
std::string sessionCookie(std::string_view token, std::chrono::seconds maxAge);

/// The CSRF token of a session, derived from its token (SHA-256 over a label and the token), so forms can
/// carry it while storage keeps only hashes. Throws OpenSslError.
std::string csrfTokenFor(std::string_view sessionToken);

/// Value of cookie `name` in a Cookie header; nullopt when absent. Pure.
std::optional<std::string> cookieValue(std::string_view cookieHeader, std::string_view name);

/// Parses application/x-www-form-urlencoded ('+' is a space, %XX escapes); a malformed escape or a
/// repeated field gives nullopt. Pure.
std::optional<std::map<std::string, std::string>> parseForm(std::string_view body);

/// Headers every page carries: CSP without any script (frame-ancestors 'none'), X-Frame-Options DENY,
/// Referrer-Policy no-referrer, Cache-Control no-store, X-Content-Type-Options nosniff.
std::vector<std::pair<std::string, std::string>> pageSecurityHeaders();

/// "2025-01-02 11:04" in Asia/Shanghai (UTC+8, no daylight saving). Pure.
std::string shanghaiTime(Seconds time);

}  // namespace cardbridge::authority::http
