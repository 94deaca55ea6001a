// SMS verification codes as a pure state machine (no I/O): the clock and the random source are injected,
// the caller's storage persists SmsCodeRecord and supplies the send history.
//
// Sources: NIST SP 800-63B §5.1.3 (out-of-band authenticators: random secret, single use, short life,
// rate limiting per §5.2.2) and OWASP ASVS 4.0 V2.7 (out-of-band verifier: 6 digits from a CSPRNG, short
// life, stored hashed, compared in constant time).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "cardbridge/common/bytes.hpp"
#include "cardbridge/common/clock.hpp"
#include "cardbridge/common/secret.hpp"

namespace cardbridge::rules {

/// Digits per code (OWASP ASVS V2.7.4: at least 6 digits / 20 bits).
inline constexpr std::size_t SMS_CODE_DIGITS = 6;
/// Life of a code (NIST SP 800-63B §5.1.3.2 / ASVS V2.7.2: short-lived; domain.md: 5 minutes). A code is
/// valid while now < issuedAt + SMS_CODE_LIFETIME, so it is dead at exactly 5:00.
inline constexpr std::chrono::seconds SMS_CODE_LIFETIME{300};
/// Minimum time between two sends to the same card; a resend replaces (invalidates) the earlier code.
inline constexpr std::chrono::seconds SMS_RESEND_COOLDOWN{60};
/// Wrong tries per code before it is dead (NIST SP 800-63B §5.2.2 rate limiting).
inline constexpr int SMS_MAX_WRONG_TRIES = 5;
/// Codes sent per card per Asia/Shanghai calendar day (so ≤ 5 × 10 = 50 guesses per card per day).
inline constexpr int SMS_DAILY_CAP_PER_CARD = 10;
/// Codes sent per client address per Asia/Shanghai calendar day.
inline constexpr int SMS_DAILY_CAP_PER_ADDRESS = 30;

/// A fresh code: SMS_CODE_DIGITS decimal digits (leading zeros kept) from 4-byte chunks of `random`,
/// rejecting values ≥ 4,294,000,000 (the largest multiple of 10^6 below 2^32) to avoid modulo bias.
/// Throws what `random` throws.
Secret generateSmsCode(Random& random);

/// The stored form of a code: HMAC-SHA-256(serverKey, requestId ‖ 0x00 ‖ code) (OpenSSL EVP_MAC).
/// Throws InputError on an empty key; OpenSslError.
Bytes hashSmsCode(const Secret& serverKey, std::string_view requestId, std::string_view code);

/// What storage keeps for the current code of one request (never the code itself).
struct SmsCodeRecord {
    Bytes codeHash;                       ///< hashSmsCode(...) of the current code
    std::chrono::sys_seconds issuedAt{};  ///< when it was issued
    int wrongTries = 0;                   ///< wrong submissions so far
    bool consumed = false;                ///< verified once: single use
    bool operator==(const SmsCodeRecord&) const = default;
};

/// Send counts the caller's storage supplies for checkSendAllowed.
struct SendHistory {
    std::optional<std::chrono::sys_seconds> lastSentToCard;  ///< most recent send for this card, any request
    int sentTodayForCard = 0;     ///< sends for this card since shanghaiDayStart(today)
    int sentTodayForAddress = 0;  ///< sends requested from this client address since shanghaiDayStart(today)
};

/// Result of checkSendAllowed.
struct SendDecision {
    enum class Kind { Allowed, Cooldown, DailyCap };
    Kind kind = Kind::Allowed;
    std::chrono::seconds retryAfter{0};  ///< 0 when allowed; else seconds until a send may be allowed
    [[nodiscard]] bool allowed() const noexcept { return kind == Kind::Allowed; }
};

/// Send policy: daily caps first (retryAfter = until the next 00:00 Asia/Shanghai), then the 60 s cooldown
/// since lastSentToCard (retryAfter = remaining seconds). Pure.
SendDecision checkSendAllowed(const SendHistory& history, std::chrono::sys_seconds now);

/// Outcome of verifying a submitted code.
enum class VerifyResult {
    Ok,            ///< matched; the record is now consumed
    Wrong,         ///< did not match (or malformed); one try used
    Expired,       ///< the code's life is over (no try used)
    TooManyTries,  ///< SMS_MAX_WRONG_TRIES already used; the code is dead
    AlreadyUsed,   ///< the code was already verified once
    NoCode,        ///< no code was issued for this request
};

/// The stable ASCII code of a result: "ok", "wrong", "expired", "too_many_tries", "already_used",
/// "no_code".
std::string_view verifyResultName(VerifyResult result) noexcept;

/// Issues and verifies codes with a server key, an injected clock and an injected random source (both
/// must outlive the machine).
class SmsCodeMachine {
  public:
    /// Throws InputError if `serverKey` is empty.
    SmsCodeMachine(Secret serverKey, const Clock& clock, Random& random);

    /// A new code and the record to persist for `requestId`. Persisting it replaces the earlier record,
    /// which invalidates the earlier code. Call only after checkSendAllowed allowed the send.
    struct Issued {
        Secret code;  ///< to hand to the SMS gateway, then drop
        SmsCodeRecord record;
    };
    [[nodiscard]] Issued issue(std::string_view requestId) const;

    /// Checks `submitted` against `record` (nullptr: no code issued) and updates the record in place
    /// (wrongTries, consumed); the caller persists it. The hash comparison is constant-time (CRYPTO_memcmp)
    /// and always runs, also for malformed input, so timing does not reveal which check failed.
    [[nodiscard]] VerifyResult verify(SmsCodeRecord* record, std::string_view requestId,
                                      std::string_view submitted) const;

    /// Wrong tries left on `record` (0 when dead).
    [[nodiscard]] static int triesLeft(const SmsCodeRecord& record) noexcept;

    /// True while the code may still be verified (not consumed, not dead, not expired) at `now`.
    [[nodiscard]] static bool isLive(const SmsCodeRecord& record, std::chrono::sys_seconds now) noexcept;

  private:
    Secret serverKey_;
    const Clock& clock_;
    Random& random_;
};

}  // namespace cardbridge::rules
