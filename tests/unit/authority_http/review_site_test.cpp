// The reviewers' pages: login with CSRF, session cookie attributes and expiry, queue, details, inline
// attachments, approve / reject with CSRF, logout, headers, escaping.
#include <gtest/gtest.h>

#include "cardbridge/authority/core/password.hpp"
#include "cardbridge/common/digest.hpp"
#include "http_fixture.hpp"

namespace cardbridge::authority::test {
namespace {

using http::HttpResponse;

std::string setCookieValue(const HttpResponse& r, std::string_view name) {
    for (const auto& [key, value] : r.headers) {
        if (http::equalsIgnoreCase(key, "Set-Cookie") && value.starts_with(std::string(name) + "=")) {
            return value.substr(name.size() + 1, value.find(';') - name.size() - 1);
        }
    }
    return {};
}

std::string setCookieLine(const HttpResponse& r, std::string_view name) {
    for (const auto& [key, value] : r.headers) {
        if (http::equalsIgnoreCase(key, "Set-Cookie") && value.starts_with(std::string(name) + "="))
            return value;
    }
    return {};
}

class ReviewSiteTest : public HttpFixture {
  protected:
    void SetUp() override {
        HttpFixture::SetUp();
        service_->reviewers().createReviewer("wang",
                                             hashPassword("reviewer-password", ScryptParams{10, 8, 1}));
    }

    HttpResponse form(const std::string& target, const std::string& body, const std::string& cookie) const {
        return call("POST", target, body, "application/x-www-form-urlencoded", {{"Cookie", cookie}});
    }
    HttpResponse get(const std::string& target, const std::string& cookie = {}) const {
        return call("GET", target, "", "",
                    cookie.empty() ? std::vector<std::pair<std::string, std::string>>{}
                                   : std::vector<std::pair<std::string, std::string>>{{"Cookie", cookie}});
    }

    /// Logs in and returns the session token.
    std::string login(const std::string& password = "reviewer-password") {
        const auto page = get("/review/login");
        const std::string csrf = setCookieValue(page, http::LOGIN_CSRF_COOKIE);
        const auto r = form("/review/login", "username=wang&password=" + password + "&csrf=" + csrf,
                            std::string(http::LOGIN_CSRF_COOKIE) + "=" + csrf);
        lastLogin_ = r;
        return setCookieValue(r, http::SESSION_COOKIE);
    }
    static std::string cookie(const std::string& token) {
        return std::string(http::SESSION_COOKIE) + "=" + token;
    }

    HttpResponse lastLogin_;
};

TEST_F(ReviewSiteTest, AnonymousVisitorsAreSentToLoginAndNeverSeeAttachments) {
    const std::string id = submittedReview();
    const auto queue = get("/review/");
    EXPECT_EQ(queue.status, 303u);
    EXPECT_EQ(queue.header("Location"), "/review/login");
    EXPECT_EQ(get("/review/requests/" + id).status, 303u);
    const auto attachment = get("/review/requests/" + id + "/attachments/handler_id");
    EXPECT_EQ(attachment.status, 401u);
    EXPECT_TRUE(attachment.body.find("PNG") == std::string::npos);
    EXPECT_EQ(get("/review/requests/" + id + "/attachments/handler_id", cookie(std::string(64, 'a'))).status,
              401u);
    EXPECT_EQ(form("/review/requests/" + id + "/approve", "csrf=x", "").status, 401u);
}

TEST_F(ReviewSiteTest, LoginNeedsTheFormsCsrfAndTheRightPassword) {
    const auto page = get("/review/login");
    EXPECT_EQ(page.status, 200u);
    const std::string csrf = setCookieValue(page, http::LOGIN_CSRF_COOKIE);
    ASSERT_EQ(csrf.size(), 64u);
    EXPECT_NE(page.body.find("value=\"" + csrf + "\""), std::string::npos);
    EXPECT_NE(page.body.find("登录"), std::string::npos);

    EXPECT_EQ(form("/review/login", "username=wang&password=reviewer-password", "").status, 403u);
    EXPECT_EQ(form("/review/login", "username=wang&password=reviewer-password&csrf=" + std::string(64, 'b'),
                   std::string(http::LOGIN_CSRF_COOKIE) + "=" + csrf)
                  .status,
              403u);
    EXPECT_TRUE(login("wrong-password").empty());
    EXPECT_EQ(lastLogin_.status, 401u);
    const std::string token = login();
    ASSERT_EQ(token.size(), 64u);
    EXPECT_EQ(lastLogin_.status, 303u);
    const std::string line = setCookieLine(lastLogin_, http::SESSION_COOKIE);
    for (const char* attribute :
         {"; Secure", "; HttpOnly", "; SameSite=Strict", "; Path=/;", "; Max-Age=28800"}) {
        EXPECT_NE(line.find(attribute), std::string::npos) << attribute << " in " << line;
    }
    EXPECT_EQ(get("/review/", cookie(token)).status, 200u);
    // Storage keeps only hashes of the token.
    EXPECT_FALSE(storage_->findSession(token));
    EXPECT_TRUE(storage_->findSession(sha256Hex(token)));
}

TEST_F(ReviewSiteTest, LoginAttemptsAreRateLimitedPerAddress) {
    config_.reviewerSessions.accountFailuresBeforeLock = 100;  // the per-address limit alone
    for (int i = 0; i < 10; ++i) login("wrong-password");
    EXPECT_EQ(lastLogin_.status, 401u);
    EXPECT_TRUE(login().empty());
    EXPECT_EQ(lastLogin_.status, 429u);
}

TEST_F(ReviewSiteTest, QueueDetailsAndInlineAttachments) {
    const std::string id = submittedReview();
    const std::string token = login();
    const auto queue = get("/review/", cookie(token));
    ASSERT_EQ(queue.status, 200u);
    EXPECT_NE(queue.body.find("/review/requests/" + id), std::string::npos);
    EXPECT_NE(queue.body.find("李四"), std::string::npos);
    for (const char* header :
         {"Content-Security-Policy", "Referrer-Policy", "Cache-Control", "X-Content-Type-Options"}) {
        EXPECT_FALSE(queue.header(header).empty()) << header;
    }
    EXPECT_NE(queue.header("Content-Security-Policy").find("frame-ancestors 'none'"), std::string::npos);
    EXPECT_EQ(queue.header("Content-Security-Policy").find("script-src"), std::string::npos);
    EXPECT_EQ(queue.body.find("<script"), std::string::npos);

    const auto details = get("/review/requests/" + id, cookie(token));
    ASSERT_EQ(details.status, 200u) << details.body;
    EXPECT_EQ(details.body.find(OTHER_ID), std::string::npos);
    EXPECT_NE(details.body.find(OTHER_ID.substr(14)), std::string::npos);  // last four shown
    EXPECT_NE(details.body.find("139****4321"), std::string::npos);
    EXPECT_NE(
        details.body.find("<a href=\"/review/requests/" + id + "/attachments/application_form\" download>"),
        std::string::npos);
    EXPECT_NE(details.body.find("<img src=\"/review/requests/" + id + "/attachments/handler_id\""),
              std::string::npos);
    EXPECT_NE(details.body.find("name=\"csrf\""), std::string::npos);

    const auto pdf = get("/review/requests/" + id + "/attachments/application_form", cookie(token));
    ASSERT_EQ(pdf.status, 200u);
    EXPECT_EQ(pdf.header("Content-Type"), "application/pdf");
    EXPECT_EQ(pdf.header("Content-Disposition"), "attachment; filename=\"application_form.pdf\"");
    EXPECT_TRUE(pdf.header("Content-Security-Policy").starts_with("sandbox;"));
    EXPECT_EQ(pdf.header("X-Content-Type-Options"), "nosniff");
    const Bytes expected = pdfBytes();
    EXPECT_TRUE(pdf.body == std::string(expected.begin(), expected.end()));
    EXPECT_EQ(get("/review/requests/" + id + "/attachments/nope", cookie(token)).status, 400u);
}

TEST_F(ReviewSiteTest, DecisionsNeedTheSessionsCsrfToken) {
    const std::string approveId = submittedReview();
    const std::string token = login();
    const std::string csrf = csrfTokenFor(token);
    EXPECT_EQ(form("/review/requests/" + approveId + "/approve", "", cookie(token)).status, 403u);
    EXPECT_EQ(
        form("/review/requests/" + approveId + "/approve", "csrf=" + csrfTokenFor("other"), cookie(token))
            .status,
        403u);
    EXPECT_EQ(call("POST", "/review/requests/" + approveId + "/approve", "csrf=" + csrf, "text/plain",
                   {{"Cookie", cookie(token)}})
                  .status,
              415u);
    EXPECT_EQ(service_->requests().status(approveId).state, "in_review");
    const auto approved = form("/review/requests/" + approveId + "/approve", "csrf=" + csrf, cookie(token));
    EXPECT_EQ(approved.status, 303u);
    EXPECT_EQ(service_->requests().status(approveId).state, "approved");

    const std::string rejectId = service_->requests().create(otherHandlerRequest()).requestId;
    service_->review().putAttachment(rejectId, "application_form", pdfBytes());
    service_->review().putAttachment(rejectId, "business_license", jpegBytes());
    service_->review().putAttachment(rejectId, "handler_id", pngBytes());
    service_->review().submit(rejectId);
    EXPECT_EQ(
        form("/review/requests/" + rejectId + "/reject", "csrf=" + csrf + "&reason=", cookie(token)).status,
        400u);
    EXPECT_EQ(form("/review/requests/" + rejectId + "/reject",
                   "csrf=" + csrf +
                       "&reason=%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7%E4%B8%8D%E6%B8%85%E6%99%B0+%3Cb%3E",
                   cookie(token))
                  .status,
              303u);
    const auto status = service_->requests().status(rejectId);
    EXPECT_EQ(status.state, "rejected");
    EXPECT_EQ(status.rejectReason, "营业执照不清晰 <b>");
    const auto page = get("/review/requests/" + rejectId, cookie(token));
    EXPECT_NE(page.body.find("营业执照不清晰 &lt;b&gt;"), std::string::npos);
}

TEST_F(ReviewSiteTest, LogoutAndExpiryEndTheSession) {
    const std::string token = login();
    EXPECT_EQ(form("/review/logout", "csrf=bad", cookie(token)).status, 403u);
    const auto out = form("/review/logout", "csrf=" + csrfTokenFor(token), cookie(token));
    EXPECT_EQ(out.status, 303u);
    EXPECT_NE(setCookieLine(out, http::SESSION_COOKIE).find("Max-Age=0"), std::string::npos);
    EXPECT_EQ(get("/review/", cookie(token)).status, 303u);

    const std::string second = login();
    EXPECT_EQ(get("/review/", cookie(second)).status, 200u);
    clock_.advance(std::chrono::hours(8) + std::chrono::seconds(1));
    EXPECT_EQ(get("/review/", cookie(second)).status, 303u);
}

TEST(ReviewSitePure, SessionCookieCarriesEveryAttribute) {
    EXPECT_EQ(http::sessionCookie("abc", std::chrono::seconds(60)),
              "__Host-cb_review=abc; Path=/; Max-Age=60; Secure; HttpOnly; SameSite=Strict");
}

}  // namespace
}  // namespace cardbridge::authority::test
