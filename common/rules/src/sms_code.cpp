#include "cardbridge/rules/sms_code.hpp"

#include <array>

#include "cardbridge/common/digest.hpp"
#include "cardbridge/common/error.hpp"
#include "cardbridge/rules/working_days.hpp"

namespace cardbridge::rules {

Secret generateSmsCode(Random& random) {
    // 4,294,000,000 = 4294 · 10^6 is the largest multiple of 10^6 not above 2^32: values below it are
    // uniform mod 10^6 (OWASP ASVS V2.7: codes from a CSPRNG, no bias).
    constexpr std::uint32_t LIMIT = 4'294'000'000U;
    constexpr std::uint32_t MODULUS = 1'000'000U;
    for (;;) {
        Bytes chunk = random.bytes(4);
        if (chunk.size() != 4) throw FatalError("random source returned the wrong number of bytes");
        const std::uint32_t value = (std::uint32_t{chunk[0]} << 24U) | (std::uint32_t{chunk[1]} << 16U) |
                                    (std::uint32_t{chunk[2]} << 8U) | std::uint32_t{chunk[3]};
        wipe(chunk);
        if (value >= LIMIT) continue;
        std::array<char, SMS_CODE_DIGITS> digits{};
        std::uint32_t rest = value % MODULUS;
        for (std::size_t d = SMS_CODE_DIGITS; d-- > 0;) {
            digits[d] = static_cast<char>('0' + rest % 10);
            rest /= 10;
        }
        Secret code(std::string_view(digits.data(), digits.size()));
        wipe(digits.data(), digits.size());
        return code;
    }
}

Bytes hashSmsCode(const Secret& serverKey, std::string_view requestId, std::string_view code) {
    if (serverKey.empty()) throw InputError("SMS code server key is empty");
    Bytes message = toBytes(requestId);
    message.push_back(0x00);
    append(message, toBytes(code));
    Bytes mac = hmacSha256(serverKey.bytes(), message);
    wipe(message);
    return mac;
}

SendDecision checkSendAllowed(const SendHistory& history, std::chrono::sys_seconds now) {
    using std::chrono::days;
    if (history.sentTodayForCard >= SMS_DAILY_CAP_PER_CARD ||
        history.sentTodayForAddress >= SMS_DAILY_CAP_PER_ADDRESS) {
        const auto today = std::chrono::sys_days(shanghaiDate(now));
        const auto tomorrow = shanghaiDayStart(std::chrono::year_month_day(today + days(1)));
        return SendDecision{SendDecision::Kind::DailyCap, tomorrow - now};
    }
    if (history.lastSentToCard && now < *history.lastSentToCard + SMS_RESEND_COOLDOWN) {
        return SendDecision{SendDecision::Kind::Cooldown,
                            *history.lastSentToCard + SMS_RESEND_COOLDOWN - now};
    }
    return SendDecision{};
}

std::string_view verifyResultName(VerifyResult result) noexcept {
    switch (result) {
        case VerifyResult::Ok:
            return "ok";
        case VerifyResult::Wrong:
            return "wrong";
        case VerifyResult::Expired:
            return "expired";
        case VerifyResult::TooManyTries:
            return "too_many_tries";
        case VerifyResult::AlreadyUsed:
            return "already_used";
        case VerifyResult::NoCode:
            return "no_code";
    }
    return "wrong";
}

SmsCodeMachine::SmsCodeMachine(Secret serverKey, const Clock& clock, Random& random)
    : serverKey_(std::move(serverKey)), clock_(clock), random_(random) {
    if (serverKey_.empty()) throw InputError("SMS code server key is empty");
}

SmsCodeMachine::Issued SmsCodeMachine::issue(std::string_view requestId) const {
    Issued issued;
    issued.code = generateSmsCode(random_);
    issued.record.codeHash = hashSmsCode(serverKey_, requestId, issued.code.view());
    issued.record.issuedAt = clock_.now();
    return issued;
}

VerifyResult SmsCodeMachine::verify(SmsCodeRecord* record, std::string_view requestId,
                                    std::string_view submitted) const {
    if (record == nullptr || record->codeHash.empty()) return VerifyResult::NoCode;
    const auto now = clock_.now();
    // The MAC and the comparison always run, so every outcome costs the same work.
    const Bytes candidate = hashSmsCode(serverKey_, requestId, submitted);
    const bool wellFormed = submitted.size() == SMS_CODE_DIGITS &&
                            submitted.find_first_not_of("0123456789") == std::string_view::npos;
    const bool match = constantTimeEquals(candidate, record->codeHash);
    if (record->consumed) return VerifyResult::AlreadyUsed;
    if (record->wrongTries >= SMS_MAX_WRONG_TRIES) return VerifyResult::TooManyTries;
    if (now >= record->issuedAt + SMS_CODE_LIFETIME) return VerifyResult::Expired;
    if (match && wellFormed) {
        record->consumed = true;
        return VerifyResult::Ok;
    }
    ++record->wrongTries;
    return VerifyResult::Wrong;
}

int SmsCodeMachine::triesLeft(const SmsCodeRecord& record) noexcept {
    return record.wrongTries >= SMS_MAX_WRONG_TRIES ? 0 : SMS_MAX_WRONG_TRIES - record.wrongTries;
}

bool SmsCodeMachine::isLive(const SmsCodeRecord& record, std::chrono::sys_seconds now) noexcept {
    return !record.codeHash.empty() && !record.consumed && record.wrongTries < SMS_MAX_WRONG_TRIES &&
           now < record.issuedAt + SMS_CODE_LIFETIME;
}

}  // namespace cardbridge::rules
