// The reviewers' pages. Every value printed goes through htmlEscape; every POST checks the session's CSRF
// token in constant time; pages carry no script and a CSP that allows none.
#include "cardbridge/authority/http/review_site.hpp"

#include <spdlog/spdlog.h>

#include "cardbridge/authority/errors.hpp"
#include "cardbridge/authority/http/api_router.hpp"
#include "cardbridge/authority/http/password.hpp"
#include "cardbridge/common/digest.hpp"
#include "cardbridge/common/openssl.hpp"
#include "cardbridge/common/secret.hpp"
#include "cardbridge/common/time.hpp"

namespace cardbridge::authority::http {

namespace {

constexpr std::string_view PAGE_CSP =
    "default-src 'none'; style-src 'self'; img-src 'self'; frame-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'";
// Attachments are shown inside our own pages (img, iframe), never run anything, never get framed elsewhere.
constexpr std::string_view ATTACHMENT_CSP = "default-src 'none'; img-src 'self'; frame-ancestors 'self'";
// A valid scrypt hash of a random password, verified when the name is unknown so both cases cost the same.
constexpr std::string_view DUMMY_HASH =
    "scrypt$15$8$1$6F6E6C7920666F722074696D696E6721$"
    "0000000000000000000000000000000000000000000000000000000000000000";

constexpr std::string_view STYLE =
    R"(body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em;color:#222}
h1{font-size:1.4em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}
.en{color:#666;font-size:.85em}.error{color:#a00}.attachment img{max-width:100%;border:1px solid #ccc}
.attachment iframe{width:100%;height:40em;border:1px solid #ccc}form.inline{display:inline}
nav{margin-bottom:1em}textarea{width:30em;height:4em}
)";

struct KindLabel {
    std::string_view kind;
    std::string_view zh;
    std::string_view en;
};
constexpr std::array<KindLabel, 3> KINDS = {{{"application_form", "数字证书申请表", "Application form"},
                                             {"business_license", "营业执照", "Business licence"},
                                             {"handler_id", "经办人身份证件", "Handler's ID"}}};

std::string kindLabel(std::string_view kind) {
    for (const auto& k : KINDS) {
        if (k.kind == kind) return std::string(k.zh) + " <span class=\"en\">" + std::string(k.en) + "</span>";
    }
    return htmlEscape(kind);
}

std::string stateLabel(std::string_view state) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 7> STATES = {{
        {"open", "待提交 Open"},
        {"authorised", "已验证 Authorised"},
        {"in_review", "审核中 In review"},
        {"approved", "已通过 Approved"},
        {"rejected", "已驳回 Rejected"},
        {"withdrawn", "已撤销 Withdrawn"},
        {"completed", "已完成 Completed"},
    }};
    for (const auto& [key, label] : STATES) {
        if (key == state) return std::string(label);
    }
    return htmlEscape(state);
}

std::string randomToken() {
    std::string hex = toHex(randomBytes(32));
    for (char& c : hex) {
        if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    }
    return hex;
}

HttpResponse page(unsigned status, std::string_view title, const std::string& content,
                  std::string_view reviewer = {}, std::string_view csrf = {}) {
    HttpResponse response;
    response.status = status;
    for (auto& [name, value] : pageSecurityHeaders()) response.set(name, value);
    response.set("Content-Type", "text/html; charset=utf-8");
    std::string html = "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>";
    html += htmlEscape(title);
    html += " · cardbridge</title><link rel=\"stylesheet\" href=\"/review/style.css\"></head><body>\n";
    if (!reviewer.empty()) {
        html +=
            "<nav><a href=\"/review/\">审核队列 <span class=\"en\">Queue</span></a> · 审核员 "
            "<span class=\"en\">Reviewer</span>: " +
            htmlEscape(reviewer) +
            " <form class=\"inline\" method=\"post\" action=\"/review/logout\"><input type=\"hidden\" "
            "name=\"csrf\" value=\"" +
            htmlEscape(csrf) + "\"><button type=\"submit\">退出 Log out</button></form></nav>\n";
    }
    html += content;
    html += "\n</body></html>\n";
    response.body = std::move(html);
    return response;
}

HttpResponse redirect(std::string location) {
    HttpResponse response;
    response.status = 303;
    for (auto& [name, value] : pageSecurityHeaders()) response.set(name, value);
    response.set("Location", std::move(location));
    return response;
}

HttpResponse plain(unsigned status, std::string text) {
    HttpResponse response;
    response.status = status;
    for (auto& [name, value] : pageSecurityHeaders()) response.set(name, value);
    response.set("Content-Type", "text/plain; charset=utf-8");
    response.body = std::move(text);
    return response;
}

std::vector<std::string_view> pathSegments(std::string_view path) {
    std::vector<std::string_view> out;
    std::size_t start = 1;  // after the leading '/'
    while (start < path.size()) {
        std::size_t at = path.find('/', start);
        if (at == std::string_view::npos) at = path.size();
        out.push_back(path.substr(start, at - start));
        start = at + 1;
    }
    return out;
}

std::string extensionFor(std::string_view contentType) {
    if (contentType == "application/pdf") return "pdf";
    if (contentType == "image/jpeg") return "jpg";
    if (contentType == "image/png") return "png";
    if (contentType == "image/gif") return "gif";
    if (contentType == "image/bmp") return "bmp";
    return "bin";
}

int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<std::string> urlDecode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '+') {
            out.push_back(' ');
        } else if (text[i] == '%') {
            if (i + 2 >= text.size()) return std::nullopt;
            const int hi = hexValue(text[i + 1]);
            const int lo = hexValue(text[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else {
            out.push_back(text[i]);
        }
    }
    return out;
}

std::string errorText(const AuthorityError& e) {
    if (e.reason() == reason::WRONG_STATE)
        return "该申请当前状态不允许此操作 (The request's state does not allow this.)";
    if (e.reason() == reason::REASON_REQUIRED) return "驳回须填写理由 (A rejection needs a reason.)";
    if (e.reason() == reason::REQUEST_NOT_FOUND) return "没有此申请 (No such request.)";
    if (e.reason() == reason::ATTACHMENT_NOT_FOUND) return "没有此附件 (No such attachment.)";
    if (e.reason() == reason::ATTACHMENT_PURGED) return "附件已按保留期限删除 (The attachment was purged.)";
    return "请求未能完成 (The request could not be completed.)";
}

}  // namespace

struct ReviewSite::Session {
    std::string tokenHash;
    std::string csrfHash;
    std::string csrf;
    std::string reviewer;
};

ReviewSite::ReviewSite(UnlockService& service, const Clock& clock, ReviewOptions options)
    : service_(service), clock_(clock), options_(options) {}

HttpResponse ReviewSite::handle(const HttpRequest& request) const noexcept {
    try {
        try {
            return route(request);
        } catch (const AuthorityError& e) {
            spdlog::info("review: {} {}: {}", e.httpStatus(), e.reason(), e.what());
            return page(static_cast<unsigned>(e.httpStatus()), "错误 Error",
                        "<h1>出错了 <span class=\"en\">Error</span></h1><p class=\"error\">" +
                            htmlEscape(errorText(e)) + "</p><p><a href=\"/review/\">返回 Back</a></p>");
        } catch (const std::exception& e) {
            spdlog::error("review: internal error: {}", e.what());
        }
        return page(500, "错误 Error", "<h1>内部错误 <span class=\"en\">Internal error</span></h1>");
    } catch (...) {
        return HttpResponse{500, {{"Content-Type", "text/plain"}}, "internal error\n"};
    }
}

std::optional<ReviewSite::Session> ReviewSite::session(const HttpRequest& request) const {
    const auto token = cookieValue(request.header("Cookie"), SESSION_COOKIE);
    if (!token || token->size() != 64) return std::nullopt;
    const std::string tokenHash = sha256Hex(*token);
    const auto record = service_.storage().findSession(tokenHash);
    if (!record || record->expiresAt <= clock_.now()) return std::nullopt;
    const auto reviewer = service_.storage().findReviewerById(record->reviewerId);
    if (!reviewer || reviewer->disabled) return std::nullopt;
    return Session{tokenHash, record->csrfHash, csrfTokenFor(*token), reviewer->name};
}

HttpResponse ReviewSite::route(const HttpRequest& request) const {
    const std::string_view path = request.path();
    const auto parts = pathSegments(path);  // parts[0] == "review"
    const bool get = request.method == "GET" || request.method == "HEAD";
    const bool post = request.method == "POST";
    if (!get && !post) {
        HttpResponse response = plain(405, "method not allowed\n");
        response.set("Allow", "GET, HEAD, POST");
        return response;
    }
    if (parts.size() == 2 && parts[1] == "style.css" && get) {
        HttpResponse response = plain(200, std::string(STYLE));
        response.set("Content-Type", "text/css; charset=utf-8");
        return response;
    }
    if (parts.size() == 2 && parts[1] == "login") {
        if (get) return loginPage({}, 200);
        return login(request);
    }
    if (post && mediaType(request.header("Content-Type")) != "application/x-www-form-urlencoded") {
        return plain(415, "forms only\n");
    }
    const auto s = session(request);
    if (!s) {
        // Attachments answer 401 (an <img> cannot follow a login); pages send the browser to the login.
        if (parts.size() == 5 && parts[3] == "attachments") return plain(401, "login required\n");
        if (post) return plain(401, "login required\n");
        return redirect("/review/login");
    }
    if (post) {
        const auto form = parseForm(request.body);
        const auto csrf = form ? form->find("csrf") : std::map<std::string, std::string>::const_iterator{};
        if (!form || csrf == form->end() || !constantTimeEquals(sha256Hex(csrf->second), s->csrfHash)) {
            spdlog::warn("review: CSRF token missing or wrong from {} (reviewer {})", request.clientAddress,
                         s->reviewer);
            return plain(403, "CSRF token missing or wrong\n");
        }
    }
    if (parts.size() == 1 || (parts.size() == 2 && parts[1].empty())) {
        if (!get) return plain(405, "method not allowed\n");
        return queuePage(*s);
    }
    if (parts.size() == 2 && parts[1] == "logout" && post) return logout(request, *s);
    if (parts.size() >= 3 && parts[1] == "requests") {
        if (!isRequestId(parts[2])) return plain(404, "not found\n");
        const std::string id(parts[2]);
        if (parts.size() == 3 && get) return requestPage(*s, id);
        if (parts.size() == 4 && post && parts[3] == "approve") return decide(request, *s, id, true);
        if (parts.size() == 4 && post && parts[3] == "reject") return decide(request, *s, id, false);
        if (parts.size() == 5 && get && parts[3] == "attachments" && isKindToken(parts[4])) {
            return attachment(*s, id, std::string(parts[4]));
        }
    }
    return page(404, "未找到 Not found", "<h1>未找到 <span class=\"en\">Not found</span></h1>", s->reviewer,
                s->csrf);
}

HttpResponse ReviewSite::loginPage(std::string_view error, unsigned status) const {
    const std::string csrf = randomToken();
    std::string html = "<h1>解锁申请审核 — 登录 <span class=\"en\">Unlock review — log in</span></h1>\n";
    if (!error.empty()) html += "<p class=\"error\">" + htmlEscape(error) + "</p>\n";
    html +=
        "<form method=\"post\" action=\"/review/login\">"
        "<input type=\"hidden\" name=\"csrf\" value=\"" +
        csrf +
        "\">"
        "<p><label>用户名 <span class=\"en\">User name</span><br><input name=\"username\" "
        "autocomplete=\"username\" required></label></p>"
        "<p><label>密码 <span class=\"en\">Password</span><br><input name=\"password\" type=\"password\" "
        "autocomplete=\"current-password\" required></label></p>"
        "<p><button type=\"submit\">登录 Log in</button></p></form>";
    HttpResponse response = page(status, "登录 Log in", html);
    response.add("Set-Cookie", std::string(LOGIN_CSRF_COOKIE) + "=" + csrf +
                                   "; Path=/review/login; Max-Age=3600; Secure; HttpOnly; SameSite=Strict");
    return response;
}

HttpResponse ReviewSite::login(const HttpRequest& request) const {
    if (mediaType(request.header("Content-Type")) != "application/x-www-form-urlencoded") {
        return plain(415, "forms only\n");
    }
    const auto form = parseForm(request.body);
    const auto cookie = cookieValue(request.header("Cookie"), LOGIN_CSRF_COOKIE);
    if (!form || !cookie || !form->contains("csrf") || cookie->size() != 64 ||
        !constantTimeEquals(form->at("csrf"), *cookie)) {
        return loginPage("登录表单已过期，请重试。(The login form expired; please try again.)", 403);
    }
    const auto now = clock_.now();
    const auto window = std::chrono::duration_cast<std::chrono::seconds>(options_.loginWindow);
    const Seconds windowStart(now.time_since_epoch() - now.time_since_epoch() % window);
    if (service_.storage().incrementCounter("login:" + request.clientAddress, windowStart) >
        options_.loginAttemptsPerWindow) {
        spdlog::warn("review: too many logins from {}", request.clientAddress);
        return loginPage("尝试次数过多，请稍后再试。(Too many attempts; try again later.)", 429);
    }
    const std::string name = form->contains("username") ? form->at("username") : std::string();
    std::string password = form->contains("password") ? form->at("password") : std::string();
    const auto reviewer = name.empty() ? std::nullopt : service_.findReviewer(name);
    const bool ok = reviewer && !reviewer->disabled
                        ? verifyPassword(password, reviewer->passwordHash)
                        : (static_cast<void>(verifyPassword(password, DUMMY_HASH)), false);
    wipe(password);
    if (!ok) {
        service_.audit("client:" + request.clientAddress, "review.login_failed", "",
                       nlohmann::json{{"name", name.substr(0, 64)}}.dump(
                           -1, ' ', false, nlohmann::json::error_handler_t::replace));
        return loginPage("用户名或密码错误。(Wrong user name or password.)", 401);
    }
    const std::string token = randomToken();
    SessionRecord record;
    record.tokenHash = sha256Hex(token);
    record.reviewerId = reviewer->id;
    record.createdAt = now;
    record.expiresAt = now + std::chrono::duration_cast<std::chrono::seconds>(options_.sessionLifetime);
    record.csrfHash = sha256Hex(csrfTokenFor(token));
    service_.storage().deleteExpiredSessions(now);
    service_.storage().insertSession(record);
    service_.audit("reviewer:" + reviewer->name, "review.login", "", "{}");
    HttpResponse response = redirect("/review/");
    response.add(
        "Set-Cookie",
        sessionCookie(token, std::chrono::duration_cast<std::chrono::seconds>(options_.sessionLifetime)));
    response.add("Set-Cookie", std::string(LOGIN_CSRF_COOKIE) +
                                   "=; Path=/review/login; Max-Age=0; Secure; HttpOnly; SameSite=Strict");
    return response;
}

HttpResponse ReviewSite::logout(const HttpRequest&, const Session& s) const {
    service_.storage().deleteSession(s.tokenHash);
    service_.audit("reviewer:" + s.reviewer, "review.logout", "", "{}");
    HttpResponse response = redirect("/review/login");
    response.add("Set-Cookie", sessionCookie("", std::chrono::seconds(0)));
    return response;
}

HttpResponse ReviewSite::queuePage(const Session& s) const {
    const auto queue = service_.reviewQueue();
    std::string html = "<h1>待审核的解锁申请 <span class=\"en\">Unlock requests in review</span></h1>\n";
    if (queue.empty()) {
        html += "<p>目前没有待审核的申请。<span class=\"en\">Nothing to review.</span></p>";
    } else {
        html +=
            "<table><tr><th>截止日期 <span class=\"en\">Due</span></th><th>机构 <span "
            "class=\"en\">Organisation</span></th><th>经办人 <span "
            "class=\"en\">Handler</span></th><th>提交时间 "
            "<span class=\"en\">Submitted</span></th><th></th></tr>\n";
        for (const auto& item : queue) {
            html += "<tr><td>" + (item.dueDate ? htmlEscape(shanghaiTime(*item.dueDate).substr(0, 10)) : "") +
                    (item.dueIsEstimate ? " (估计 estimate)" : "") + "</td><td>" +
                    htmlEscape(item.organization) + "</td><td>" + htmlEscape(item.handlerName) + "</td><td>" +
                    (item.submittedAt ? htmlEscape(shanghaiTime(*item.submittedAt)) : "") +
                    "</td><td><a href=\"/review/requests/" + htmlEscape(item.requestId) +
                    "\">查看 View</a></td></tr>\n";
        }
        html += "</table>";
    }
    return page(200, "审核队列 Review queue", html, s.reviewer, s.csrf);
}

HttpResponse ReviewSite::requestPage(const Session& s, const std::string& id) const {
    const ReviewItem item = service_.reviewItem(id);
    const RequestStatus status = service_.status(id);
    const ApplicationForm form = service_.applicationForm(id);
    auto rawRow = [](std::string_view zh, std::string_view en, const std::string& html) {
        return "<tr><th>" + std::string(zh) + " <span class=\"en\">" + std::string(en) + "</span></th><td>" +
               html + "</td></tr>\n";
    };
    auto row = [&rawRow](std::string_view zh, std::string_view en, const std::string& value) {
        return rawRow(zh, en, htmlEscape(value));
    };
    std::string html =
        "<h1>解锁申请 <span class=\"en\">Unlock request</span> " + htmlEscape(id) + "</h1>\n<table>\n";
    html += rawRow("状态", "State", stateLabel(status.state));
    html += row("经办人机构", "Organisation", item.organization);
    html += row("登记机构", "Registered organisation", item.registeredOrganization);
    html += row("经办人", "Handler", item.handlerName);
    html += row("登记申请人", "Registered applicant", item.registeredApplicant);
    html += row("证件类型", "ID type", item.handlerIdType);
    html += row("证件号码", "ID number", item.maskedIdNumber);
    html += row("手机号码", "Phone", item.maskedPhone);
    html += row("证书主题", "Certificate subject", item.certificateSubject);
    html += row("证书序列号", "Certificate serial", item.certificateSerial);
    html += row("颁发者", "Issuer", form.certificateIssuer);
    html += row("有效期起", "Valid from", form.notBefore);
    html += row("有效期至", "Valid until", form.notAfter);
    html += row("介质序列号", "Card serial", item.cardSerial);
    html += row("提交时间", "Submitted", item.submittedAt ? shanghaiTime(*item.submittedAt) : "");
    html += row("截止日期", "Due", item.dueDate ? shanghaiTime(*item.dueDate).substr(0, 10) : "");
    if (!status.rejectReason.empty()) html += row("驳回理由", "Rejection reason", status.rejectReason);
    html += "</table>\n<h2>附件 <span class=\"en\">Attachments</span></h2>\n";
    for (const auto& a : item.attachments) {
        const std::string url = "/review/requests/" + htmlEscape(id) + "/attachments/" + htmlEscape(a.kind);
        html += "<section class=\"attachment\"><h3>" + kindLabel(a.kind) + "</h3><p>" +
                htmlEscape(a.contentType) + ", " + std::to_string(a.size) + " bytes, SHA-256 " +
                htmlEscape(a.sha256) + "</p>";
        if (a.purged) {
            html += "<p>已删除 (purged)</p>";
        } else if (a.contentType == "application/pdf") {
            html += "<iframe src=\"" + url + "\" title=\"" + htmlEscape(a.kind) + "\"></iframe>";
        } else {
            html += "<img src=\"" + url + "\" alt=\"" + htmlEscape(a.kind) + "\">";
        }
        html += "<p><a href=\"" + url + "\">单独打开 Open</a></p></section>\n";
    }
    if (status.state == "in_review") {
        const std::string base = "/review/requests/" + htmlEscape(id);
        const std::string csrf = "<input type=\"hidden\" name=\"csrf\" value=\"" + htmlEscape(s.csrf) + "\">";
        html +=
            "<h2>审核决定 <span class=\"en\">Decision</span></h2>"
            "<form method=\"post\" action=\"" +
            base + "/approve\">" + csrf +
            "<button type=\"submit\">通过 Approve</button></form>"
            "<form method=\"post\" action=\"" +
            base + "/reject\">" + csrf +
            "<p><label>驳回理由 <span class=\"en\">Reason</span><br><textarea name=\"reason\" required "
            "maxlength=\"500\"></textarea></label></p><button type=\"submit\">驳回 Reject</button></form>";
    }
    return page(200, "解锁申请 Unlock request", html, s.reviewer, s.csrf);
}

HttpResponse ReviewSite::attachment(const Session& s, const std::string& id, const std::string& kind) const {
    const AttachmentContent content = service_.attachment(id, kind, s.reviewer);
    HttpResponse response;
    response.status = 200;
    for (auto& [name, value] : pageSecurityHeaders()) response.set(name, value);
    response.set("Content-Security-Policy", std::string(ATTACHMENT_CSP));
    response.set("X-Frame-Options", "SAMEORIGIN");
    response.set("Content-Type", content.contentType);
    response.set("Content-Disposition",
                 "inline; filename=\"" + kind + "." + extensionFor(content.contentType) + "\"");
    response.body.assign(content.data.begin(), content.data.end());
    return response;
}

HttpResponse ReviewSite::decide(const HttpRequest& request, const Session& s, const std::string& id,
                                bool approve) const {
    if (approve) {
        service_.approve(id, s.reviewer);
    } else {
        const auto form = parseForm(request.body);
        const std::string reason = form && form->contains("reason") ? form->at("reason") : std::string();
        service_.reject(id, s.reviewer, reason);
    }
    return redirect("/review/requests/" + id);
}

std::string htmlEscape(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out.push_back(c);
        }
    }
    return out;
}

std::string sessionCookie(std::string_view token, std::chrono::seconds maxAge) {
    return std::string(SESSION_COOKIE) + "=" + std::string(token) +
           "; Path=/review; Max-Age=" + std::to_string(maxAge.count()) +
           "; Secure; HttpOnly; SameSite=Strict";
}

std::string csrfTokenFor(std::string_view sessionToken) {
    return sha256Hex("cardbridge-review-csrf:" + std::string(sessionToken));
}

std::optional<std::string> cookieValue(std::string_view header, std::string_view name) {
    std::size_t start = 0;
    while (start < header.size()) {
        std::size_t end = header.find(';', start);
        if (end == std::string_view::npos) end = header.size();
        std::string_view pair = header.substr(start, end - start);
        while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
        const std::size_t eq = pair.find('=');
        if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
            std::string_view value = pair.substr(eq + 1);
            while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
            return std::string(value);
        }
        start = end + 1;
    }
    return std::nullopt;
}

std::optional<std::map<std::string, std::string>> parseForm(std::string_view body) {
    std::map<std::string, std::string> fields;
    std::size_t start = 0;
    while (start <= body.size() && !body.empty()) {
        std::size_t end = body.find('&', start);
        if (end == std::string_view::npos) end = body.size();
        const std::string_view pair = body.substr(start, end - start);
        if (!pair.empty()) {
            const std::size_t eq = pair.find('=');
            auto key = urlDecode(pair.substr(0, eq));
            auto value = urlDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
            if (!key || !value || fields.contains(*key)) return std::nullopt;
            fields.emplace(std::move(*key), std::move(*value));
        }
        start = end + 1;
        if (end == body.size()) break;
    }
    return fields;
}

std::vector<std::pair<std::string, std::string>> pageSecurityHeaders() {
    return {{"Content-Security-Policy", std::string(PAGE_CSP)},
            {"X-Frame-Options", "DENY"},
            {"Referrer-Policy", "no-referrer"},
            {"Cache-Control", "no-store"},
            {"X-Content-Type-Options", "nosniff"},
            {"Strict-Transport-Security", "max-age=31536000"}};
}

std::string shanghaiTime(Seconds time) {
    const Seconds local = time + std::chrono::hours(8);
    std::string iso = isoTime(local);  // "YYYY-MM-DDTHH:MM:SSZ"
    return iso.substr(0, 10) + " " + iso.substr(11, 5);
}

}  // namespace cardbridge::authority::http
