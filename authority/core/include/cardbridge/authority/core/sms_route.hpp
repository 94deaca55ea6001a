// SmsRoute: the SMS route of an unlock request — a 6-digit code to the registered phone, then verify
// (DESIGN.md §5; the code rules are cardbridge_rules' SmsCodeMachine).
#pragma once

#include <string>

#include "cardbridge/authority/core/config.hpp"
#include "cardbridge/authority/core/keys.hpp"
#include "cardbridge/authority/core/request_status.hpp"
#include "cardbridge/authority/core/sms_gateway.hpp"
#include "cardbridge/authority/core/storage.hpp"
#include "cardbridge/common/clock.hpp"
#include "cardbridge/common/secret.hpp"

namespace cardbridge::authority {

namespace detail {
class RequestLedger;
}

/// Answer of sendCode().
struct CodeSent {
    std::string maskedPhone;
    Seconds expiresAt{};
    int resendAfterSeconds = 0;
};

/// Sends and verifies SMS codes. Thread-safe; keeps references to its collaborators, which must outlive it.
class SmsRoute {
  public:
    /// Throws nothing.
    SmsRoute(const AuthorityConfig& config, Storage& storage, const AuthorityKeys& keys, SmsGateway& gateway,
             detail::RequestLedger& ledger, const Clock& clock, Random& random);

    /// Sends a fresh 6-digit code to the registered phone (supersedes the previous one); audited. Throws
    /// AuthorityError REQUEST_NOT_FOUND, WRONG_ROUTE {route}, WRONG_STATE {state}, CODE_COOLDOWN
    /// {retryAfter}, DAILY_CAP {retryAfter}, SMS_UNAVAILABLE.
    CodeSent sendCode(const std::string& requestId, const std::string& clientAddress);

    /// Checks the code; on success the request is authorised. Every try is audited, and a wrong one counts
    /// even though it is refused. Throws AuthorityError REQUEST_NOT_FOUND, WRONG_ROUTE {route},
    /// WRONG_STATE {state}, CODE_NOT_SENT, CODE_INCORRECT {triesLeft}, CODE_EXPIRED, CODE_LOCKED.
    RequestStatus verifyCode(const std::string& requestId, const Secret& code);

  private:
    const AuthorityConfig& config_;
    Storage& storage_;
    const AuthorityKeys& keys_;
    SmsGateway& gateway_;
    detail::RequestLedger& ledger_;
    const Clock& clock_;
    Random& random_;
};

}  // namespace cardbridge::authority
