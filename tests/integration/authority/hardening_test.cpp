// Black box, issue 10: the real cardbridge-authority binary refuses to serve an open API or the SMS outbox
// without --dev, answers a wrong token before the body, caps connections and pending requests, believes
// X-Forwarded-For only from its proxy, purges on a timer, verifies its audit chain, and takes ID numbers
// and phones for enroll from stdin or a file only.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "authority_process.hpp"
#include "cardbridge/common/base64.hpp"
#include "https_client.hpp"
#include "temp_dir.hpp"
#include "test_certs.hpp"

namespace cardbridge::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* APPLICANT_ID = "440304199001011233";
constexpr const char* OTHER_ID = "11010519491231002X";
constexpr const char* APPLICANT_PHONE = "13812345678";
constexpr const char* ORGANIZATION = "深圳市测试医疗器械有限公司";
constexpr const char* CARD = "CARD-H-1";
constexpr const char* TOKEN = "hardening-install-token-0123456789";
constexpr const char* REQUEST_ID = "0123456789abcdef0123456789abcdef";

int rawSql(const fs::path& db, const std::string& sql) {
    sqlite3* handle = nullptr;
    sqlite3_open(db.c_str(), &handle);
    const int rc = sqlite3_exec(handle, sql.c_str(), nullptr, nullptr, nullptr);
    sqlite3_close(handle);
    return rc;
}

class AuthorityHardening : public ::testing::Test {
  protected:
    void SetUp() override { dir_ = tempDir_.path(); }

    // An installation with `extra` merged into its config, the applicant enrolled.
    void install(const json& extra = json::object()) {
        authority_.emplace(dir_, CARDBRIDGE_AUTHORITY_EXE, TOKEN, extra);
        ASSERT_EQ(authority_->enroll(CARD, ORGANIZATION, "张三", APPLICANT_ID, APPLICANT_PHONE), 0)
            << readTextFile(dir_ / "cli.out");
    }

    // Runs `serve` without --dev (unless `dev`) for at most 5 s; returns its exit status (124: still running,
    // i.e. it started) and leaves its stderr in serve.err.
    int serveBriefly(bool dev) const {
        const std::string command = "timeout 5 " + std::string(CARDBRIDGE_AUTHORITY_EXE) + " --config " +
                                    (dir_ / "authority.json").string() + " serve" + (dev ? " --dev" : "") +
                                    " > " + (dir_ / "serve.out").string() + " 2> " +
                                    (dir_ / "serve.err").string();
        const int status = std::system(command.c_str());
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

    void rewriteConfig(const std::function<void(json&)>& edit) const {
        json config = json::parse(readTextFile(dir_ / "authority.json"));
        edit(config);
        writeFile(dir_ / "authority.json", config.dump(2));
    }

    AuthorityResponse api(const std::string& method, const std::string& target, const std::string& body = {},
                          std::vector<std::pair<std::string, std::string>> headers = {}) {
        headers.emplace_back("Authorization", std::string("Bearer ") + TOKEN);
        if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
        return authorityRequest(authority_->port(), authority_->tlsRoot().certPem, method, target, body,
                                headers);
    }

    std::string createBody(const std::string& name, const std::string& id, const std::string& phone) const {
        return json{{"certificate", base64Encode(authority_->leaf().der)},
                    {"cardSerial", CARD},
                    {"handler",
                     {{"organization", ORGANIZATION},
                      {"name", name},
                      {"idType", "居民身份证"},
                      {"idNumber", id},
                      {"phone", phone}}}}
            .dump();
    }

    TempDir tempDir_{"cardbridge-authority-hardening"};
    fs::path dir_;
    std::optional<AuthorityProcess> authority_;
};

// Finding 1: without an API token file, serve refuses to start (the API would be open to anyone); --dev
// allows it for the demo.
TEST_F(AuthorityHardening, ServeRefusesAnOpenApiWithoutDev) {
    install();
    rewriteConfig([](json& c) { c.erase("api"); });
    EXPECT_EQ(serveBriefly(false), 1);
    EXPECT_NE(readTextFile(dir_ / "serve.err").find("api.tokenFile"), std::string::npos)
        << readTextFile(dir_ / "serve.err");
    EXPECT_EQ(serveBriefly(true), 124) << readTextFile(dir_ / "serve.err");  // ran until timeout stopped it
    EXPECT_NE(readTextFile(dir_ / "serve.out").find("listening on"), std::string::npos);
}

// Finding 4: the SMS outbox (codes and phones in clear) only with --dev; a plain-http webhook to another
// host is refused too.
TEST_F(AuthorityHardening, ServeRefusesTheOutboxWithoutDevAndPlainHttpWebhooks) {
    install();
    EXPECT_EQ(serveBriefly(false), 1);
    EXPECT_NE(readTextFile(dir_ / "serve.err").find("outbox"), std::string::npos)
        << readTextFile(dir_ / "serve.err");
    rewriteConfig([](json& c) {
        c["sms"] = {{"kind", "webhook"}, {"webhookUrl", "http://sms.example.com/send"}};
    });
    EXPECT_EQ(serveBriefly(false), 1);
    EXPECT_NE(readTextFile(dir_ / "serve.err").find("https://"), std::string::npos)
        << readTextFile(dir_ / "serve.err");
    rewriteConfig([](json& c) {
        c["sms"] = {{"kind", "webhook"}, {"webhookUrl", "https://sms.example.com/send"}};
    });
    EXPECT_EQ(serveBriefly(false), 124) << readTextFile(dir_ / "serve.err");
}

// Finding 1: a wrong token is answered when the header arrives — the body (here never sent) is not waited
// for, and the connection closes.
TEST_F(AuthorityHardening, WrongTokenIsRefusedBeforeTheBody) {
    install();
    authority_->start();
    RawTlsConnection connection(authority_->port(), authority_->tlsRoot().certPem);
    ASSERT_TRUE(connection.send(std::string("PUT /v1/unlock-requests/") + REQUEST_ID +
                                "/attachments/handler_id HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                "Authorization: Bearer wrong\r\nContent-Type: image/png\r\n"
                                "Content-Length: 900000\r\n\r\n"));
    const auto started = std::chrono::steady_clock::now();
    const std::string answer = connection.receive(std::chrono::seconds(5));
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 401")) << answer.substr(0, 200);
    EXPECT_NE(answer.find("UNAUTHENTICATED"), std::string::npos);
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4));  // closed, not timed out
}

// Finding 1: a connection cap — one more connection is closed before TLS; when one ends, a new one works.
TEST_F(AuthorityHardening, ConnectionsAreCapped) {
    install({{"listen", {{"maxConnections", 2}}}});
    authority_->start();
    const auto port = authority_->port();
    const std::string root = authority_->tlsRoot().certPem;
    auto first = std::make_unique<RawTlsConnection>(port, root);
    RawTlsConnection second(port, root);
    EXPECT_THROW(RawTlsConnection(port, root), std::runtime_error);
    first.reset();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_NO_THROW(RawTlsConnection(port, root));
}

// Finding 1: a bounded queue — with one worker and one pending request allowed, concurrent reviewer
// logins (each an scrypt) past the bound get 503 UNAVAILABLE-style answers with Retry-After, and the
// service stays up.
TEST_F(AuthorityHardening, PendingRequestsAreBoundedWith503) {
    install({{"listen", {{"workers", 1}, {"maxPendingRequests", 1}}}});
    ASSERT_EQ(authority_->cli("reviewer add wang", "reviewer-password-1\n"), 0);
    authority_->start();
    const auto port = authority_->port();
    const std::string root = authority_->tlsRoot().certPem;
    const auto page = authorityRequest(port, root, "GET", "/review/login");
    const std::string cookie = page.header("Set-Cookie");
    const std::string csrf = cookie.substr(cookie.find('=') + 1, 64);
    constexpr int CALLS = 8;
    std::atomic<int> busy{0};
    std::atomic<int> retryAfter{0};
    std::atomic<int> answered{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < CALLS; ++i) {
        threads.emplace_back([&] {
            const auto r = authorityRequest(port, root, "POST", "/review/login",
                                            "username=wang&password=reviewer-password-1&csrf=" + csrf,
                                            {{"Content-Type", "application/x-www-form-urlencoded"},
                                             {"Cookie", "__Host-cb_login_csrf=" + csrf}});
            if (r.status == 503) ++busy;
            if (r.status == 503 && r.header("Retry-After") == "1") ++retryAfter;
            if (r.status == 303) ++answered;
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_GE(busy.load(), 1);
    EXPECT_EQ(retryAfter.load(), busy.load());
    EXPECT_GE(answered.load(), 1);
    EXPECT_EQ(authorityRequest(port, root, "GET", "/review/login").status, 200u);
}

// Finding 3: behind the configured proxy each client has its own bucket (X-Forwarded-For); a client's own
// X-Forwarded-For is ignored when it is not the proxy.
TEST_F(AuthorityHardening, ForwardedForCountsClientsBehindTheProxyApart) {
    install({{"listen", {{"trustedProxies", {"127.0.0.1"}}}}, {"limits", {{"createPerAddressPerHour", 1}}}});
    authority_->start();
    const auto a = api("POST", "/v1/unlock-requests", createBody("李四", OTHER_ID, "13987654321"),
                       {{"X-Forwarded-For", "198.51.100.1"}});
    EXPECT_EQ(a.status, 201u) << a.body;
    const auto b = api("POST", "/v1/unlock-requests", createBody("李四", OTHER_ID, "13987654321"),
                       {{"X-Forwarded-For", "198.51.100.2"}});
    EXPECT_EQ(b.status, 201u) << b.body;
    const auto again = api("POST", "/v1/unlock-requests", createBody("李四", OTHER_ID, "13987654321"),
                           {{"X-Forwarded-For", "198.51.100.1"}});
    EXPECT_EQ(again.status, 429u) << again.body;

    authority_->stop();
    rewriteConfig([](json& c) { c["listen"].erase("trustedProxies"); });
    authority_->start();
    const auto forged = api("POST", "/v1/unlock-requests", createBody("李四", OTHER_ID, "13987654321"),
                            {{"X-Forwarded-For", "198.51.100.3"}});
    EXPECT_EQ(forged.status, 201u) << forged.body;  // counted as 127.0.0.1: its first this hour
    const auto forged2 = api("POST", "/v1/unlock-requests", createBody("李四", OTHER_ID, "13987654321"),
                             {{"X-Forwarded-For", "198.51.100.4"}});
    EXPECT_EQ(forged2.status, 429u) << forged2.body;
}

// Finding 7: serve purges on its own — a request left open past the retention period is expired and its
// attachment deleted at start, without anyone running `purge`.
TEST_F(AuthorityHardening, ServePurgesRequestsLeftOpen) {
    install({{"attachmentRetentionDays", 30}});
    authority_->start();
    const auto created = api("POST", "/v1/unlock-requests", createBody("李四", OTHER_ID, "13987654321"));
    ASSERT_EQ(created.status, 201u) << created.body;
    const std::string id = json::parse(created.body)["requestId"];
    const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(100, 'x');
    auto put =
        authorityRequest(authority_->port(), authority_->tlsRoot().certPem, "PUT",
                         "/v1/unlock-requests/" + id + "/attachments/handler_id", png,
                         {{"Authorization", std::string("Bearer ") + TOKEN}, {"Content-Type", "image/png"}});
    ASSERT_EQ(put.status, 200u) << put.body;
    ASSERT_TRUE(authority_->stop());
    // Left alone for 31 days.
    const auto old =
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                           (std::chrono::system_clock::now() - std::chrono::days(31)).time_since_epoch())
                           .count());
    ASSERT_EQ(rawSql(dir_ / "data" / "authority.db",
                     "UPDATE unlock_requests SET created_at = " + old + ", updated_at = " + old),
              SQLITE_OK);
    authority_->start();
    json status;
    for (int i = 0; i < 50; ++i) {
        status = json::parse(api("GET", "/v1/unlock-requests/" + id).body);
        if (status["state"] == "withdrawn") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(status["state"], "withdrawn") << status.dump();
    ASSERT_EQ(status["attachments"].size(), 1u);
    EXPECT_EQ(status["attachments"][0]["purged"], true);
}

// Finding 5: verify-audit exits 0 on an intact log and non-zero naming the row after a deletion.
TEST_F(AuthorityHardening, VerifyAuditNamesADeletedRow) {
    install();
    authority_->start();
    for (int i = 0; i < 3; ++i) {
        ASSERT_EQ(api("POST", "/v1/unlock-requests", createBody("李四", OTHER_ID, "13987654321")).status,
                  201u);
    }
    ASSERT_TRUE(authority_->stop());
    ASSERT_EQ(authority_->cli("verify-audit"), 0) << readTextFile(dir_ / "cli.out");
    EXPECT_NE(readTextFile(dir_ / "cli.out").find("intact"), std::string::npos);
    ASSERT_EQ(rawSql(dir_ / "data" / "authority.db",
                     "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id = 2"),
              SQLITE_OK);
    EXPECT_EQ(authority_->cli("verify-audit"), 1);
    EXPECT_NE(readTextFile(dir_ / "cli.out").find("row 2"), std::string::npos)
        << readTextFile(dir_ / "cli.out");
}

// Finding 8: enroll refuses the old flags with a clear error (argv is visible in /proc) and reads the ID
// number and phone from stdin or a file.
TEST_F(AuthorityHardening, EnrollTakesIdNumbersFromStdinOrAFileOnly) {
    install();
    CertSpec spec;
    spec.commonName = "李四";
    spec.issuer = &authority_->issuingCa();
    spec.notBefore = std::chrono::system_clock::now() - std::chrono::days(1);
    spec.notAfter = std::chrono::system_clock::now() + std::chrono::days(30);
    const TestCert second = makeCertificate(spec);
    writeFile(dir_ / "second.pem", second.certPem);
    const std::string base = "enroll --cert " + (dir_ / "second.pem").string() + " --card CARD-H-2 --org " +
                             ORGANIZATION + " --name 李四 --id-type 居民身份证";
    EXPECT_EQ(authority_->cli(base + " --id-number " + OTHER_ID + " --phone 13987654321"), 2);
    EXPECT_NE(readTextFile(dir_ / "cli.out").find("/proc"), std::string::npos)
        << readTextFile(dir_ / "cli.out");
    writeFile(dir_ / "applicant.txt", std::string(OTHER_ID) + "\n13987654321\n");
    EXPECT_EQ(authority_->cli(base + " --applicant-file " + (dir_ / "applicant.txt").string()), 0)
        << readTextFile(dir_ / "cli.out");
    EXPECT_EQ(authority_->cli(base + " --applicant-file " + (dir_ / "applicant.txt").string()),
              1);  // enrolled
}

}  // namespace
}  // namespace cardbridge::test
