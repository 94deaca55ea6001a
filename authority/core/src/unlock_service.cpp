#include "cardbridge/authority/core/unlock_service.hpp"

#include "request_ledger.hpp"

namespace cardbridge::authority {

UnlockService::UnlockService(const AuthorityConfig& config, Storage& storage, const IssuerTrust& trust,
                             const AuthorityKeys& keys, SmsGateway& sms, const Clock& clock, Random& random)
    : ledger_(std::make_unique<detail::RequestLedger>(storage, clock)),
      requests_(config, storage, trust, keys, *ledger_, clock, random),
      sms_(config, storage, keys, sms, *ledger_, clock, random),
      review_(config, storage, keys, *ledger_, clock, random),
      custody_(storage, keys, *ledger_),
      reviewers_(config.reviewerSessions, storage, *ledger_, clock, random) {}

UnlockService::~UnlockService() = default;

}  // namespace cardbridge::authority
