#include "cardbridge/daemon/unlock/rotation.hpp"

#include <spdlog/spdlog.h>

#include "cardbridge/daemon/core/errors.hpp"

namespace cardbridge::daemon::unlock {

using card::PinResult;
using card::PinStatus;

PukHolder pukHolder(const std::optional<JournalEntry>& journal, const Credential& credential) noexcept {
    if (journal) {
        switch (journal->step) {
            case JournalStep::Credential:
            case JournalStep::Reset:
                return PukHolder::Current;  // RESET RETRY COUNTER never changes the PUK
            case JournalStep::Rotate:
                return PukHolder::Unknown;  // the CHANGE may have reached the card
            case JournalStep::Complete:
                return PukHolder::Next;
        }
    }
    // No journal for this request: fresh, unless the authority released these PUKs before (this machine's
    // journal is lost, or the card went through another machine's daemon).
    return credential.pendingRotation ? PukHolder::Unknown : PukHolder::Current;
}

namespace {

void step(JournalEntry& entry, JournalStep next, const JournalWriter& write) {
    entry.step = next;
    write(entry);
}

[[noreturn]] void refused(const PinResult& result) {
    throw PinRefusedError(result);
}

}  // namespace

RotationOutcome rotateOnCard(PukCard& card, JournalEntry& entry, PukHolder holder,
                             const Credential& credential, const Secret* newPin, const JournalWriter& write) {
    RotationOutcome outcome;
    const Secret& current = credential.currentPuk;
    const Secret& next = credential.nextPuk;

    // 1. The PIN, when the user gave one and no earlier run set it.
    if (newPin != nullptr && entry.step <= JournalStep::Reset) {
        step(entry, JournalStep::Reset, write);
        const Secret& first = holder == PukHolder::Next ? next : current;
        PinResult r = card.unblockPin(first, *newPin);
        if (r.status == PinStatus::WrongPuk && holder == PukHolder::Unknown) {
            // The card holds the next PUK: this costs one try, and the success below refills the counter.
            ++outcome.wrongPukTries;
            r = card.unblockPin(next, *newPin);
            if (r.ok()) holder = PukHolder::Next;
        } else if (r.ok() && holder == PukHolder::Unknown) {
            holder = PukHolder::Current;
        }
        if (!r.ok()) refused(r);
        outcome.pinReset = true;
    }

    // 2. The PUK to the next epoch's. A CHANGE with the right PUK also refills the PUK counter.
    step(entry, JournalStep::Rotate, write);
    if (holder == PukHolder::Next) {
        const PinResult r = card.changePuk(next, next);
        if (!r.ok()) refused(r);
    } else {
        PinResult r = card.changePuk(current, next);
        if (r.status == PinStatus::WrongPuk && holder == PukHolder::Unknown) {
            ++outcome.wrongPukTries;
            r = card.changePuk(next, next);
        }
        if (!r.ok()) refused(r);
    }
    step(entry, JournalStep::Complete, write);
    if (outcome.wrongPukTries != 0) {
        spdlog::info("unlock: card {} held the next PUK already; {} try spent and refilled", entry.cardId,
                     outcome.wrongPukTries);
    }
    return outcome;
}

}  // namespace cardbridge::daemon::unlock
