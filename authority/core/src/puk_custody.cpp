#include "cardbridge/authority/core/puk_custody.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "cardbridge/authority/core/errors.hpp"
#include "cardbridge/rules/puk.hpp"
#include "request_ledger.hpp"

namespace cardbridge::authority {

using detail::Change;

Secret pukFor(const Secret& masterKey, const std::string& cardSerial, std::int64_t epoch) {
    return rules::derivePuk(masterKey, cardSerial, static_cast<std::uint64_t>(epoch));
}

PukCustody::PukCustody(Storage& storage, const AuthorityKeys& keys, detail::RequestLedger& ledger)
    : storage_(storage), keys_(keys), ledger_(ledger) {}

Credential PukCustody::credential(const std::string& requestId) {
    Credential credential;
    ledger_.change(requestId, [&](UnlockRequestRecord& r, Seconds now) {
        if (r.state != RequestState::Authorised && r.state != RequestState::Approved) {
            fail(reason::NOT_AUTHORISED, "request not authorised", {{"state", toString(r.state)}});
        }
        if (!r.authorisedUntil || now > *r.authorisedUntil)
            fail(reason::APPROVAL_EXPIRED, "authorisation expired");
        // Asked again before complete() (a lost response): the card's state is what this request left it,
        // so the same two PUKs go out again, with pendingRotation set. Every release is audited.
        const bool repeat = r.credentialReleased;
        CardRecord card = ledger_.cardOf(r);
        credential.epoch = card.pukEpoch;
        credential.nextEpoch = card.pukEpoch + 1;
        credential.pendingRotation = card.pendingRotation;
        credential.currentPuk = pukFor(keys_.master, card.serial, credential.epoch);
        credential.nextPuk = pukFor(keys_.master, card.serial, credential.nextEpoch);
        r.credentialReleased = true;
        r.releasedEpoch = credential.epoch;
        card.pendingRotation = true;
        card.updatedAt = now;
        storage_.updateCard(card);
        return Change{"client:" + r.clientAddress,
                      "credential.release",
                      {{"cardSerial", r.cardSerial},
                       {"epoch", credential.epoch},
                       {"nextEpoch", credential.nextEpoch},
                       {"pendingRotationBefore", credential.pendingRotation},
                       {"repeat", repeat}}};
    });
    return credential;
}

RequestStatus PukCustody::complete(const std::string& requestId) {
    return ledger_.changeStatus(requestId, [&](UnlockRequestRecord& r, Seconds now) -> std::optional<Change> {
        if (r.state == RequestState::Completed) return std::nullopt;  // idempotent
        if (!r.credentialReleased) fail(reason::NOT_RELEASED, "no credential released for this request");
        CardRecord card = ledger_.cardOf(r);
        const std::int64_t epoch = std::max(card.pukEpoch, r.releasedEpoch + 1);
        card.pukEpoch = epoch;
        card.pendingRotation = false;
        card.updatedAt = now;
        storage_.updateCard(card);
        r.state = RequestState::Completed;
        r.completedAt = now;
        return Change{"client:" + r.clientAddress,
                      "credential.complete",
                      {{"cardSerial", r.cardSerial}, {"epoch", epoch}}};
    });
}

CardPuk PukCustody::puk(const std::string& cardSerial, const std::string& actor) {
    const auto card = storage_.findCard(cardSerial);
    if (!card) fail(reason::CARD_UNKNOWN, "no certificate on that card");
    CardPuk out;
    out.cardSerial = cardSerial;
    out.epoch = card->pukEpoch;
    out.pendingRotation = card->pendingRotation;
    out.currentPuk = pukFor(keys_.master, cardSerial, card->pukEpoch);
    out.nextEpoch = card->pukEpoch + 1;
    out.nextPuk = pukFor(keys_.master, cardSerial, out.nextEpoch);
    ledger_.audit(actor, "puk.view", "", {{"cardSerial", cardSerial}, {"epoch", card->pukEpoch}});
    return out;
}

}  // namespace cardbridge::authority
