// The reviewers' pages as HTML, without routing: escaping, headers, times, and what each page shows.
#include <gtest/gtest.h>

#include "cardbridge/authority/http/review_pages.hpp"

namespace cardbridge::authority::http {
namespace {

ReviewerSession session() {
    return {"hash", "王<五>", "csrf-token-\"x\"", "csrf-hash"};
}

TEST(ReviewPages, EscapingAndTimes) {
    EXPECT_EQ(htmlEscape(R"(<a href="x" onclick='y'>&amp;</a>)"),
              "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;");
    EXPECT_EQ(htmlEscape("张三·李"), "张三·李");
    EXPECT_EQ(shanghaiTime(Seconds(std::chrono::seconds(1741140000))), "2025-03-05 10:00");
}

TEST(ReviewPages, EveryPageCarriesTheSecurityHeadersAndNoScript) {
    for (const HttpResponse& r : {loginPage(200, "", "abc"), queuePage({}, session()), redirectTo("/review/"),
                                  plainText(404, "x"), notFoundPage(session()), internalErrorPage()}) {
        for (const auto& [name, value] : pageSecurityHeaders()) EXPECT_EQ(r.header(name), value) << name;
        EXPECT_EQ(r.body.find("<script"), std::string::npos);
    }
    EXPECT_EQ(styleSheet().header("Content-Type"), "text/css; charset=utf-8");
}

TEST(ReviewPages, NavigationEscapesTheReviewerAndCarriesTheCsrfToken) {
    const HttpResponse page = queuePage({}, session());
    EXPECT_NE(page.body.find("王&lt;五&gt;"), std::string::npos);
    EXPECT_NE(page.body.find("value=\"csrf-token-&quot;x&quot;\""), std::string::npos);
    EXPECT_NE(page.body.find("Nothing to review"), std::string::npos);
}

TEST(ReviewPages, LoginPageShowsTheErrorAndTheFormToken) {
    const HttpResponse page = loginPage(401, "wrong <password>", "0123");
    EXPECT_EQ(page.status, 401u);
    EXPECT_NE(page.body.find("wrong &lt;password&gt;"), std::string::npos);
    EXPECT_NE(page.body.find("name=\"csrf\" value=\"0123\""), std::string::npos);
}

TEST(ReviewPages, RequestPageShowsDecisionFormsOnlyInReview) {
    ReviewItem item;
    item.requestId = "0123456789abcdef0123456789abcdef";
    item.handlerName = "<b>李四</b>";
    item.attachments = {{"application_form", "application/pdf", 10, "AB", Seconds{}, false},
                        {"handler_id", "image/png", 10, "CD", Seconds{}, true}};
    RequestStatus status;
    status.state = "in_review";
    const HttpResponse inReview = requestPage(item, status, ApplicationForm{}, session());
    EXPECT_NE(inReview.body.find("&lt;b&gt;李四&lt;/b&gt;"), std::string::npos);
    // A PDF is a download link, never framed in the reviewers' origin.
    EXPECT_EQ(inReview.body.find("<iframe"), std::string::npos);
    EXPECT_NE(inReview.body.find("<a href=\"/review/requests/" + item.requestId +
                                 "/attachments/application_form\" download>"),
              std::string::npos);
    EXPECT_NE(inReview.body.find("已删除 (purged)"), std::string::npos);
    EXPECT_NE(inReview.body.find("/approve\""), std::string::npos);
    status.state = "approved";
    EXPECT_EQ(requestPage(item, status, ApplicationForm{}, session()).body.find("/approve\""),
              std::string::npos);
}

// Attachments are hostile: a document opened from one runs sandboxed (no script, opaque origin), PDFs are
// downloads, nothing is sniffed or framed.
TEST(ReviewPages, AttachmentsAreSandboxedAndPdfsAreDownloads) {
    const HttpResponse r = attachmentResponse({"handler_id", "image/png", Bytes{0x89, 'P'}, "AB"});
    EXPECT_EQ(r.header("Content-Type"), "image/png");
    EXPECT_EQ(r.header("Content-Disposition"), "inline; filename=\"handler_id.png\"");
    EXPECT_EQ(r.header("X-Frame-Options"), "DENY");
    EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff");
    EXPECT_TRUE(r.header("Content-Security-Policy").starts_with("sandbox;"))
        << r.header("Content-Security-Policy");
    EXPECT_EQ(r.header("Content-Security-Policy").find("script-src"), std::string::npos);
    EXPECT_EQ(r.body, std::string("\x89P"));
    const HttpResponse pdf =
        attachmentResponse({"application_form", "application/pdf", toBytes("%PDF-1.7"), "CD"});
    EXPECT_EQ(pdf.header("Content-Disposition"), "attachment; filename=\"application_form.pdf\"");
    EXPECT_TRUE(pdf.header("Content-Security-Policy").starts_with("sandbox;"));
    EXPECT_EQ(pdf.header("X-Content-Type-Options"), "nosniff");
}

TEST(ReviewPages, ErrorsShowASentenceNotTheMessage) {
    const AuthorityError error(reason::WRONG_STATE, 409, "secret internal detail");
    const HttpResponse page = errorPage(error);
    EXPECT_EQ(page.status, 409u);
    EXPECT_EQ(page.body.find("secret internal detail"), std::string::npos);
    EXPECT_NE(page.body.find("state does not allow this."), std::string::npos);
}

}  // namespace
}  // namespace cardbridge::authority::http
