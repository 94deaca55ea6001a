// PukCustody: the card's PUKs, derived per card and epoch from the master key (DESIGN.md §5) — released to
// an authorised request (again on request until it completes), rotated when the daemon completes, shown to
// the operator CLI.
#pragma once

#include <cstdint>
#include <string>

#include "cardbridge/authority/core/keys.hpp"
#include "cardbridge/authority/core/request_status.hpp"
#include "cardbridge/authority/core/storage.hpp"
#include "cardbridge/common/secret.hpp"

namespace cardbridge::authority {

namespace detail {
class RequestLedger;
}

/// The PUKs released to an authorised request. The card most likely holds `currentPuk` (epoch);
/// when `pendingRotation` an earlier request died halfway and the card may already hold `nextPuk`
/// (nextEpoch): the daemon tries current first unless its journal says otherwise.
struct Credential {
    Secret currentPuk;
    Secret nextPuk;
    std::int64_t epoch = 0;
    std::int64_t nextEpoch = 1;
    bool pendingRotation = false;
};

/// The PUKs of a card for the operator CLI (`cardbridge-authority puk --card SERIAL`).
struct CardPuk {
    std::string cardSerial;
    Secret currentPuk;
    std::int64_t epoch = 0;
    bool pendingRotation = false;
    Secret nextPuk;  ///< the candidate when pendingRotation
    std::int64_t nextEpoch = 1;
};

/// Releases, rotates and shows PUKs; every release and view is audited. Thread-safe; keeps references to
/// its collaborators, which must outlive it.
class PukCustody {
  public:
    /// Throws nothing.
    PukCustody(Storage& storage, const AuthorityKeys& keys, detail::RequestLedger& ledger);

    /// Releases the card's current and next PUK to an authorised/approved request and marks the card's
    /// rotation pending; audited. Repeatable until complete(): asked again, it releases the card's state
    /// as it then is — the same two PUKs, pendingRotation true — so a lost response never strands the
    /// card. Throws AuthorityError REQUEST_NOT_FOUND, NOT_AUTHORISED {state}, APPROVAL_EXPIRED.
    Credential credential(const std::string& requestId);

    /// The daemon changed the PUK: commits the next epoch, request completed. Idempotent for a completed
    /// request. Throws AuthorityError REQUEST_NOT_FOUND, NOT_RELEASED.
    RequestStatus complete(const std::string& requestId);

    /// The card's PUK(s) for the operator CLI; audited. Throws AuthorityError CARD_UNKNOWN.
    CardPuk puk(const std::string& cardSerial, const std::string& actor = "cli");

  private:
    Storage& storage_;
    const AuthorityKeys& keys_;
    detail::RequestLedger& ledger_;
};

/// PUK of `cardSerial` at `epoch`: 8 digits from HMAC-SHA-256(masterKey, …) (rules::derivePuk). Throws
/// FatalError on an OpenSSL failure.
Secret pukFor(const Secret& masterKey, const std::string& cardSerial, std::int64_t epoch);

}  // namespace cardbridge::authority
