// The API router: paths, ids, methods, content types, bodies, the error shape, and both routes through it.
#include <gtest/gtest.h>

#include "cardbridge/authority/http/http_codecs.hpp"
#include "http_fixture.hpp"

namespace cardbridge::authority::test {
namespace {

using http::HttpResponse;

class Router : public HttpFixture {};

TEST_F(Router, SmsRouteEndToEndThroughTheRouter) {
    const auto created =
        call("POST", "/v1/unlock-requests", createBody("张三", APPLICANT_ID, APPLICANT_PHONE).dump());
    ASSERT_EQ(created.status, 201u) << created.body;
    const auto body = json(created);
    EXPECT_EQ(body["route"], "sms");
    EXPECT_EQ(body["maskedPhone"], "138****5678");
    const std::string id = body["requestId"];
    EXPECT_TRUE(http::isRequestId(id));
    EXPECT_EQ(created.header("Cache-Control"), "no-store");

    const auto sent = call("POST", "/v1/unlock-requests/" + id + "/code", "", "");
    ASSERT_EQ(sent.status, 200u) << sent.body;
    EXPECT_EQ(json(sent)["maskedPhone"], "138****5678");

    const auto wrong = call("POST", "/v1/unlock-requests/" + id + "/verify", R"({"code":"000000"})");
    const std::string code = lastCode();
    if (code != "000000") {
        EXPECT_EQ(wrong.status, 400u);
        EXPECT_EQ(reasonOf(wrong), "CODE_INCORRECT");
        EXPECT_TRUE(json(wrong)["error"].contains("triesLeft"));
    }
    const auto verified =
        call("POST", "/v1/unlock-requests/" + id + "/verify", nlohmann::json{{"code", code}}.dump());
    ASSERT_EQ(verified.status, 200u) << verified.body;
    EXPECT_EQ(json(verified)["state"], "authorised");

    const auto credential = call("POST", "/v1/unlock-requests/" + id + "/credential", "{}");
    ASSERT_EQ(credential.status, 200u) << credential.body;
    const auto puks = json(credential);
    EXPECT_EQ(puks["currentPuk"].get<std::string>().size(), 8u);
    EXPECT_NE(puks["currentPuk"], puks["nextPuk"]);
    // Asked again before complete (a lost response): the same two PUKs.
    const auto again = call("POST", "/v1/unlock-requests/" + id + "/credential", "");
    ASSERT_EQ(again.status, 200u) << again.body;
    EXPECT_EQ(json(again)["currentPuk"], puks["currentPuk"]);
    EXPECT_EQ(json(again)["nextPuk"], puks["nextPuk"]);
    EXPECT_EQ(json(again)["pendingRotation"], true);

    const auto done = call("POST", "/v1/unlock-requests/" + id + "/complete", "");
    ASSERT_EQ(done.status, 200u) << done.body;
    EXPECT_EQ(json(done)["state"], "completed");
    EXPECT_EQ(json(call("GET", "/v1/unlock-requests/" + id, "", ""))["state"], "completed");
}

TEST_F(Router, ReviewRouteUploadsSubmitsAndWithdraws) {
    const auto created =
        call("POST", "/v1/unlock-requests", createBody("李四", OTHER_ID, "13987654321").dump());
    ASSERT_EQ(created.status, 201u) << created.body;
    EXPECT_EQ(json(created)["route"], "review");
    EXPECT_FALSE(json(created).contains("maskedPhone"));
    const std::string base = "/v1/unlock-requests/" + json(created)["requestId"].get<std::string>();

    const Bytes pdf = pdfBytes(1000);
    const auto put = call("PUT", base + "/attachments/application_form", std::string(pdf.begin(), pdf.end()),
                          "application/pdf");
    ASSERT_EQ(put.status, 200u) << put.body;
    EXPECT_EQ(json(put)["contentType"], "application/pdf");
    EXPECT_EQ(json(put)["size"], 1000);

    // Too early: attachments missing.
    const auto early = call("POST", base + "/submit", "");
    EXPECT_EQ(early.status, 409u);
    EXPECT_EQ(reasonOf(early), "ATTACHMENTS_MISSING");

    const Bytes jpeg = jpegBytes(500);
    const Bytes png = pngBytes(500);
    EXPECT_EQ(call("PUT", base + "/attachments/business_license", std::string(jpeg.begin(), jpeg.end()),
                   "image/jpeg")
                  .status,
              200u);
    EXPECT_EQ(call("PUT", base + "/attachments/handler_id", std::string(png.begin(), png.end()), "image/png")
                  .status,
              200u);
    const auto submitted = call("POST", base + "/submit", "");
    ASSERT_EQ(submitted.status, 200u) << submitted.body;
    EXPECT_EQ(json(submitted)["state"], "in_review");
    EXPECT_TRUE(json(submitted).contains("dueDate"));

    const auto form = call("GET", base + "/application-form", "", "");
    ASSERT_EQ(form.status, 200u);
    EXPECT_EQ(json(form)["handlerName"], "李四");
    EXPECT_EQ(json(form)["maskedIdNumber"].get<std::string>().find(OTHER_ID), std::string::npos);

    const auto withdrawn = call("DELETE", base, "", "");
    ASSERT_EQ(withdrawn.status, 200u) << withdrawn.body;
    EXPECT_EQ(json(withdrawn)["state"], "withdrawn");
    EXPECT_EQ(reasonOf(call("DELETE", base, "", "")), "WRONG_STATE");
}

TEST_F(Router, MalformedIdsAreNotFoundWithoutTouchingStorage) {
    for (const std::string& id :
         std::vector<std::string>{"..", "..%2f..%2fetc%2fpasswd", "0123456789abcdef0123456789ABCDEF",
                                  "0123456789abcdef0123456789abcde", "0123456789abcdef0123456789abcdef0",
                                  "0123456789abcdef0123456789abcdeg", "%00", ""}) {
        const auto r = call("GET", "/v1/unlock-requests/" + id, "", "");
        EXPECT_EQ(r.status, 404u) << id;
        if (!id.empty()) {
            EXPECT_EQ(reasonOf(r), "REQUEST_NOT_FOUND") << id;
        }
    }
    EXPECT_EQ(call("GET", "/v1/unlock-requests/../../etc/passwd", "", "").status, 404u);
    // Well formed but unknown: the same answer.
    const auto unknown = call("GET", "/v1/unlock-requests/0123456789abcdef0123456789abcdef", "", "");
    EXPECT_EQ(unknown.status, 404u);
    EXPECT_EQ(reasonOf(unknown), "REQUEST_NOT_FOUND");
}

TEST_F(Router, UnknownPathsAndMethods) {
    EXPECT_EQ(reasonOf(call("GET", "/v1/other", "", "")), "NOT_FOUND");
    EXPECT_EQ(reasonOf(call("GET", "/v1/unlock-requests/0123456789abcdef0123456789abcdef/nope", "", "")),
              "NOT_FOUND");
    const auto get = call("GET", "/v1/unlock-requests", "", "");
    EXPECT_EQ(get.status, 405u);
    EXPECT_EQ(reasonOf(get), "METHOD_NOT_ALLOWED");
    EXPECT_EQ(get.header("Allow"), "POST");
    EXPECT_EQ(call("PUT", "/v1/unlock-requests/0123456789abcdef0123456789abcdef", "", "").status, 405u);
    EXPECT_EQ(call("GET", "/v1/unlock-requests/0123456789abcdef0123456789abcdef/verify", "", "").status,
              405u);
    EXPECT_EQ(call("GET", "/", "", "").status, 303u);
    EXPECT_EQ(call("GET", "/etc/passwd", "", "").status, 404u);
}

TEST_F(Router, HealthAnswersWithoutAToken) {
    const auto health = call("GET", "/health", "", "");
    EXPECT_EQ(health.status, 200u);
    EXPECT_EQ(nlohmann::json::parse(health.body).at("status"), "ok");
    EXPECT_EQ(health.header("Cache-Control"), "no-store");
    EXPECT_EQ(call("POST", "/health", "{}", "application/json").status, 404u);
    EXPECT_EQ(call("GET", "/healthz", "", "").status, 404u);
}

TEST_F(Router, JsonEndpointsNeedJsonContentType) {
    const std::string body = createBody("张三", APPLICANT_ID, APPLICANT_PHONE).dump();
    for (const std::string type :
         {"text/plain", "", "application/x-www-form-urlencoded", "application/jsonx"}) {
        const auto r = call("POST", "/v1/unlock-requests", body, type);
        EXPECT_EQ(r.status, 415u) << type;
        EXPECT_EQ(reasonOf(r), "UNSUPPORTED_MEDIA_TYPE");
    }
    EXPECT_EQ(call("POST", "/v1/unlock-requests", body, "Application/JSON; charset=UTF-8").status, 201u);
}

TEST_F(Router, MalformedDeepOrWrongJsonIsRefusedWithAReason) {
    const auto malformed = call("POST", "/v1/unlock-requests", R"({"certificate": )");
    EXPECT_EQ(malformed.status, 400u);
    EXPECT_EQ(reasonOf(malformed), "MALFORMED_JSON");
    std::string deep(50, '[');
    deep += std::string(50, ']');
    EXPECT_EQ(reasonOf(call("POST", "/v1/unlock-requests", R"({"a":)" + deep + "}")), "MALFORMED_JSON");
    EXPECT_EQ(reasonOf(call("POST", "/v1/unlock-requests", "[1,2]")), "MALFORMED_JSON");

    auto missing = createBody("张三", APPLICANT_ID, APPLICANT_PHONE);
    missing["handler"].erase("phone");
    const auto r = call("POST", "/v1/unlock-requests", missing.dump());
    EXPECT_EQ(reasonOf(r), "FORM_INVALID");
    EXPECT_EQ(json(r)["error"]["field"], "handler.phone");

    auto badCert = createBody("张三", APPLICANT_ID, APPLICANT_PHONE);
    badCert["certificate"] = "not base64!";
    EXPECT_EQ(json(call("POST", "/v1/unlock-requests", badCert.dump()))["error"]["field"], "certificate");
    badCert["certificate"] = 42;
    EXPECT_EQ(reasonOf(call("POST", "/v1/unlock-requests", badCert.dump())), "FORM_INVALID");

    const std::string big(70 * 1024, ' ');
    EXPECT_EQ(call("POST", "/v1/unlock-requests", "{}" + big).status, 413u);
}

TEST_F(Router, ErrorBodiesCarryReasonMessageAndExtraOnly) {
    const auto r = call("GET", "/v1/unlock-requests/0123456789abcdef0123456789abcdef", "", "");
    const auto body = json(r);
    ASSERT_TRUE(body.contains("error"));
    EXPECT_TRUE(body["error"].contains("reason"));
    EXPECT_TRUE(body["error"].contains("message"));
    EXPECT_EQ(r.header("Content-Type"), "application/json; charset=utf-8");

    const auto internal =
        http::apiErrorResponse(std::make_exception_ptr(std::runtime_error("secret detail /var/db")));
    EXPECT_EQ(internal.status, 500u);
    EXPECT_EQ(reasonOf(internal), "INTERNAL");
    EXPECT_EQ(internal.body.find("secret detail"), std::string::npos);
}

TEST_F(Router, AttachmentContentTypeAndSizeChecks) {
    const auto created =
        call("POST", "/v1/unlock-requests", createBody("李四", OTHER_ID, "13987654321").dump());
    const std::string base = "/v1/unlock-requests/" + json(created)["requestId"].get<std::string>();
    const Bytes pdf = pdfBytes(100);
    const std::string pdfText(pdf.begin(), pdf.end());
    EXPECT_EQ(reasonOf(call("PUT", base + "/attachments/application_form", pdfText, "application/json")),
              "UNSUPPORTED_MEDIA_TYPE");
    EXPECT_EQ(call("PUT", base + "/attachments/application_form", pdfText, "application/octet-stream").status,
              200u);
    // An executable called a PDF: the service sniffs the bytes.
    const std::string elf = std::string(
                                "\x7f"
                                "ELF\x02\x01\x01",
                                7) +
                            std::string(100, '\0');
    EXPECT_EQ(reasonOf(call("PUT", base + "/attachments/application_form", elf, "application/pdf")),
              "ATTACHMENT_TYPE");
    EXPECT_EQ(reasonOf(call("PUT", base + "/attachments/other_kind", pdfText, "application/pdf")),
              "ATTACHMENT_KIND");
    EXPECT_EQ(reasonOf(call("PUT", base + "/attachments/..", pdfText, "application/pdf")), "ATTACHMENT_KIND");
    const auto tooBig =
        call("PUT", base + "/attachments/application_form", std::string(1048577, 'A'), "application/pdf");
    EXPECT_EQ(tooBig.status, 413u);
    EXPECT_EQ(reasonOf(tooBig), "ATTACHMENT_TOO_LARGE");
    // Limits the server applies before reading a body.
    EXPECT_EQ(front_->bodyLimit("PUT", base + "/attachments/handler_id"), 1048576u + 4096u);
    EXPECT_EQ(front_->bodyLimit("POST", "/v1/unlock-requests"), 64u * 1024u);
    EXPECT_EQ(reasonOf(front_->bodyTooLarge("PUT", base + "/attachments/handler_id")),
              "ATTACHMENT_TOO_LARGE");
    EXPECT_EQ(json(front_->bodyTooLarge("PUT", base + "/attachments/handler_id"))["error"]["limit"], 1048576);
    EXPECT_EQ(reasonOf(front_->bodyTooLarge("POST", "/v1/unlock-requests")), "BODY_TOO_LARGE");
}

class RouterWithPadding : public HttpFixture {
  protected:
    http::ApiOptions apiOptions() const override {
        http::ApiOptions options;
        options.createMinimumDuration = std::chrono::milliseconds(2000);
        return options;
    }
};

// The create call's response is held to receivedAt + the padding on every path (either route, a refusal,
// malformed JSON) — by the server, on a timer: the router answers at once. Nothing else is held.
TEST_F(RouterWithPadding, CreateResponsesCarryTheirDeadlineAndReturnAtOnce) {
    http::HttpRequest request;
    request.method = "POST";
    request.target = "/v1/unlock-requests";
    request.headers.emplace_back("Content-Type", "application/json");
    request.clientAddress = "203.0.113.7";
    request.receivedAt = std::chrono::steady_clock::now();
    auto badCert = createBody("张三", APPLICANT_ID, APPLICANT_PHONE);
    badCert["certificate"] = base64Encode(toBytes("not a certificate"));
    const std::vector<std::pair<std::string, unsigned>> cases = {
        {createBody("张三", APPLICANT_ID, APPLICANT_PHONE).dump(), 201u},
        {createBody("李四", OTHER_ID, "13987654321").dump(), 201u},
        {badCert.dump(), 400u},
        {"{", 400u}};
    for (const auto& [body, status] : cases) {
        request.body = body;
        const auto response = api_->handle(request);
        EXPECT_EQ(response.status, status) << response.body;
        ASSERT_TRUE(response.notBefore) << body;
        EXPECT_EQ(*response.notBefore, request.receivedAt + std::chrono::milliseconds(2000));
    }
    EXPECT_LT(std::chrono::steady_clock::now() - request.receivedAt, std::chrono::milliseconds(2000));
    const auto id = json(call("POST", "/v1/unlock-requests", cases[0].first))["requestId"].get<std::string>();
    EXPECT_FALSE(call("GET", "/v1/unlock-requests/" + id, "", "").notBefore);
    EXPECT_FALSE(call("POST", "/v1/unlock-requests/" + id + "/code", "", "").notBefore);
}

TEST_F(Router, NoPaddingConfiguredNoDeadline) {
    EXPECT_FALSE(call("POST", "/v1/unlock-requests", createBody("张三", APPLICANT_ID, APPLICANT_PHONE).dump())
                     .notBefore);
}

class RouterWithToken : public HttpFixture {
  protected:
    http::ApiOptions apiOptions() const override {
        http::ApiOptions options;
        options.bearerTokens = {"install-token-one", "install-token-two"};
        return options;
    }
};

TEST_F(RouterWithToken, BearerTokenIsRequiredWhenConfigured) {
    const std::string target = "/v1/unlock-requests/0123456789abcdef0123456789abcdef";
    const auto none = call("GET", target, "", "");
    EXPECT_EQ(none.status, 401u);
    EXPECT_EQ(reasonOf(none), "UNAUTHENTICATED");
    EXPECT_NE(none.header("WWW-Authenticate").find("Bearer"), std::string::npos);
    EXPECT_EQ(call("GET", target, "", "", {{"Authorization", "Bearer wrong"}}).status, 401u);
    EXPECT_EQ(call("GET", target, "", "", {{"Authorization", "Basic install-token-one"}}).status, 401u);
    EXPECT_EQ(call("GET", target, "", "", {{"Authorization", "Bearer install-token-two"}}).status, 404u);
}

// Issue 10, finding 1: a request is bound to the token that created it. Another installation cannot read
// its status, upload, submit, send codes, verify, withdraw, fetch the credential or complete it: each is
// answered 404 REQUEST_NOT_FOUND, exactly as an unknown id, and changes nothing.
TEST_F(RouterWithToken, AnotherInstallationCannotTouchARequest) {
    const std::pair<std::string, std::string> one{"Authorization", "Bearer install-token-one"};
    const std::pair<std::string, std::string> two{"Authorization", "Bearer install-token-two"};
    const auto review = call("POST", "/v1/unlock-requests",
                             createBody("李四", OTHER_ID, "13987654321").dump(), "application/json", {one});
    ASSERT_EQ(review.status, 201u) << review.body;
    const std::string reviewBase = "/v1/unlock-requests/" + json(review)["requestId"].get<std::string>();
    const auto sms =
        call("POST", "/v1/unlock-requests", createBody("张三", APPLICANT_ID, APPLICANT_PHONE).dump(),
             "application/json", {one});
    ASSERT_EQ(sms.status, 201u) << sms.body;
    const std::string smsBase = "/v1/unlock-requests/" + json(sms)["requestId"].get<std::string>();
    const Bytes png = pngBytes();
    const std::string pngBody(png.begin(), png.end());
    const struct {
        const char* method;
        std::string target;
        std::string body;
        const char* type;
    } calls[] = {{"GET", reviewBase, "", ""},
                 {"GET", reviewBase + "/application-form", "", ""},
                 {"PUT", reviewBase + "/attachments/handler_id", pngBody, "image/png"},
                 {"POST", reviewBase + "/submit", "", ""},
                 {"POST", smsBase + "/code", "", ""},
                 {"POST", smsBase + "/verify", R"({"code":"123456"})", "application/json"},
                 {"POST", smsBase + "/credential", "", ""},
                 {"POST", smsBase + "/complete", "", ""},
                 {"DELETE", reviewBase, "", ""},
                 {"DELETE", smsBase, "", ""}};
    for (const auto& c : calls) {
        const auto r = call(c.method, c.target, c.body, c.type, {two});
        EXPECT_EQ(r.status, 404u) << c.method << " " << c.target << ": " << r.body;
        EXPECT_EQ(reasonOf(r), "REQUEST_NOT_FOUND") << c.method << " " << c.target;
    }
    EXPECT_TRUE(sms_.messages().empty());
    const auto mine = call("GET", reviewBase, "", "", {one});
    ASSERT_EQ(mine.status, 200u);
    EXPECT_EQ(json(mine)["state"], "open");
    EXPECT_TRUE(json(mine)["attachments"].empty());
    EXPECT_EQ(call("DELETE", smsBase, "", "", {one}).status, 200u);
}

// The token is checked from the header alone, before a body would be read (the server calls admit()).
TEST_F(RouterWithToken, TokenIsCheckedFromTheHeader) {
    const auto refused = api_->admit("PUT", "/v1/unlock-requests/x/attachments/handler_id", "Bearer wrong");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 401u);
    EXPECT_FALSE(api_->admit("PUT", "/v1/unlock-requests/x", "Bearer install-token-one"));
    EXPECT_TRUE(front_->admit("POST", "/v1/unlock-requests", ""));
    EXPECT_FALSE(front_->admit("POST", "/review/login", ""));  // the pages have their own login
}

// Issue 10, finding 3: X-Forwarded-For is believed only from a configured proxy, read from the right.
TEST(ClientAddress, ForwardedForOnlyFromTrustedProxies) {
    const std::vector<std::string> proxies = {"10.0.0.5", "::1"};
    EXPECT_EQ(http::clientAddressFor("203.0.113.9", {"198.51.100.1"}, proxies), "203.0.113.9");
    EXPECT_EQ(http::clientAddressFor("10.0.0.5", {"198.51.100.1"}, proxies), "198.51.100.1");
    EXPECT_EQ(http::clientAddressFor("::ffff:10.0.0.5", {"198.51.100.1"}, proxies), "198.51.100.1");
    // A client's own forged entries sit left of what the proxy appended.
    EXPECT_EQ(http::clientAddressFor("10.0.0.5", {"6.6.6.6, 198.51.100.1"}, proxies), "198.51.100.1");
    EXPECT_EQ(http::clientAddressFor("10.0.0.5", {"6.6.6.6", "198.51.100.1, ::1"}, proxies), "198.51.100.1");
    EXPECT_EQ(http::clientAddressFor("10.0.0.5", {"2001:db8::7"}, proxies), "2001:db8::7");
    EXPECT_EQ(http::clientAddressFor("10.0.0.5", {"junk"}, proxies), "10.0.0.5");
    EXPECT_EQ(http::clientAddressFor("10.0.0.5", {}, proxies), "10.0.0.5");
    EXPECT_EQ(http::clientAddressFor("10.0.0.5", {"198.51.100.1"}, {}), "10.0.0.5");
}

}  // namespace
}  // namespace cardbridge::authority::test
