// The daemon's AuthorityClient against the real cardbridge-authority over real TLS: the SMS route end to
// end with the code from the outbox, refusals with their reasons and fields, a wrong CA or host (typed TLS
// failure, never retried), a stopped or silent authority (AuthorityUnreachable within timeouts × attempts)
// and a wrong token.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>

#include "authority_process.hpp"
#include "cardbridge/daemon/unlock/authority_client.hpp"
#include "free_port.hpp"
#include "temp_dir.hpp"

namespace cardbridge::daemon::unlock {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* TOKEN = "unlock-install-token-0123456789";
constexpr const char* CARD = "CARD-UNLOCK-1";
constexpr const char* ORGANIZATION = "深圳市测试医疗器械有限公司";
constexpr const char* APPLICANT_ID = "440304199001011233";
constexpr const char* OTHER_ID = "11010519491231002X";
constexpr const char* PHONE = "13812345678";

class AuthorityClientTest : public ::testing::Test {
  protected:
    void SetUp() override {
        authority_.emplace(tempDir_.path() / "authority", CARDBRIDGE_AUTHORITY_EXE, TOKEN);
        ASSERT_EQ(authority_->enroll(CARD, ORGANIZATION, "张三", APPLICANT_ID, PHONE), 0)
            << test::readTextFile(authority_->dir() / "cli.out");
        authority_->start();
        test::writeFile(tempDir_.path() / "authority-ca.pem", authority_->tlsRoot().certPem);
        test::writeFile(tempDir_.path() / "token", std::string("# this installation\n") + TOKEN + "\n");
    }

    void TearDown() override {
        if (authority_) {
            EXPECT_TRUE(authority_->stop()) << test::readTextFile(authority_->dir() / "serve.err");
        }
    }

    /// Options as the daemon builds them from its config, with short timeouts for the tests.
    AuthorityClientOptions options(const std::string& host = "127.0.0.1") {
        AuthorityConfig config;
        config.url = "https://" + host + ":" + std::to_string(authority_->port());
        config.caFile = tempDir_.path() / "authority-ca.pem";
        config.tokenFile = tempDir_.path() / "token";
        config.connectTimeoutSeconds = 2;
        config.requestTimeoutSeconds = 10;
        config.retries = 2;
        AuthorityClientOptions result = clientOptionsFromConfig(config);
        result.backoffBase = milliseconds(100);
        return result;
    }

    CreateRequest createRequest(const std::string& idNumber, const std::string& phone = PHONE) const {
        CreateRequest request;
        request.certificateDer = authority_->leaf().der;
        request.cardSerial = CARD;
        request.handler = {ORGANIZATION, "张三", "居民身份证", idNumber, phone};
        return request;
    }

    test::TempDir tempDir_{"cardbridge-unlock-client"};
    std::optional<test::AuthorityProcess> authority_;
};

TEST_F(AuthorityClientTest, SmsRouteCreateSendVerifyCredentialComplete) {
    const auto client = makeHttpsAuthorityClient(options());
    const CreatedRequest created = client->createRequest(createRequest(APPLICANT_ID));
    EXPECT_EQ(created.route, "sms");
    EXPECT_EQ(created.maskedPhone, "138****5678");

    const CodeSent sent = client->sendCode(created.requestId);
    EXPECT_EQ(sent.maskedPhone, "138****5678");
    EXPECT_GT(sent.resendAfterSeconds, 0u);
    const std::string code = authority_->lastCode();
    ASSERT_EQ(code.size(), 6u);

    const std::string wrong = code == "000000" ? "000001" : "000000";
    try {
        (void)client->verifyCode(created.requestId, Secret(wrong));
        FAIL() << "a wrong code was accepted";
    } catch (const AuthorityRefused& e) {
        EXPECT_EQ(e.reason(), "CODE_INCORRECT");
        EXPECT_EQ(e.httpStatus(), 400u);
        EXPECT_EQ(e.number("triesLeft"), 4u);
    }
    EXPECT_EQ(client->verifyCode(created.requestId, Secret(code)).state, "authorised");

    const Credential credential = client->credential(created.requestId);
    EXPECT_EQ(credential.currentPuk.size(), 8u);
    EXPECT_EQ(credential.nextPuk.size(), 8u);
    EXPECT_FALSE(credential.currentPuk.equals(credential.nextPuk));
    EXPECT_EQ(credential.nextEpoch, credential.epoch + 1);

    EXPECT_EQ(client->complete(created.requestId).state, "completed");
    EXPECT_EQ(client->complete(created.requestId).state, "completed");  // idempotent, so retried safely
    const RequestStatus status = client->status(created.requestId);
    EXPECT_EQ(status.state, "completed");
    EXPECT_TRUE(status.credentialReleased);
}

TEST_F(AuthorityClientTest, ReviewRouteUploadSubmitStatusWithdraw) {
    const auto client = makeHttpsAuthorityClient(options());
    const CreatedRequest created = client->createRequest(createRequest(OTHER_ID));
    EXPECT_EQ(created.route, "review");
    EXPECT_EQ(client->status(created.requestId).state, "open");
    try {
        (void)client->sendCode(created.requestId);
        FAIL() << "an SMS code on the review route";
    } catch (const AuthorityRefused& e) {
        EXPECT_EQ(e.reason(), "WRONG_ROUTE");
        EXPECT_EQ(e.httpStatus(), 409u);
        EXPECT_EQ(e.extra().at("route"), "review");
    }
    try {
        (void)client->submit(created.requestId);
        FAIL() << "submitted without attachments";
    } catch (const AuthorityRefused& e) {
        EXPECT_EQ(e.reason(), "ATTACHMENTS_MISSING");
        EXPECT_NE(e.extra().at("missing").find("handler_id"), std::string::npos);
    }
    const std::string pdf = "%PDF-1.7\n" + std::string(1000, 'x');
    const std::string png = std::string("\x89PNG\r\n\x1a\n") + std::string(500, '\x01');
    const std::string jpeg = std::string("\xFF\xD8\xFF\xE0") + std::string(500, '\x02');
    const AttachmentInfo form = client->uploadAttachment(created.requestId, "application_form", toBytes(pdf));
    EXPECT_EQ(form.contentType, "application/pdf");
    EXPECT_EQ(form.size, pdf.size());
    EXPECT_EQ(client->uploadAttachment(created.requestId, "business_license", toBytes(png)).contentType,
              "image/png");
    try {
        (void)client->uploadAttachment(created.requestId, "handler_id", toBytes(std::string("plain text")));
        FAIL() << "a text file was accepted";
    } catch (const AuthorityRefused& e) {
        EXPECT_EQ(e.reason(), "ATTACHMENT_TYPE");
        EXPECT_EQ(e.httpStatus(), 415u);
    }
    EXPECT_THROW((void)client->uploadAttachment(created.requestId, "selfie", toBytes(png)), AuthorityRefused);
    EXPECT_EQ(client->uploadAttachment(created.requestId, "handler_id", toBytes(jpeg)).contentType,
              "image/jpeg");

    const RequestStatus submitted = client->submit(created.requestId);
    EXPECT_EQ(submitted.state, "in_review");
    EXPECT_TRUE(submitted.dueDate.has_value());
    EXPECT_EQ(submitted.attachments.size(), 3u);
    EXPECT_EQ(client->withdraw(created.requestId).state, "withdrawn");
    EXPECT_EQ(client->status(created.requestId).state, "withdrawn");
}

TEST_F(AuthorityClientTest, FormErrorsComeBackPerField) {
    const auto client = makeHttpsAuthorityClient(options());
    try {
        (void)client->createRequest(createRequest(APPLICANT_ID, "12"));
        FAIL() << "a bad phone number was accepted";
    } catch (const AuthorityRefused& e) {
        EXPECT_EQ(e.reason(), "FORM_INVALID");
        EXPECT_EQ(e.httpStatus(), 400u);
        ASSERT_FALSE(e.fields().empty());
        EXPECT_EQ(e.fields().front().field, "phone");  // the field names of cardbridge_rules
        EXPECT_EQ(e.extra().at("field"), "phone");
    }
}

TEST_F(AuthorityClientTest, UnknownRequestIsNotFound) {
    const auto client = makeHttpsAuthorityClient(options());
    try {
        (void)client->status("0123456789abcdef0123456789abcdef");
        FAIL();
    } catch (const AuthorityRefused& e) {
        EXPECT_EQ(e.reason(), "REQUEST_NOT_FOUND");
        EXPECT_EQ(e.httpStatus(), 404u);
    }
}

TEST_F(AuthorityClientTest, AnAnswerLargerThanTheBoundIsRefusedNotRetried) {
    const auto client = makeHttpsAuthorityClient(options());
    const CreatedRequest created = client->createRequest(createRequest(OTHER_ID));
    auto opts = options();
    opts.maxResponseBytes = 32;  // the status object is larger
    opts.backoffBase = milliseconds(2000);
    const auto small = makeHttpsAuthorityClient(opts);
    const auto start = Clock::now();
    EXPECT_THROW((void)small->status(created.requestId), AuthorityProtocolError);
    EXPECT_LT(Clock::now() - start, milliseconds(1500));
}

TEST_F(AuthorityClientTest, AWrongTokenIsATypedRefusal) {
    auto opts = options();
    opts.token = Secret("not-the-token");
    const auto client = makeHttpsAuthorityClient(opts);
    try {
        (void)client->status("0123456789abcdef0123456789abcdef");
        FAIL();
    } catch (const AuthorityRefused& e) {
        EXPECT_EQ(e.reason(), "UNAUTHENTICATED");
        EXPECT_EQ(e.httpStatus(), 401u);
    }
}

TEST_F(AuthorityClientTest, AnotherCaPinnedIsATlsFailureNotRetried) {
    test::CertSpec spec;
    spec.commonName = "Some other root";
    spec.isCa = true;
    auto opts = options();
    opts.caPem = test::makeCertificate(spec).certPem;
    opts.retries = 5;
    opts.backoffBase = milliseconds(2000);  // a single retry would show in the elapsed time
    const auto client = makeHttpsAuthorityClient(opts);
    const auto start = Clock::now();
    EXPECT_THROW((void)client->status("0123456789abcdef0123456789abcdef"), AuthorityTlsFailure);
    EXPECT_LT(Clock::now() - start, milliseconds(1500));
}

TEST_F(AuthorityClientTest, AHostTheCertificateDoesNotNameIsATlsFailure) {
    // The authority's leaf names IP:127.0.0.1 only.
    const auto client = makeHttpsAuthorityClient(options("localhost"));
    EXPECT_THROW((void)client->status("0123456789abcdef0123456789abcdef"), AuthorityTlsFailure);
}

TEST_F(AuthorityClientTest, AStoppedAuthorityIsUnreachableAfterTheRetries) {
    auto opts = options();
    ASSERT_TRUE(authority_->stop());
    const auto client = makeHttpsAuthorityClient(opts);  // port of the stopped authority: refused at once
    const auto start = Clock::now();
    try {
        (void)client->status("0123456789abcdef0123456789abcdef");
        FAIL();
    } catch (const AuthorityUnreachable& e) {
        EXPECT_NE(std::string(e.what()).find("3 attempts"), std::string::npos) << e.what();
    }
    // Backoff 100 + 200 ms between the three attempts; far below connectTimeout × attempts.
    const auto elapsed = Clock::now() - start;
    EXPECT_GE(elapsed, milliseconds(300));
    EXPECT_LT(elapsed, milliseconds(6000 + 300));
    // create is retried too while nothing could be sent.
    EXPECT_THROW((void)client->createRequest(createRequest(APPLICANT_ID)), AuthorityUnreachable);
}

TEST_F(AuthorityClientTest, ASilentPeerIsUnreachableWithinConnectTimeoutTimesAttempts) {
    // A socket that listens but never accepts: TCP connects (the kernel's backlog), TLS never answers.
    const int silent = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(silent, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const std::uint16_t port = test::freePort();
    address.sin_port = htons(port);
    ASSERT_EQ(::bind(silent, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::listen(silent, 8), 0);
    auto opts = options();
    opts.url.port = port;
    opts.connectTimeout = milliseconds(500);
    opts.retries = 1;
    const auto client = makeHttpsAuthorityClient(opts);
    const auto start = Clock::now();
    EXPECT_THROW((void)client->status("0123456789abcdef0123456789abcdef"), AuthorityUnreachable);
    const auto elapsed = Clock::now() - start;
    ::close(silent);
    EXPECT_GE(elapsed, milliseconds(2 * 500));
    EXPECT_LT(elapsed, milliseconds(2 * (500 + 1000) + 100 + 1000));  // each attempt: deadline + grace
}

}  // namespace
}  // namespace cardbridge::daemon::unlock
