// UnlockRequests: opening an unlock request (DESIGN.md §5: certificate, registry, handler match → route),
// its status, 撤销 (withdraw) and the data of the printable application form.
#pragma once

#include <optional>
#include <string>

#include "cardbridge/authority/core/config.hpp"
#include "cardbridge/authority/core/keys.hpp"
#include "cardbridge/authority/core/request_status.hpp"
#include "cardbridge/authority/core/storage.hpp"
#include "cardbridge/authority/core/trust.hpp"
#include "cardbridge/common/bytes.hpp"
#include "cardbridge/common/clock.hpp"

namespace cardbridge::authority {

namespace detail {
class RequestLedger;
}

/// 经办人信息 as typed by the user.
struct Handler {
    std::string organization;
    std::string name;
    std::string idType;
    std::string idNumber;
    std::string phone;
};

/// POST /v1/unlock-requests.
struct CreateUnlock {
    Bytes certificateDer;
    std::string cardSerial;
    Handler handler;
    std::string clientAddress;
    std::string installation;  ///< the API token's id; only it may act on the request ("" without tokens)
};

/// Answer of create(): the route decided by the handler match.
struct CreatedUnlock {
    std::string requestId;  ///< 32 hex characters, 128 random bits
    Route route = Route::Review;
    std::optional<std::string> maskedPhone;  ///< sms route: the registered phone, "138****5678"
};

/// Data for 导出申请表 (the printable application form).
struct ApplicationForm {
    std::string requestId;
    std::string createdDate;         ///< "YYYY-MM-DD", Asia/Shanghai
    std::string certificateSubject;  ///< RFC 4514
    std::string certificateCommonName;
    std::string certificateSerial;
    std::string certificateIssuer;
    std::string notBefore;  ///< ISO 8601 UTC
    std::string notAfter;
    std::string organization;
    std::string uscc;
    std::string handlerName;
    std::string handlerIdType;
    std::string maskedIdNumber;
    std::string maskedPhone;
    std::string cardSerial;
};

/// Creation, status and withdrawal of unlock requests. Thread-safe; keeps references to its collaborators,
/// which must outlive it.
class UnlockRequests {
  public:
    /// Throws nothing.
    UnlockRequests(const AuthorityConfig& config, Storage& storage, const IssuerTrust& trust,
                   const AuthorityKeys& keys, detail::RequestLedger& ledger, const Clock& clock,
                   Random& random);

    /// Validates the form, the certificate (chain, validity, registry, card serial), matches the handler
    /// with the original applicant, rate-limits (per address — IPv6 by /64 — first; per card only once
    /// the serial matched: full matches and other handlers in budgets of their own; one RATE_LIMITED
    /// answer for every limit) and opens a request bound to request.installation; refusals are audited. One
    /// storage transaction: the counters, then the request or the refusal, commit together. Not
    /// padded here: the HTTP layer holds the answer to config.uniformTimingMillis on a timer. Throws
    /// AuthorityError FORM_INVALID {field}, CERT_INVALID, CERT_UNTRUSTED, CERT_EXPIRED {offlineRoute},
    /// CERT_NOT_YET_VALID, CERT_UNKNOWN, CARD_MISMATCH, RATE_LIMITED {retryAfter}.
    CreatedUnlock create(const CreateUnlock& request);

    /// Throws AuthorityError REQUEST_NOT_FOUND unless the request exists and was opened by `installation`
    /// (another installation's request is answered like an unknown one).
    void requireInstallation(const std::string& requestId, const std::string& installation);

    /// The request's state. Throws AuthorityError REQUEST_NOT_FOUND.
    RequestStatus status(const std::string& requestId);

    /// 撤销: withdraws a request not decided yet (open, authorised without release, in_review); audited.
    /// Throws AuthorityError REQUEST_NOT_FOUND, WRONG_STATE.
    RequestStatus withdraw(const std::string& requestId, const std::string& actor);

    /// Data for 导出申请表. Throws AuthorityError REQUEST_NOT_FOUND.
    ApplicationForm applicationForm(const std::string& requestId);

  private:
    struct Checked;
    Checked check(const CreateUnlock& request, Seconds now);
    /// Matches the handler and stores the request with its audit entry (inside create()'s transaction).
    CreatedUnlock openRequest(const Checked& checked, const CreateUnlock& request, Seconds now);
    void rateLimit(const std::string& key, int limit, Seconds now);

    const AuthorityConfig& config_;
    Storage& storage_;
    const IssuerTrust& trust_;
    const AuthorityKeys& keys_;
    detail::RequestLedger& ledger_;
    const Clock& clock_;
    Random& random_;
    static thread_local inline std::string limitHit_;  ///< which limit refused, for the refusal's audit
};

}  // namespace cardbridge::authority
