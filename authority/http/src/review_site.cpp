// Routing of the reviewers' pages: which page, which session, which CSRF check. Every POST checks the
// session's CSRF token in constant time (through ReviewerSessions); the login form uses a double-submit
// cookie instead, since it has no session yet.
#include "cardbridge/authority/http/review_site.hpp"

#include <spdlog/spdlog.h>

#include "cardbridge/authority/core/errors.hpp"
#include "cardbridge/authority/http/http_codecs.hpp"
#include "cardbridge/authority/http/review_pages.hpp"
#include "cardbridge/common/digest.hpp"
#include "cardbridge/common/secret.hpp"

namespace cardbridge::authority::http {

namespace {

constexpr std::string_view LOGIN_PATH = "/review/login";
constexpr std::string_view COOKIE_PATH = "/";  // __Host- cookies must have Path=/
constexpr std::chrono::seconds LOGIN_FORM_LIFETIME{3600};

bool isForm(const HttpRequest& request) {
    return mediaType(request.header("Content-Type")) == "application/x-www-form-urlencoded";
}

}  // namespace

ReviewSite::ReviewSite(UnlockService& service, ReviewOptions options)
    : service_(service), options_(options) {}

HttpResponse ReviewSite::handle(const HttpRequest& request) const noexcept {
    try {
        try {
            return route(request);
        } catch (const AuthorityError& e) {
            spdlog::info("review: {} {}: {}", e.httpStatus(), e.reason(), e.what());
            return errorPage(e);
        } catch (const std::exception& e) {
            spdlog::error("review: internal error: {}", e.what());
        }
        return internalErrorPage();
    } catch (...) {
        return HttpResponse{500, {{"Content-Type", "text/plain"}}, "internal error\n", std::nullopt};
    }
}

std::optional<ReviewerSession> ReviewSite::session(const HttpRequest& request) const {
    const auto token = cookieValue(request.header("Cookie"), SESSION_COOKIE);
    if (!token) return std::nullopt;
    return service_.reviewers().resolve(*token);
}

HttpResponse ReviewSite::route(const HttpRequest& request) const {
    auto parts = splitPath(request.path());                          // parts[0] == "review"
    if (parts.size() > 1 && parts.back().empty()) parts.pop_back();  // "/review/x/" is "/review/x"
    const bool get = request.method == "GET" || request.method == "HEAD";
    const bool post = request.method == "POST";
    if (!get && !post) {
        HttpResponse response = plainText(405, "method not allowed\n");
        response.set("Allow", "GET, HEAD, POST");
        return response;
    }
    if (parts.size() == 2 && parts[1] == "style.css" && get) return styleSheet();
    if (parts.size() == 2 && parts[1] == "login") {
        if (get) return loginForm(200, {});
        return login(request);
    }
    if (post && !isForm(request)) return plainText(415, "forms only\n");
    const auto s = session(request);
    if (!s) {
        // Attachments answer 401 (an <img> cannot follow a login); pages send the browser to the login.
        if (parts.size() == 5 && parts[3] == "attachments") return plainText(401, "login required\n");
        if (post) return plainText(401, "login required\n");
        return redirectTo(std::string(LOGIN_PATH));
    }
    if (post) {
        const auto form = parseForm(request.body);
        const auto csrf = form ? form->find("csrf") : std::map<std::string, std::string>::const_iterator{};
        if (!form || csrf == form->end() || !ReviewerSessions::csrfMatches(*s, csrf->second)) {
            spdlog::warn("review: CSRF token missing or wrong from {} (reviewer {})", request.clientAddress,
                         s->reviewer);
            return plainText(403, "CSRF token missing or wrong\n");
        }
    }
    if (parts.size() == 1 || (parts.size() == 2 && parts[1].empty())) {
        if (!get) return plainText(405, "method not allowed\n");
        return queuePage(service_.review().reviewQueue(), *s);
    }
    if (parts.size() == 2 && parts[1] == "logout" && post) return logout(*s);
    if (parts.size() >= 3 && parts[1] == "requests") {
        if (!isRequestId(parts[2])) return plainText(404, "not found\n");
        const std::string id(parts[2]);
        if (parts.size() == 3 && get) return requestPage(*s, id);
        if (parts.size() == 4 && post && parts[3] == "approve") return decide(request, *s, id, true);
        if (parts.size() == 4 && post && parts[3] == "reject") return decide(request, *s, id, false);
        if (parts.size() == 5 && get && parts[3] == "attachments" && isKindToken(parts[4])) {
            return attachmentResponse(service_.review().attachment(id, std::string(parts[4]), s->reviewer));
        }
    }
    return notFoundPage(*s);
}

HttpResponse ReviewSite::loginForm(unsigned status, std::string_view error) const {
    const std::string csrf = service_.reviewers().newFormToken();
    HttpResponse response = loginPage(status, error, csrf);
    response.add("Set-Cookie", setCookie(LOGIN_CSRF_COOKIE, csrf, COOKIE_PATH, LOGIN_FORM_LIFETIME));
    return response;
}

HttpResponse ReviewSite::login(const HttpRequest& request) const {
    if (!isForm(request)) return plainText(415, "forms only\n");
    const auto form = parseForm(request.body);
    const auto cookie = cookieValue(request.header("Cookie"), LOGIN_CSRF_COOKIE);
    if (!form || !cookie || !form->contains("csrf") || cookie->size() != 64 ||
        !constantTimeEquals(form->at("csrf"), *cookie)) {
        return loginForm(403, "登录表单已过期，请重试。(The login form expired; please try again.)");
    }
    const std::string name = form->contains("username") ? form->at("username") : std::string();
    std::string typed = form->contains("password") ? form->at("password") : std::string();
    const Secret password(typed);
    wipe(typed);
    LoginResult result = service_.reviewers().login(name, password, request.clientAddress);
    switch (result.outcome) {
        case LoginResult::Outcome::Throttled:
            spdlog::warn("review: too many logins from {}", request.clientAddress);
            return loginForm(429, "尝试次数过多，请稍后再试。(Too many attempts; try again later.)");
        case LoginResult::Outcome::WrongCredentials:
            return loginForm(401, "用户名或密码错误。(Wrong user name or password.)");
        case LoginResult::Outcome::LoggedIn:
            break;
    }
    HttpResponse response = redirectTo("/review/");
    response.add("Set-Cookie", sessionCookie(result.sessionToken.view(), result.lifetime));
    response.add("Set-Cookie", setCookie(LOGIN_CSRF_COOKIE, "", COOKIE_PATH, std::chrono::seconds(0)));
    return response;
}

HttpResponse ReviewSite::logout(const ReviewerSession& s) const {
    service_.reviewers().logout(s);
    HttpResponse response = redirectTo(std::string(LOGIN_PATH));
    response.add("Set-Cookie", sessionCookie("", std::chrono::seconds(0)));
    return response;
}

HttpResponse ReviewSite::requestPage(const ReviewerSession& s, const std::string& id) const {
    return http::requestPage(service_.review().reviewItem(id), service_.requests().status(id),
                             service_.requests().applicationForm(id), s);
}

HttpResponse ReviewSite::decide(const HttpRequest& request, const ReviewerSession& s, const std::string& id,
                                bool approve) const {
    if (approve) {
        service_.review().approve(id, s.reviewer);
    } else {
        const auto form = parseForm(request.body);
        const std::string reason = form && form->contains("reason") ? form->at("reason") : std::string();
        service_.review().reject(id, s.reviewer, reason);
    }
    return redirectTo("/review/requests/" + id);
}

std::string sessionCookie(std::string_view token, std::chrono::seconds maxAge) {
    return setCookie(SESSION_COOKIE, token, COOKIE_PATH, maxAge);
}

}  // namespace cardbridge::authority::http
