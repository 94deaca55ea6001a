// The reviewers' pages as HTML. Every value printed goes through htmlEscape; pages carry no script and a
// CSP that allows none.
#include "cardbridge/authority/http/review_pages.hpp"

#include <array>

#include "cardbridge/common/time.hpp"
#include "cardbridge/rules/magic.hpp"

namespace cardbridge::authority::http {

namespace {

constexpr std::string_view PAGE_CSP =
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'";
// Attachments are uploaded by anyone with an API token: hostile content. `sandbox` puts a document opened
// from one (an SVG-like image, a crafted PDF) in an opaque origin without scripts, so it cannot act as
// the reviewers' origin; images are shown with <img>, which runs nothing anyway.
constexpr std::string_view ATTACHMENT_CSP =
    "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'";

constexpr std::string_view STYLE =
    R"(body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em;color:#222}
h1{font-size:1.4em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}
.en{color:#666;font-size:.85em}.error{color:#a00}.attachment img{max-width:100%;border:1px solid #ccc}
form.inline{display:inline}
nav{margin-bottom:1em}textarea{width:30em;height:4em}
)";

struct KindLabel {
    std::string_view kind;
    std::string_view zh;
    std::string_view en;
};
constexpr std::array<KindLabel, 3> KIND_LABELS = {{{"application_form", "数字证书申请表", "Application form"},
                                                   {"business_license", "营业执照", "Business licence"},
                                                   {"handler_id", "经办人身份证件", "Handler's ID"}}};

std::string kindLabel(std::string_view kind) {
    for (const auto& k : KIND_LABELS) {
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

std::string errorText(const AuthorityError& e) {
    if (e.reason() == reason::WRONG_STATE)
        return "该申请当前状态不允许此操作 (The request's state does not allow this.)";
    if (e.reason() == reason::REASON_REQUIRED) return "驳回须填写理由 (A rejection needs a reason.)";
    if (e.reason() == reason::REQUEST_NOT_FOUND) return "没有此申请 (No such request.)";
    if (e.reason() == reason::ATTACHMENT_NOT_FOUND) return "没有此附件 (No such attachment.)";
    if (e.reason() == reason::ATTACHMENT_PURGED) return "附件已按保留期限删除 (The attachment was purged.)";
    return "请求未能完成 (The request could not be completed.)";
}

HttpResponse withPageHeaders(unsigned status) {
    HttpResponse response;
    response.status = status;
    for (auto& [name, value] : pageSecurityHeaders()) response.set(name, value);
    return response;
}

// A whole page; with a session, the navigation (queue link, reviewer, log-out form with its CSRF token).
HttpResponse page(unsigned status, std::string_view title, const std::string& content,
                  const ReviewerSession* session = nullptr) {
    HttpResponse response = withPageHeaders(status);
    response.set("Content-Type", "text/html; charset=utf-8");
    std::string html = "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>";
    html += htmlEscape(title);
    html += " · cardbridge</title><link rel=\"stylesheet\" href=\"/review/style.css\"></head><body>\n";
    if (session != nullptr) {
        html +=
            "<nav><a href=\"/review/\">审核队列 <span class=\"en\">Queue</span></a> · 审核员 "
            "<span class=\"en\">Reviewer</span>: " +
            htmlEscape(session->reviewer) +
            " <form class=\"inline\" method=\"post\" action=\"/review/logout\"><input type=\"hidden\" "
            "name=\"csrf\" value=\"" +
            htmlEscape(session->csrfToken) +
            "\"><button type=\"submit\">退出 Log out</button></form></nav>\n";
    }
    html += content;
    html += "\n</body></html>\n";
    response.body = std::move(html);
    return response;
}

}  // namespace

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

std::vector<std::pair<std::string, std::string>> pageSecurityHeaders() {
    return {{"Content-Security-Policy", std::string(PAGE_CSP)},
            {"X-Frame-Options", "DENY"},
            {"Referrer-Policy", "no-referrer"},
            {"Cache-Control", "no-store"},
            {"X-Content-Type-Options", "nosniff"},
            {"Strict-Transport-Security", "max-age=31536000"}};
}

std::string shanghaiTime(Seconds time) {
    const std::string iso = isoTime(time + std::chrono::hours(8));  // "YYYY-MM-DDTHH:MM:SSZ"
    return iso.substr(0, 10) + " " + iso.substr(11, 5);
}

HttpResponse redirectTo(std::string location) {
    HttpResponse response = withPageHeaders(303);
    response.set("Location", std::move(location));
    return response;
}

HttpResponse plainText(unsigned status, std::string text) {
    HttpResponse response = withPageHeaders(status);
    response.set("Content-Type", "text/plain; charset=utf-8");
    response.body = std::move(text);
    return response;
}

HttpResponse styleSheet() {
    HttpResponse response = plainText(200, std::string(STYLE));
    response.set("Content-Type", "text/css; charset=utf-8");
    return response;
}

HttpResponse loginPage(unsigned status, std::string_view error, std::string_view csrf) {
    std::string html = "<h1>解锁申请审核 — 登录 <span class=\"en\">Unlock review — log in</span></h1>\n";
    if (!error.empty()) html += "<p class=\"error\">" + htmlEscape(error) + "</p>\n";
    html +=
        "<form method=\"post\" action=\"/review/login\">"
        "<input type=\"hidden\" name=\"csrf\" value=\"" +
        htmlEscape(csrf) +
        "\">"
        "<p><label>用户名 <span class=\"en\">User name</span><br><input name=\"username\" "
        "autocomplete=\"username\" required></label></p>"
        "<p><label>密码 <span class=\"en\">Password</span><br><input name=\"password\" type=\"password\" "
        "autocomplete=\"current-password\" required></label></p>"
        "<p><button type=\"submit\">登录 Log in</button></p></form>";
    return page(status, "登录 Log in", html);
}

HttpResponse queuePage(const std::vector<ReviewItem>& queue, const ReviewerSession& session) {
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
    return page(200, "审核队列 Review queue", html, &session);
}

HttpResponse requestPage(const ReviewItem& item, const RequestStatus& status, const ApplicationForm& form,
                         const ReviewerSession& session) {
    const std::string& id = item.requestId;
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
            // PDFs are downloads, opened in the reviewer's own viewer, never rendered in our origin.
            html += "<p><a href=\"" + url + "\" download>下载 PDF Download</a></p>";
        } else {
            html += "<img src=\"" + url + "\" alt=\"" + htmlEscape(a.kind) + "\">";
            html += "<p><a href=\"" + url + "\">单独打开 Open</a></p>";
        }
        html += "</section>\n";
    }
    if (status.state == toString(RequestState::InReview)) {
        const std::string base = "/review/requests/" + htmlEscape(id);
        const std::string csrf =
            "<input type=\"hidden\" name=\"csrf\" value=\"" + htmlEscape(session.csrfToken) + "\">";
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
    return page(200, "解锁申请 Unlock request", html, &session);
}

HttpResponse attachmentResponse(const AttachmentContent& content) {
    HttpResponse response = withPageHeaders(200);
    response.set("Content-Security-Policy", std::string(ATTACHMENT_CSP));
    response.set("Content-Type", content.contentType);
    const std::string_view extension = rules::extensionForMimeType(content.contentType);
    // Images inline (sandboxed); anything else — PDFs — as a download, never rendered in our origin.
    const bool inlineImage = content.contentType.starts_with("image/");
    response.set("Content-Disposition", std::string(inlineImage ? "inline" : "attachment") + "; filename=\"" +
                                            content.kind + "." +
                                            std::string(extension.empty() ? "bin" : extension) + "\"");
    response.body.assign(content.data.begin(), content.data.end());
    return response;
}

HttpResponse notFoundPage(const ReviewerSession& session) {
    return page(404, "未找到 Not found", "<h1>未找到 <span class=\"en\">Not found</span></h1>", &session);
}

HttpResponse errorPage(const AuthorityError& error) {
    return page(static_cast<unsigned>(error.httpStatus()), "错误 Error",
                "<h1>出错了 <span class=\"en\">Error</span></h1><p class=\"error\">" +
                    htmlEscape(errorText(error)) + "</p><p><a href=\"/review/\">返回 Back</a></p>");
}

HttpResponse internalErrorPage() {
    return page(500, "错误 Error", "<h1>内部错误 <span class=\"en\">Internal error</span></h1>");
}

}  // namespace cardbridge::authority::http
