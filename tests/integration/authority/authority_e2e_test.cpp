// Black box: the real cardbridge-authority binary, its CLI, real HTTPS, a temp SQLite. Both routes, the
// reviewers' pages, hostile input, a restart mid-flow, and no secret in the database, logs or audit.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>

#include "authority_process.hpp"
#include "cardbridge/common/base64.hpp"
#include "cardbridge/common/digest.hpp"
#include "https_client.hpp"
#include "temp_dir.hpp"
#include "test_certs.hpp"

namespace cardbridge::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* APPLICANT_ID = "440304199001011233";  // GB 11643 check character 3
constexpr const char* OTHER_ID = "11010519491231002X";
constexpr const char* APPLICANT_PHONE = "13812345678";
constexpr const char* ORGANIZATION = "深圳市测试医疗器械有限公司";
constexpr const char* CARD = "CARD-E2E-1";
constexpr const char* TOKEN = "e2e-install-token-0123456789";

std::string readAll(const fs::path& path) {
    return readTextFile(path);
}

// The authority reports an attachment's SHA-256 in upper-case hex.
std::string attachmentSha256(const std::string& data) {
    return toHex(sha256(toBytes(data)));
}

class AuthorityE2e : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = tempDir_.path();
        authority_.emplace(dir_, CARDBRIDGE_AUTHORITY_EXE, TOKEN);
        ca_ = authority_->issuingCa();
        leaf_ = authority_->leaf();
        tlsRoot_ = authority_->tlsRoot();
        ASSERT_EQ(authority_->enroll(CARD, ORGANIZATION, "张三", APPLICANT_ID, APPLICANT_PHONE), 0)
            << readAll(dir_ / "cli.out");
        ASSERT_EQ(cli("reviewer add wang", "reviewer-password-1\n"), 0);
        start();
    }

    void TearDown() override {
        stop();
        if (!HasFailure()) {
            // Privacy: nothing the tests typed or received in clear sits in the database, WAL, logs or audit.
            std::vector<std::string> secrets = {APPLICANT_ID, OTHER_ID};
            secrets.insert(secrets.end(), seen_.begin(), seen_.end());
            for (const auto& entry : fs::recursive_directory_iterator(dir_ / "data")) {
                if (!entry.is_regular_file() || entry.path().filename() == "sms-outbox.jsonl") continue;
                const std::string bytes = readAll(entry.path());
                for (const auto& secret : secrets) {
                    EXPECT_EQ(bytes.find(secret), std::string::npos) << secret << " in " << entry.path();
                }
            }
        }
    }

    TestCert makeLeaf(const TestCert* issuer, std::chrono::system_clock::time_point notAfter) {
        CertSpec spec;
        spec.commonName = "张三";
        spec.issuer = issuer;
        spec.notBefore = std::chrono::system_clock::now() - std::chrono::days(400);
        spec.notAfter = notAfter;
        return makeCertificate(spec);
    }

    int cli(const std::string& args, const std::string& stdinText = {}) const {
        return authority_->cli(args, stdinText);
    }

    void start() {
        authority_->start();
        port_ = authority_->port();
    }

    void stop() {
        if (!authority_) return;
        EXPECT_TRUE(authority_->stop()) << readAll(dir_ / "serve.err");
        port_ = 0;
    }

    AuthorityResponse api(const std::string& method, const std::string& target, const std::string& body = {},
                          const std::string& contentType = "application/json") {
        std::vector<std::pair<std::string, std::string>> headers = {
            {"Authorization", std::string("Bearer ") + TOKEN}};
        if (!contentType.empty()) headers.emplace_back("Content-Type", contentType);
        return authorityRequest(port_, tlsRoot_.certPem, method, target, body, headers);
    }

    json createBody(const Bytes& der, const std::string& name, const std::string& id,
                    const std::string& phone) {
        return {{"certificate", base64Encode(der)},
                {"cardSerial", CARD},
                {"handler",
                 {{"organization", ORGANIZATION},
                  {"name", name},
                  {"idType", "居民身份证"},
                  {"idNumber", id},
                  {"phone", phone}}}};
    }

    std::string create(const std::string& name, const std::string& id, const std::string& phone,
                       std::string route) {
        const auto r = api("POST", "/v1/unlock-requests", createBody(leaf_.der, name, id, phone).dump());
        EXPECT_EQ(r.status, 201u) << r.body;
        const json body = json::parse(r.body);
        EXPECT_EQ(body["route"], route);
        return body["requestId"];
    }

    std::string lastCode() {
        std::string last = authority_->lastCode();
        seen_.push_back(last);
        return last;
    }

    static std::string reason(const AuthorityResponse& r) {
        return json::parse(r.body)["error"]["reason"].get<std::string>();
    }

    TempDir tempDir_{"cardbridge-authority-e2e"};  ///< removed with everything in it after the test
    fs::path dir_;
    std::optional<AuthorityProcess> authority_;  ///< the real binary over dir_ (tests/support)
    TestCert ca_, leaf_, tlsRoot_;
    std::uint16_t port_ = 0;
    std::vector<std::string> seen_;  // codes and PUKs that must not be stored
};

TEST_F(AuthorityE2e, SmsRouteEndToEndWithTheCodeFromTheOutbox) {
    const std::string id = create("张三", APPLICANT_ID, APPLICANT_PHONE, "sms");
    const std::string base = "/v1/unlock-requests/" + id;
    const auto sent = api("POST", base + "/code", "", "");
    ASSERT_EQ(sent.status, 200u) << sent.body;
    const auto verified = api("POST", base + "/verify", json{{"code", lastCode()}}.dump());
    ASSERT_EQ(verified.status, 200u) << verified.body;
    const auto credential = api("POST", base + "/credential", "", "");
    ASSERT_EQ(credential.status, 200u) << credential.body;
    const json puks = json::parse(credential.body);
    seen_.push_back(puks["currentPuk"]);
    seen_.push_back(puks["nextPuk"]);
    EXPECT_EQ(credential.header("Cache-Control"), "no-store");
    EXPECT_EQ(json::parse(api("POST", base + "/complete", "", "").body)["state"], "completed");
    // The issuance station's PUK is now the next one.
    ASSERT_EQ(cli(std::string("puk --card ") + CARD), 0);
    EXPECT_EQ(readAll(dir_ / "cli.out").substr(0, 8), puks["nextPuk"].get<std::string>());
}

// The create call's uniform-timing padding waits on a timer in the server, not on a handler worker: with
// two workers and six creates held, a status request still answers at once, and each create still takes
// at least the padding (either route, or a refusal).
TEST_F(AuthorityE2e, UniformTimingWaitsOnATimerNotOnAWorker) {
    constexpr std::chrono::milliseconds PADDING{1500};
    stop();
    json config = json::parse(readAll(dir_ / "authority.json"));
    config["uniformTimingMillis"] = PADDING.count();
    config["listen"]["workers"] = 2;
    config["limits"] = {{"createPerAddressPerHour", 1000},
                        {"createPerCardPerHour", 1000},
                        {"createMatchesPerCardPerHour", 1000}};
    writeFile(dir_ / "authority.json", config.dump(2));
    start();

    constexpr int CREATES = 6;
    std::vector<unsigned> statuses(CREATES);
    std::vector<std::chrono::steady_clock::duration> took(CREATES);
    std::vector<std::thread> clients;
    for (int i = 0; i < CREATES; ++i) {
        json body = i % 3 == 1 ? createBody(leaf_.der, "李四", OTHER_ID, "13987654321")
                               : createBody(leaf_.der, "张三", APPLICANT_ID, APPLICANT_PHONE);
        if (i % 3 == 2) body["certificate"] = base64Encode(toBytes("not a certificate"));
        clients.emplace_back([this, i, text = body.dump(), &statuses, &took] {
            const auto start = std::chrono::steady_clock::now();
            statuses[static_cast<std::size_t>(i)] = api("POST", "/v1/unlock-requests", text).status;
            took[static_cast<std::size_t>(i)] = std::chrono::steady_clock::now() - start;
        });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(400));  // every create read and being held
    const auto start = std::chrono::steady_clock::now();
    const auto status = api("GET", "/v1/unlock-requests/0123456789abcdef0123456789abcdef", "", "");
    const auto statusTook = std::chrono::steady_clock::now() - start;
    for (auto& client : clients) client.join();

    EXPECT_EQ(status.status, 404u);
    EXPECT_LT(statusTook, PADDING / 3) << "a status request waited behind padded creates";
    for (int i = 0; i < CREATES; ++i) {
        const auto index = static_cast<std::size_t>(i);
        EXPECT_EQ(statuses[index], i % 3 == 2 ? 400u : 201u) << i;
        EXPECT_GE(took[index], PADDING) << i;
    }
}

TEST_F(AuthorityE2e, ApiNeedsTheInstallationToken) {
    const auto r = authorityRequest(port_, tlsRoot_.certPem, "GET",
                                    "/v1/unlock-requests/0123456789abcdef0123456789abcdef");
    EXPECT_EQ(r.status, 401u);
    EXPECT_EQ(reason(r), "UNAUTHENTICATED");
}

TEST_F(AuthorityE2e, BruteForceOfCodesHitsTheLimit) {
    const std::string id = create("张三", APPLICANT_ID, APPLICANT_PHONE, "sms");
    ASSERT_EQ(api("POST", "/v1/unlock-requests/" + id + "/code", "", "").status, 200u);
    const std::string real = lastCode();
    std::string last;
    for (int i = 0; i < 6; ++i) {
        const std::string guess = std::to_string(100000 + i) == real ? "999999" : std::to_string(100000 + i);
        last = reason(api("POST", "/v1/unlock-requests/" + id + "/verify", json{{"code", guess}}.dump()));
    }
    EXPECT_EQ(last, "CODE_LOCKED");
    const auto r = api("POST", "/v1/unlock-requests/" + id + "/verify", json{{"code", real}}.dump());
    EXPECT_NE(r.status, 200u);
}

TEST_F(AuthorityE2e, ReviewRouteWithReviewersPagesAndRestartMidFlow) {
    const std::string id = create("李四", OTHER_ID, "13987654321", "review");
    const std::string base = "/v1/unlock-requests/" + id;
    std::string pdf = "%PDF-1.7\n";
    for (int i = 0; i < 5000; ++i) pdf.push_back(static_cast<char>('A' + i % 26));
    std::string png = "\x89PNG\r\n\x1a\n";
    for (int i = 0; i < 3000; ++i) png.push_back(static_cast<char>(i % 251));
    std::string jpeg = "\xFF\xD8\xFF\xE0";
    for (int i = 0; i < 3000; ++i) jpeg.push_back(static_cast<char>(i % 241));
    const std::string elf = std::string(
                                "\x7f"
                                "ELF\x02\x01\x01\x00",
                                8) +
                            std::string(500, '\x90');
    EXPECT_EQ(reason(api("PUT", base + "/attachments/application_form", elf, "application/pdf")),
              "ATTACHMENT_TYPE");
    ASSERT_EQ(api("PUT", base + "/attachments/application_form", pdf, "application/pdf").status, 200u);
    ASSERT_EQ(api("PUT", base + "/attachments/business_license", jpeg, "image/jpeg").status, 200u);

    // Restart mid-flow: the request and its attachments survive byte for byte.
    stop();
    start();
    ASSERT_EQ(api("PUT", base + "/attachments/handler_id", png, "image/png").status, 200u);
    const auto submitted = api("POST", base + "/submit", "", "");
    ASSERT_EQ(submitted.status, 200u) << submitted.body;
    const json status = json::parse(submitted.body);
    EXPECT_EQ(status["state"], "in_review");
    for (const auto& a : status["attachments"]) {
        if (a["kind"] == "application_form") {
            EXPECT_EQ(a["sha256"], attachmentSha256(pdf));
        }
        if (a["kind"] == "business_license") {
            EXPECT_EQ(a["sha256"], attachmentSha256(jpeg));
        }
    }

    // Reviewer: anonymous attachment access is refused; login with the form's CSRF; view; approve.
    EXPECT_EQ(authorityRequest(port_, tlsRoot_.certPem, "GET",
                               "/review/requests/" + id + "/attachments/application_form")
                  .status,
              401u);
    const auto loginPage = authorityRequest(port_, tlsRoot_.certPem, "GET", "/review/login");
    ASSERT_EQ(loginPage.status, 200u);
    const std::string setCookie = loginPage.header("Set-Cookie");
    const std::string loginCsrf = setCookie.substr(setCookie.find('=') + 1, 64);
    const auto login = authorityRequest(port_, tlsRoot_.certPem, "POST", "/review/login",
                                        "username=wang&password=reviewer-password-1&csrf=" + loginCsrf,
                                        {{"Content-Type", "application/x-www-form-urlencoded"},
                                         {"Cookie", "__Host-cb_login_csrf=" + loginCsrf}});
    ASSERT_EQ(login.status, 303u) << login.body;
    const std::string session = login.header("Set-Cookie");
    ASSERT_TRUE(session.starts_with("__Host-cb_review=")) << session;
    EXPECT_NE(session.find("; Path=/;"), std::string::npos) << session;
    EXPECT_NE(session.find("Secure; HttpOnly; SameSite=Strict"), std::string::npos);
    const std::string cookie = session.substr(0, session.find(';'));
    const auto queue = authorityRequest(port_, tlsRoot_.certPem, "GET", "/review/", {}, {{"Cookie", cookie}});
    ASSERT_EQ(queue.status, 200u);
    EXPECT_NE(queue.body.find(id), std::string::npos);
    const auto page =
        authorityRequest(port_, tlsRoot_.certPem, "GET", "/review/requests/" + id, {}, {{"Cookie", cookie}});
    ASSERT_EQ(page.status, 200u);
    const auto viewed = authorityRequest(port_, tlsRoot_.certPem, "GET",
                                         "/review/requests/" + id + "/attachments/application_form", {},
                                         {{"Cookie", cookie}});
    EXPECT_EQ(attachmentSha256(viewed.body), attachmentSha256(pdf));
    EXPECT_EQ(viewed.header("Content-Type"), "application/pdf");
    const std::size_t at = page.body.find("name=\"csrf\" value=\"");
    ASSERT_NE(at, std::string::npos);
    const std::string csrf = page.body.substr(at + 19, 64);
    const auto noCsrf =
        authorityRequest(port_, tlsRoot_.certPem, "POST", "/review/requests/" + id + "/reject", "reason=x",
                         {{"Content-Type", "application/x-www-form-urlencoded"}, {"Cookie", cookie}});
    EXPECT_EQ(noCsrf.status, 403u);
    const auto rejected =
        authorityRequest(port_, tlsRoot_.certPem, "POST", "/review/requests/" + id + "/reject",
                         "csrf=" + csrf + "&reason=%E6%9D%90%E6%96%99%E4%B8%8D%E6%B8%85",
                         {{"Content-Type", "application/x-www-form-urlencoded"}, {"Cookie", cookie}});
    EXPECT_EQ(rejected.status, 303u);
    const json final = json::parse(api("GET", base, "", "").body);
    EXPECT_EQ(final["state"], "rejected");
    EXPECT_EQ(final["rejectReason"], "材料不清");
}

TEST_F(AuthorityE2e, WithdrawOpenRequest) {
    const std::string id = create("李四", OTHER_ID, "13987654321", "review");
    const auto r = api("DELETE", "/v1/unlock-requests/" + id, "", "");
    ASSERT_EQ(r.status, 200u);
    EXPECT_EQ(json::parse(r.body)["state"], "withdrawn");
}

TEST_F(AuthorityE2e, CertificatesExpiredUnknownOrFromAnotherChain) {
    CertSpec otherCaSpec;
    otherCaSpec.commonName = "Other CA";
    otherCaSpec.isCa = true;
    const TestCert otherCa = makeCertificate(otherCaSpec);
    const TestCert foreign = makeLeaf(&otherCa, std::chrono::system_clock::now() + std::chrono::days(30));
    const TestCert unknown = makeLeaf(&ca_, std::chrono::system_clock::now() + std::chrono::days(30));
    const TestCert expired = makeLeaf(&ca_, std::chrono::system_clock::now() - std::chrono::days(2));
    writeFile(dir_ / "expired.pem", expired.certPem);
    ASSERT_EQ(cli("enroll --cert " + (dir_ / "expired.pem").string() + " --card CARD-OLD --org " +
                      ORGANIZATION + " --name 张三 --id-type 居民身份证",
                  std::string(APPLICANT_ID) + "\n" + APPLICANT_PHONE + "\n"),
              0)
        << readAll(dir_ / "cli.out");
    auto body = createBody(foreign.der, "张三", APPLICANT_ID, APPLICANT_PHONE);
    EXPECT_EQ(reason(api("POST", "/v1/unlock-requests", body.dump())), "CERT_UNTRUSTED");
    body = createBody(unknown.der, "张三", APPLICANT_ID, APPLICANT_PHONE);
    EXPECT_EQ(reason(api("POST", "/v1/unlock-requests", body.dump())), "CERT_UNKNOWN");
    body = createBody(expired.der, "张三", APPLICANT_ID, APPLICANT_PHONE);
    body["cardSerial"] = "CARD-OLD";
    EXPECT_EQ(reason(api("POST", "/v1/unlock-requests", body.dump())), "CERT_EXPIRED");
}

TEST_F(AuthorityE2e, HostileInput) {
    const std::string id = create("李四", OTHER_ID, "13987654321", "review");
    const std::string base = "/v1/unlock-requests/" + id;
    // 2 MiB declared: refused with 413 before the body is read.
    const auto big = api("PUT", base + "/attachments/application_form",
                         "%PDF-" + std::string(2 * 1024 * 1024, 'A'), "application/pdf");
    EXPECT_EQ(big.status, 413u);
    EXPECT_EQ(reason(big), "ATTACHMENT_TOO_LARGE");
    EXPECT_EQ(reason(api("POST", "/v1/unlock-requests", "{\"certificate\":", "application/json")),
              "MALFORMED_JSON");
    EXPECT_EQ(reason(api("POST", "/v1/unlock-requests", "{}", "text/plain")), "UNSUPPORTED_MEDIA_TYPE");
    EXPECT_EQ(reason(api("POST", "/v1/unlock-requests", std::string(100 * 1024, '['))), "BODY_TOO_LARGE");
    const std::vector<std::string> targets{
        "/v1/unlock-requests/../../etc/passwd", "/v1/unlock-requests/%2e%2e%2fetc",
        "/v1/unlock-requests/" + id + "x", "/v1/unlock-requests/" + id + "/attachments/..%2f"};
    for (const std::string& target : targets) {
        const auto r = api("GET", target, "", "");
        EXPECT_TRUE(r.status == 404u || r.status == 405u) << target << " " << r.status;
    }
    EXPECT_EQ(api("GET", "/review/../v1/unlock-requests/" + id, "", "").status,
              303u);  // review site: login first
    // The server still serves after all of that.
    EXPECT_EQ(api("GET", base, "", "").status, 200u);
}

}  // namespace
}  // namespace cardbridge::test
