// UnlockService: the authority's unlock flow (DESIGN.md §5), assembled from its parts — UnlockRequests
// (create, status, withdraw, application form), SmsRoute, ReviewRoute, PukCustody and ReviewerSessions —
// over the Storage, Clock, Random and SmsGateway seams. Refusals throw AuthorityError with a stable reason.
#pragma once

#include <memory>

#include "cardbridge/authority/core/config.hpp"
#include "cardbridge/authority/core/keys.hpp"
#include "cardbridge/authority/core/puk_custody.hpp"
#include "cardbridge/authority/core/review_route.hpp"
#include "cardbridge/authority/core/reviewer_sessions.hpp"
#include "cardbridge/authority/core/sms_gateway.hpp"
#include "cardbridge/authority/core/sms_route.hpp"
#include "cardbridge/authority/core/storage.hpp"
#include "cardbridge/authority/core/trust.hpp"
#include "cardbridge/authority/core/unlock_requests.hpp"
#include "cardbridge/common/clock.hpp"

namespace cardbridge::authority {

/// Owns the parts of the unlock flow and the ledger they share. Thread-safe. Keeps references to its
/// collaborators; they must outlive it.
class UnlockService {
  public:
    /// Throws nothing beyond std::bad_alloc.
    UnlockService(const AuthorityConfig& config, Storage& storage, const IssuerTrust& trust,
                  const AuthorityKeys& keys, SmsGateway& sms, const Clock& clock, Random& random);
    ~UnlockService();
    UnlockService(const UnlockService&) = delete;
    UnlockService& operator=(const UnlockService&) = delete;

    /// Opening requests, their status, 撤销 and the application form.
    [[nodiscard]] UnlockRequests& requests() noexcept { return requests_; }
    /// The SMS route: send and verify codes.
    [[nodiscard]] SmsRoute& sms() noexcept { return sms_; }
    /// The review route: attachments, submit, the reviewers' queue and decisions, the retention purge.
    [[nodiscard]] ReviewRoute& review() noexcept { return review_; }
    /// The cards' PUKs: credential, complete, the operator's view.
    [[nodiscard]] PukCustody& custody() noexcept { return custody_; }
    /// Reviewer accounts, logins and sessions.
    [[nodiscard]] ReviewerSessions& reviewers() noexcept { return reviewers_; }

  private:
    std::unique_ptr<detail::RequestLedger> ledger_;
    UnlockRequests requests_;
    SmsRoute sms_;
    ReviewRoute review_;
    PukCustody custody_;
    ReviewerSessions reviewers_;
};

}  // namespace cardbridge::authority
