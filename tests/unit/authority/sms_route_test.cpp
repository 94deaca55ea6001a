// SMS route: sendCode / verifyCode and the code rules (life, cooldown, wrong tries, daily cap).
#include "authority_fixture.hpp"
#include "cardbridge/rules/sms_code.hpp"

namespace cardbridge::authority::test {
namespace {

using SmsRouteTest = AuthorityFixture;

TEST_F(SmsRouteTest, CodeGoesToRegisteredPhoneAndAuthorises) {
    const auto id = service_->requests().create(applicantRequest()).requestId;
    const auto sent = service_->sms().sendCode(id, "203.0.113.7");
    EXPECT_EQ(sent.maskedPhone, "138****5678");
    EXPECT_EQ(sent.expiresAt, clock_.now() + 300s);
    const auto messages = sms_.messages();
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_EQ(messages[0].phone, APPLICANT_PHONE);
    EXPECT_EQ(messages[0].requestId, id);
    const auto code = lastCode();
    ASSERT_EQ(code.size(), 6u);
    const auto status = service_->sms().verifyCode(id, Secret(code));
    EXPECT_EQ(status.state, "authorised");
    ASSERT_TRUE(status.authorisedUntil);
    // Single use: the request is no longer open.
    expectReason([&] { service_->sms().verifyCode(id, Secret(code)); }, reason::WRONG_STATE);
}

TEST_F(SmsRouteTest, ReviewRequestCannotGetCode) {
    const auto id = service_->requests().create(otherHandlerRequest()).requestId;
    expectReason([&] { service_->sms().sendCode(id, "203.0.113.7"); }, reason::WRONG_ROUTE);
}

TEST_F(SmsRouteTest, VerifyBeforeSendIsRefused) {
    const auto id = service_->requests().create(applicantRequest()).requestId;
    expectReason([&] { service_->sms().verifyCode(id, Secret(std::string_view("123456"))); },
                 reason::CODE_NOT_SENT);
}

TEST_F(SmsRouteTest, CodeExpiresAfterFiveMinutes) {
    const auto id = service_->requests().create(applicantRequest()).requestId;
    service_->sms().sendCode(id, "203.0.113.7");
    const auto code = lastCode();
    clock_.advance(300s);
    expectReason([&] { service_->sms().verifyCode(id, Secret(code)); }, reason::CODE_EXPIRED);
}

TEST_F(SmsRouteTest, ResendCooldownThenNewCodeInvalidatesOld) {
    const auto id = service_->requests().create(applicantRequest()).requestId;
    service_->sms().sendCode(id, "203.0.113.7");
    const auto first = lastCode();
    clock_.advance(10s);
    const auto extra =
        expectReason([&] { service_->sms().sendCode(id, "203.0.113.7"); }, reason::CODE_COOLDOWN);
    EXPECT_EQ(extra.value("retryAfter", 0), 50);
    clock_.advance(50s);
    service_->sms().sendCode(id, "203.0.113.7");
    const auto second = lastCode();
    if (first != second) {
        expectReason([&] { service_->sms().verifyCode(id, Secret(first)); }, reason::CODE_INCORRECT);
    }
    EXPECT_EQ(service_->sms().verifyCode(id, Secret(second)).state, "authorised");
}

TEST_F(SmsRouteTest, FiveWrongTriesLockTheCode) {
    const auto id = service_->requests().create(applicantRequest()).requestId;
    service_->sms().sendCode(id, "203.0.113.7");
    const auto code = lastCode();
    const std::string wrong = code == "000000" ? "111111" : "000000";
    for (int left = 4; left >= 1; --left) {
        const auto extra = expectReason(
            [&] { service_->sms().verifyCode(id, Secret(std::string_view(wrong))); }, reason::CODE_INCORRECT);
        EXPECT_EQ(extra.value("triesLeft", -1), left);
    }
    expectReason([&] { service_->sms().verifyCode(id, Secret(std::string_view(wrong))); },
                 reason::CODE_LOCKED);
    // Even the right code is refused now.
    expectReason([&] { service_->sms().verifyCode(id, Secret(code)); }, reason::CODE_LOCKED);
    // A fresh code after the cooldown works.
    clock_.advance(60s);
    service_->sms().sendCode(id, "203.0.113.7");
    EXPECT_EQ(service_->sms().verifyCode(id, Secret(lastCode())).state, "authorised");
}

TEST_F(SmsRouteTest, DailyCapPerCard) {
    const auto id = service_->requests().create(applicantRequest()).requestId;
    int sent = 0;
    for (int i = 0; i < 20; ++i) {
        try {
            service_->sms().sendCode(id, "203.0.113.7");
            ++sent;
        } catch (const AuthorityError& e) {
            EXPECT_EQ(e.reason(), reason::DAILY_CAP);
            EXPECT_GT(e.extra().value("retryAfter", 0), 0);
            break;
        }
        clock_.advance(61s);
    }
    EXPECT_EQ(sent, rules::SMS_DAILY_CAP_PER_CARD);
}

TEST_F(SmsRouteTest, GatewayFailureIsSmsUnavailableAndCodeIsDead) {
    const auto id = service_->requests().create(applicantRequest()).requestId;
    sms_.failNext();
    expectReason([&] { service_->sms().sendCode(id, "203.0.113.7"); }, reason::SMS_UNAVAILABLE);
    const auto code = storage_->latestCode(id);
    ASSERT_TRUE(code);
    EXPECT_EQ(code->state, CodeState::Dead);
}

TEST_F(SmsRouteTest, OutboxWritesJsonLinesOwnerOnly) {
    const auto path = dir_.path() / "outbox.jsonl";
    OutboxSmsGateway outbox(path);
    outbox.send({"13812345678", "验证码 123456", "abc", START});
    outbox.send({"13812345678", "验证码 654321", "def", START});
    std::istringstream lines(readAll(path));
    std::string line;
    std::vector<nlohmann::json> parsed;
    while (std::getline(lines, line)) parsed.push_back(nlohmann::json::parse(line));
    ASSERT_EQ(parsed.size(), 2u);
    EXPECT_EQ(parsed[1]["requestId"], "def");
    EXPECT_EQ(parsed[0]["phone"], "13812345678");
    EXPECT_EQ(parsed[0]["time"], "2025-03-05T02:00:00Z");
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 077, 0u);
}

}  // namespace
}  // namespace cardbridge::authority::test
