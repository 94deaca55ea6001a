#include "cardbridge/authority/core/unlock_requests.hpp"

#include <chrono>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>

#include "cardbridge/authority/core/client_address.hpp"
#include "cardbridge/authority/core/errors.hpp"
#include "cardbridge/common/certificate.hpp"
#include "cardbridge/common/digest.hpp"
#include "cardbridge/rules/form.hpp"
#include "cardbridge/rules/working_days.hpp"
#include "fixed_window.hpp"
#include "matching.hpp"
#include "request_ledger.hpp"

namespace cardbridge::authority {

namespace {

using nlohmann::json;

}  // namespace

struct UnlockRequests::Checked {
    rules::ValidatedHandler handler;
    CertificateRecord certificate;
    std::string cardSerial;
};

UnlockRequests::UnlockRequests(const AuthorityConfig& config, Storage& storage, const IssuerTrust& trust,
                               const AuthorityKeys& keys, detail::RequestLedger& ledger, const Clock& clock,
                               Random& random)
    : config_(config),
      storage_(storage),
      trust_(trust),
      keys_(keys),
      ledger_(ledger),
      clock_(clock),
      random_(random) {}

void UnlockRequests::rateLimit(const std::string& key, int limit, Seconds now) {
    const auto counted = detail::countInWindow(storage_, key, std::chrono::hours(1), now);
    if (counted.count > limit) {
        // One message and one retryAfter (the windows are aligned) whichever limit it was, so the refusal
        // does not tell whether the handler matched; which one is audited.
        limitHit_ = key.substr(0, key.find(':'));
        fail(reason::RATE_LIMITED, "too many unlock requests; try again later",
             {{"retryAfter", counted.retryAfter.count()}});
    }
}

UnlockRequests::Checked UnlockRequests::check(const CreateUnlock& request, Seconds now) {
    Checked checked;
    rateLimit("create-address:" + rateLimitBucket(request.clientAddress),
              config_.limits.createPerAddressPerHour, now);
    checked.handler =
        rules::validateHandler({request.handler.organization, request.handler.name, request.handler.idType,
                                request.handler.idNumber, request.handler.phone},
                               rules::shanghaiDate(now));
    detail::requireValid(checked.handler);
    checked.cardSerial = detail::checkCardSerial(request.cardSerial);

    std::optional<Certificate> cert;
    try {
        cert = Certificate::fromDer(request.certificateDer);
    } catch (const InputError&) {
        fail(reason::CERT_INVALID, "certificate is not a DER X.509 certificate");
    }
    switch (trust_.check(*cert, now)) {
        case TrustResult::Untrusted:
            fail(reason::CERT_UNTRUSTED, "certificate does not chain to a configured issuing CA");
        case TrustResult::Expired:
            fail(reason::CERT_EXPIRED, "certificate expired",
                 {{"notAfter", cert->notAfterIso()}, {"offlineRoute", config_.offlineRouteText}});
        case TrustResult::NotYetValid:
            fail(reason::CERT_NOT_YET_VALID, "certificate not yet valid",
                 {{"notBefore", cert->notBeforeIso()}});
        case TrustResult::Trusted:
            break;
    }
    auto record = storage_.findCertificateBySha256(cert->sha256Fingerprint());
    if (!record) fail(reason::CERT_UNKNOWN, "certificate not in the registry");
    // The card's budgets are spent only once the serial matched (openRequest), so a made-up serial with a
    // public certificate costs the card nothing; the address budget above bounds serial guessing.
    if (record->cardSerial != checked.cardSerial) fail(reason::CARD_MISMATCH, "card serial does not match");
    checked.certificate = std::move(*record);
    return checked;
}

CreatedUnlock UnlockRequests::create(const CreateUnlock& request) {
    const Seconds now = clock_.now();
    CreatedUnlock created;
    std::exception_ptr refusal;
    // One transaction, one fsync: both rate counters and then either the request with its audit entry or
    // the refusal's audit entry. A refusal commits (its counters must count); a storage failure leaves
    // nothing, not even the counters.
    storage_.inTransaction([&] {
        try {
            const Checked checked = check(request, now);
            created = openRequest(checked, request, now);
        } catch (const AuthorityError& error) {
            json details = {{"reason", error.reason()}, {"cardSerial", request.cardSerial.substr(0, 64)}};
            if (error.reason() == reason::RATE_LIMITED) details["limit"] = limitHit_;
            ledger_.audit("client:" + request.clientAddress, "request.refuse", "", details);
            refusal = std::current_exception();
        }
    });
    if (refusal) std::rethrow_exception(refusal);
    return created;
}

CreatedUnlock UnlockRequests::openRequest(const Checked& checked, const CreateUnlock& request, Seconds now) {
    const auto& form = checked.handler.form;
    const auto& reg = checked.certificate;
    // Every comparison runs whatever the earlier ones gave, so both routes do the same work.
    const std::string handlerHash = detail::idHash(keys_.idKey, *checked.handler.idType, form.idNumber);
    bool match = rules::sameOrganization(form.organization, reg.organization);
    match = (detail::nameKey(form.name) == detail::nameKey(reg.applicantName)) && match;
    match = (form.idType == reg.idType) && match;
    match = constantTimeEquals(handlerHash, reg.idHash) && match;
    match = constantTimeEquals(form.phone, reg.phone) && match;
    // Full matches have a budget of their own: strangers spending the other one never lock out the
    // handler. Counted before anything is stored, so a refusal here leaves no request.
    if (match) {
        rateLimit("create-card-match:" + reg.cardSerial, config_.limits.createMatchesPerCardPerHour, now);
    } else {
        rateLimit("create-card:" + reg.cardSerial, config_.limits.createPerCardPerHour, now);
    }

    UnlockRequestRecord r;
    r.id = toLowerHex(random_.bytes(16));
    r.certificateId = reg.id;
    r.cardSerial = reg.cardSerial;
    r.handlerOrganization = form.organization;
    r.handlerName = form.name;
    r.handlerIdType = form.idType;
    r.handlerIdHash = handlerHash;
    r.handlerIdLast4 = rules::lastFour(form.idNumber);
    r.handlerPhone = form.phone;
    r.route = match ? Route::Sms : Route::Review;
    r.state = RequestState::Open;
    r.createdAt = now;
    r.updatedAt = now;
    r.clientAddress = request.clientAddress;
    r.installation = request.installation;
    storage_.insertRequest(r);
    ledger_.audit("client:" + r.clientAddress, "request.create", r.id,
                  {{"route", toString(r.route)},
                   {"cardSerial", r.cardSerial},
                   {"state", toString(r.state)},
                   {"certificateSha256", reg.sha256},
                   {"handlerIdLast4", r.handlerIdLast4},
                   {"clientAddress", r.clientAddress}});
    CreatedUnlock created;
    created.requestId = r.id;
    created.route = r.route;
    if (match) created.maskedPhone = rules::maskPhone(reg.phone);
    return created;
}

void UnlockRequests::requireInstallation(const std::string& requestId, const std::string& installation) {
    const auto r = storage_.findRequest(requestId);
    // Another installation's request looks exactly like one that does not exist.
    if (!r || !constantTimeEquals(r->installation, installation)) {
        fail(reason::REQUEST_NOT_FOUND, "no such request");
    }
}

RequestStatus UnlockRequests::status(const std::string& requestId) {
    return ledger_.statusOf(ledger_.load(requestId));
}

RequestStatus UnlockRequests::withdraw(const std::string& requestId, const std::string& actor) {
    return ledger_.changeStatus(requestId, [&](UnlockRequestRecord& r, Seconds now) {
        const bool undecided = r.state == RequestState::Open || r.state == RequestState::InReview ||
                               (r.state == RequestState::Authorised && !r.credentialReleased);
        if (!undecided)
            fail(reason::WRONG_STATE, "request cannot be withdrawn", {{"state", toString(r.state)}});
        const auto before = toString(r.state);
        r.state = RequestState::Withdrawn;
        r.decidedAt = now;
        return detail::Change{actor, "request.withdraw", {{"from", before}}};
    });
}

ApplicationForm UnlockRequests::applicationForm(const std::string& requestId) {
    const UnlockRequestRecord r = ledger_.load(requestId);
    const CertificateRecord cert = ledger_.certificateOf(r);
    const auto parsed = Certificate::fromDer(cert.der);
    ApplicationForm f;
    f.requestId = r.id;
    f.createdDate = detail::shanghaiDateText(r.createdAt);
    f.certificateSubject = parsed.subject().text;
    f.certificateCommonName = parsed.subject().first("CN");
    f.certificateSerial = parsed.serialNumber();
    f.certificateIssuer = parsed.issuer().text;
    f.notBefore = parsed.notBeforeIso();
    f.notAfter = parsed.notAfterIso();
    f.organization = r.handlerOrganization;
    f.uscc = cert.uscc;
    f.handlerName = r.handlerName;
    f.handlerIdType = r.handlerIdType;
    f.maskedIdNumber = detail::maskFromLastFour(r.handlerIdType, r.handlerIdLast4);
    f.maskedPhone = rules::maskPhone(r.handlerPhone);
    f.cardSerial = r.cardSerial;
    return f;
}

}  // namespace cardbridge::authority
