// The card part of an unlock: RESET RETRY COUNTER with the card's PUK and the user's new PIN, then CHANGE
// REFERENCE DATA of the PUK to the next epoch's, each step journalled before it happens. Pure logic over two
// seams (the card's PUK commands, the journal), so every fault point is unit-tested without a card.
#pragma once

#include <functional>

#include "cardbridge/card/piv.hpp"
#include "cardbridge/common/secret.hpp"
#include "cardbridge/daemon/unlock/authority_client.hpp"
#include "cardbridge/daemon/unlock/unlock_store.hpp"

namespace cardbridge::daemon::unlock {

/// The PUK commands of one exclusive card transaction. Both throw card::CardError when the card fails.
class PukCard {
  public:
    virtual ~PukCard() = default;
    /// RESET RETRY COUNTER (PUK ‖ new PIN). WrongPuk / PukBlocked report the PUK counter.
    virtual card::PinResult unblockPin(const Secret& puk, const Secret& newPin) = 0;
    /// CHANGE REFERENCE DATA of the PUK.
    virtual card::PinResult changePuk(const Secret& oldPuk, const Secret& newPuk) = 0;
};

/// Which PUK the card holds, as far as the journal and the authority tell.
enum class PukHolder {
    Current,  ///< the credential's currentPuk (no rotation was started for this card)
    Next,     ///< the credential's nextPuk (the CHANGE succeeded; only `complete` was missing)
    Unknown,  ///< either: a CHANGE was under way when the last run stopped, or the journal is lost while the
              ///< authority reports a pending rotation
};

/// What the journal (for this request, when there is one) and the credential say the card holds.
[[nodiscard]] PukHolder pukHolder(const std::optional<JournalEntry>& journal,
                                  const Credential& credential) noexcept;

/// How a rotation went on the card.
struct RotationOutcome {
    bool pinReset = false;  ///< this run set the new PIN
    unsigned wrongPukTries =
        0;  ///< PUK tries this run spent on the wrong candidate (each restored afterwards)
};

/// Writes one journal step (persisting `entry` with it) before the step happens.
using JournalWriter = std::function<void(const JournalEntry& entry)>;

/// Runs the card part on `card` (one transaction). `entry` is the journal for this request (its step says
/// where an earlier run stopped; Credential when fresh) with the credential's epochs. `newPin`: set it when
/// the PIN was not reset by an earlier run (journal before Rotate); null: only finish the rotation (a
/// repair without the user). On return the card holds credential.nextPuk, its PUK counter is full, and
/// `entry.step` is Complete (written). Throws PinRefusedError (PUK_INCORRECT / PUK_BLOCKED) when the card
/// refuses both candidates — never trying a third time — and card::CardError when the card fails (the
/// journal then names the step that was under way).
RotationOutcome rotateOnCard(PukCard& card, JournalEntry& entry, PukHolder holder,
                             const Credential& credential, const Secret* newPin, const JournalWriter& write);

}  // namespace cardbridge::daemon::unlock
