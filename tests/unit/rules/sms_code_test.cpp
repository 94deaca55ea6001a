// SMS codes: generation without bias, hashed storage, the verify state machine with an injected clock,
// and the send policy (cooldown, daily caps).
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <deque>
#include <memory>
#include <stdexcept>
#include <string>

#include "cardbridge/common/error.hpp"
#include "cardbridge/rules/sms_code.hpp"
#include "cardbridge/rules/working_days.hpp"
#include "fakes/clock_random.hpp"

namespace cardbridge::rules {
namespace {

using namespace std::chrono;

const sys_seconds T0 = sys_seconds(sys_days(year{2025} / October / day{13})) + hours(2);  // 10:00 Shanghai

// A random source that replays scripted 4-byte values, big-endian.
class ScriptedRandom final : public Random {
  public:
    explicit ScriptedRandom(std::deque<std::uint32_t> values) : values_(std::move(values)) {}
    Bytes bytes(std::size_t count) override {
        EXPECT_EQ(count, 4U);
        if (values_.empty()) throw std::logic_error("random source exhausted");
        const std::uint32_t v = values_.front();
        values_.pop_front();
        Bytes out(4);
        for (std::size_t i = 0; i < 4; ++i) out[i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
        return out;
    }

  private:
    std::deque<std::uint32_t> values_;
};

std::string generated(std::deque<std::uint32_t> values) {
    ScriptedRandom random(std::move(values));
    return std::string(generateSmsCode(random).view());
}

struct Machine {
    fake::FakeClock clock{T0};
    SystemRandom random;
    SmsCodeMachine machine{Secret(std::string_view("server-key-for-tests-0123456789ab")), clock, random};
    [[nodiscard]] sys_seconds now() const { return clock.now(); }
    void advance(seconds s) { clock.advance(s); }
};

TEST(SmsCodeGeneration, LeadingZerosAndRejectionSampling) {
    EXPECT_EQ(generated({42}), "000042");
    // 4,294,000,000 and above are rejected (modulo bias); the next value is used.
    EXPECT_EQ(generated({4'294'000'000U, 0xFFFFFFFFU, 4'293'999'999U}), "999999");
    EXPECT_EQ(generated({1'234'567U}), "234567");
}

TEST(SmsCodeGeneration, DistributionSanity) {
    constexpr int N = 20000;
    std::array<std::array<int, 10>, SMS_CODE_DIGITS> counts{};
    int leadingZero = 0;
    SystemRandom random;
    for (int i = 0; i < N; ++i) {
        const Secret code = generateSmsCode(random);
        ASSERT_EQ(code.size(), SMS_CODE_DIGITS);
        const auto text = code.view();
        for (std::size_t p = 0; p < SMS_CODE_DIGITS; ++p) {
            ASSERT_TRUE(text[p] >= '0' && text[p] <= '9');
            ++counts[p][static_cast<std::size_t>(text[p] - '0')];
        }
        if (text[0] == '0') ++leadingZero;
    }
    // Each digit at each position is expected N/10 = 2000 times (σ ≈ 42): ±400 is > 9σ.
    for (const auto& position : counts) {
        for (int c : position) {
            EXPECT_GT(c, 1600);
            EXPECT_LT(c, 2400);
        }
    }
    EXPECT_GT(leadingZero, 0);
}

TEST(SmsCodeHash, IsKeyedHmacOverRequestAndCode) {
    const Secret key(std::string_view("k3y"));
    const Bytes stored = hashSmsCode(key, "req-1", "123456");
    // Independent computation with OpenSSL's one-shot HMAC().
    const std::string message = std::string("req-1") + '\0' + "123456";
    std::array<unsigned char, 32> expected{};
    unsigned int len = 0;
    HMAC(EVP_sha256(), "k3y", 3, reinterpret_cast<const unsigned char*>(message.data()), message.size(),
         expected.data(), &len);
    ASSERT_EQ(len, 32U);
    EXPECT_EQ(stored, Bytes(expected.begin(), expected.end()));
    EXPECT_NE(hashSmsCode(key, "req-2", "123456"), stored);
    EXPECT_NE(hashSmsCode(Secret(std::string_view("other")), "req-1", "123456"), stored);
    EXPECT_THROW((void)hashSmsCode(Secret(), "req-1", "123456"), InputError);
}

TEST(SmsCodeMachine, CorrectCodeVerifiesOnceOnly) {
    Machine m;
    auto issued = m.machine.issue("req-1");
    EXPECT_EQ(issued.record.issuedAt, T0);
    EXPECT_EQ(issued.record.codeHash.size(), 32U);
    const std::string code(issued.code.view());
    EXPECT_EQ(m.machine.verify(&issued.record, "req-1", code), VerifyResult::Ok);
    EXPECT_TRUE(issued.record.consumed);
    EXPECT_EQ(m.machine.verify(&issued.record, "req-1", code), VerifyResult::AlreadyUsed);
    EXPECT_EQ(verifyResultName(VerifyResult::AlreadyUsed), "already_used");
}

TEST(SmsCodeMachine, ExpiresAtExactlyFiveMinutes) {
    Machine m;
    auto issued = m.machine.issue("req-1");
    const std::string code(issued.code.view());
    auto copy = issued.record;
    m.advance(seconds(299));
    EXPECT_TRUE(SmsCodeMachine::isLive(copy, m.now()));
    EXPECT_EQ(m.machine.verify(&copy, "req-1", code), VerifyResult::Ok);
    m.advance(seconds(1));  // issuedAt + 300 s
    EXPECT_FALSE(SmsCodeMachine::isLive(issued.record, m.now()));
    EXPECT_EQ(m.machine.verify(&issued.record, "req-1", code), VerifyResult::Expired);
    EXPECT_EQ(issued.record.wrongTries, 0);  // expiry uses no try
}

TEST(SmsCodeMachine, FiveWrongTriesKillTheCode) {
    Machine m;
    auto issued = m.machine.issue("req-1");
    const std::string code(issued.code.view());
    const std::string wrong = code == "000000" ? "000001" : "000000";
    for (int i = 1; i <= SMS_MAX_WRONG_TRIES; ++i) {
        EXPECT_EQ(m.machine.verify(&issued.record, "req-1", wrong), VerifyResult::Wrong);
        EXPECT_EQ(SmsCodeMachine::triesLeft(issued.record), SMS_MAX_WRONG_TRIES - i);
    }
    EXPECT_EQ(m.machine.verify(&issued.record, "req-1", code), VerifyResult::TooManyTries);
    EXPECT_FALSE(issued.record.consumed);
    EXPECT_FALSE(SmsCodeMachine::isLive(issued.record, m.now()));
}

TEST(SmsCodeMachine, FourWrongTriesThenRightStillWorks) {
    Machine m;
    auto issued = m.machine.issue("req-1");
    const std::string code(issued.code.view());
    for (int i = 0; i < 4; ++i)
        EXPECT_EQ(m.machine.verify(&issued.record, "req-1", "12345"), VerifyResult::Wrong);
    EXPECT_EQ(issued.record.wrongTries, 4);  // malformed input counts as a wrong try
    EXPECT_EQ(m.machine.verify(&issued.record, "req-1", code), VerifyResult::Ok);
}

TEST(SmsCodeMachine, ResendInvalidatesTheEarlierCode) {
    Machine m;
    auto first = m.machine.issue("req-1");
    m.advance(SMS_RESEND_COOLDOWN);
    auto second = m.machine.issue("req-1");
    const std::string firstCode(first.code.view());
    const std::string secondCode(second.code.view());
    if (firstCode == secondCode) GTEST_SKIP() << "both codes equal by chance (p = 1e-6)";
    // Storage keeps one record per request: the second replaced the first.
    SmsCodeRecord stored = second.record;
    EXPECT_EQ(m.machine.verify(&stored, "req-1", firstCode), VerifyResult::Wrong);
    EXPECT_EQ(m.machine.verify(&stored, "req-1", secondCode), VerifyResult::Ok);
    EXPECT_EQ(second.record.issuedAt, T0 + SMS_RESEND_COOLDOWN);
}

TEST(SmsCodeMachine, CodeIsBoundToItsRequest) {
    Machine m;
    auto issued = m.machine.issue("req-1");
    EXPECT_EQ(m.machine.verify(&issued.record, "req-2", std::string(issued.code.view())),
              VerifyResult::Wrong);
    EXPECT_EQ(m.machine.verify(nullptr, "req-1", "123456"), VerifyResult::NoCode);
    SmsCodeRecord empty;
    EXPECT_EQ(m.machine.verify(&empty, "req-1", "123456"), VerifyResult::NoCode);
}

TEST(SmsCodeMachine, RecordNeverHoldsTheCode) {
    Machine m;
    const auto issued = m.machine.issue("req-1");
    const Bytes codeBytes = toBytes(issued.code.view());
    const auto& hash = issued.record.codeHash;
    EXPECT_EQ(std::search(hash.begin(), hash.end(), codeBytes.begin(), codeBytes.end()), hash.end());
    EXPECT_THROW(SmsCodeMachine(Secret(), m.clock, m.random), InputError);
}

TEST(SmsSendPolicy, CooldownOfSixtySeconds) {
    EXPECT_TRUE(checkSendAllowed({}, T0).allowed());
    SendHistory h;
    h.lastSentToCard = T0;
    auto d = checkSendAllowed(h, T0 + seconds(59));
    EXPECT_EQ(d.kind, SendDecision::Kind::Cooldown);
    EXPECT_EQ(d.retryAfter, seconds(1));
    d = checkSendAllowed(h, T0 + seconds(10));
    EXPECT_EQ(d.retryAfter, seconds(50));
    EXPECT_TRUE(checkSendAllowed(h, T0 + seconds(60)).allowed());
}

TEST(SmsSendPolicy, DailyCapsPerCardAndAddressUntilShanghaiMidnight) {
    SendHistory h;
    h.sentTodayForCard = SMS_DAILY_CAP_PER_CARD - 1;
    h.sentTodayForAddress = SMS_DAILY_CAP_PER_ADDRESS - 1;
    EXPECT_TRUE(checkSendAllowed(h, T0).allowed());

    h.sentTodayForCard = SMS_DAILY_CAP_PER_CARD;
    auto d = checkSendAllowed(h, T0);
    EXPECT_EQ(d.kind, SendDecision::Kind::DailyCap);
    // T0 is 10:00 Shanghai: 14 hours to the next local midnight.
    EXPECT_EQ(d.retryAfter, hours(14));
    EXPECT_EQ(T0 + d.retryAfter, shanghaiDayStart(year{2025} / October / day{14}));

    h.sentTodayForCard = 0;
    h.sentTodayForAddress = SMS_DAILY_CAP_PER_ADDRESS;
    EXPECT_EQ(checkSendAllowed(h, T0).kind, SendDecision::Kind::DailyCap);
    // A cap outranks the cooldown: waiting 60 s would not help.
    h.lastSentToCard = T0;
    EXPECT_EQ(checkSendAllowed(h, T0 + seconds(5)).kind, SendDecision::Kind::DailyCap);
}

}  // namespace
}  // namespace cardbridge::rules
