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
        if (r.credentialReleased) fail(reason::ALREADY_RELEASED, "credential already released");
        if (r.state != RequestState::Authorised && r.state != RequestState::Approved) {
            fail(reason::NOT_AUTHORISED, "request not authorised", {{"state", toString(r.state)}});
        }
        if (!r.authorisedUntil || now > *r.authorisedUntil)
            fail(reason::APPROVAL_EXPIRED, "authorisation expired");
        const CertificateRecord cert = ledger_.certificateOf(r);
        credential.epoch = cert.pukEpoch;
        credential.nextEpoch = cert.pukEpoch + 1;
        credential.pendingRotation = cert.pendingRotation;
        credential.currentPuk = pukFor(keys_.master, cert.cardSerial, credential.epoch);
        credential.nextPuk = pukFor(keys_.master, cert.cardSerial, credential.nextEpoch);
        r.credentialReleased = true;
        r.releasedEpoch = credential.epoch;
        storage_.updatePukState(cert.cardSerial, cert.pukEpoch, true);
        return Change{"client:" + r.clientAddress,
                      "credential.release",
                      {{"cardSerial", r.cardSerial},
                       {"epoch", credential.epoch},
                       {"nextEpoch", credential.nextEpoch},
                       {"pendingRotationBefore", credential.pendingRotation}}};
    });
    return credential;
}

RequestStatus PukCustody::complete(const std::string& requestId) {
    return ledger_.changeStatus(requestId, [&](UnlockRequestRecord& r, Seconds now) -> std::optional<Change> {
        if (r.state == RequestState::Completed) return std::nullopt;  // idempotent
        if (!r.credentialReleased) fail(reason::NOT_RELEASED, "no credential released for this request");
        const CertificateRecord cert = ledger_.certificateOf(r);
        const std::int64_t epoch = std::max(cert.pukEpoch, r.releasedEpoch + 1);
        storage_.updatePukState(cert.cardSerial, epoch, false);
        r.state = RequestState::Completed;
        r.completedAt = now;
        return Change{"client:" + r.clientAddress,
                      "credential.complete",
                      {{"cardSerial", r.cardSerial}, {"epoch", epoch}}};
    });
}

CardPuk PukCustody::puk(const std::string& cardSerial, const std::string& actor) {
    const auto certs = storage_.findCertificatesByCard(cardSerial);
    if (certs.empty()) fail(reason::CARD_UNKNOWN, "no certificate on that card");
    const auto& cert = certs.front();
    CardPuk out;
    out.cardSerial = cardSerial;
    out.epoch = cert.pukEpoch;
    out.pendingRotation = cert.pendingRotation;
    out.currentPuk = pukFor(keys_.master, cardSerial, cert.pukEpoch);
    out.nextEpoch = cert.pukEpoch + 1;
    out.nextPuk = pukFor(keys_.master, cardSerial, out.nextEpoch);
    ledger_.audit(actor, "puk.view", "", {{"cardSerial", cardSerial}, {"epoch", cert.pukEpoch}});
    return out;
}

}  // namespace cardbridge::authority
