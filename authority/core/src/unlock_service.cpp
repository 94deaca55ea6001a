#include "cardbridge/authority/unlock_service.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <thread>

#include "cardbridge/authority/errors.hpp"
#include "cardbridge/common/certificate.hpp"
#include "cardbridge/common/digest.hpp"
#include "cardbridge/rules/magic.hpp"
#include "cardbridge/rules/puk.hpp"
#include "cardbridge/rules/sms_code.hpp"
#include "cardbridge/rules/working_days.hpp"
#include "crypto.hpp"
#include "matching.hpp"

namespace cardbridge::authority {

namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 3> KINDS = {"application_form", "business_license", "handler_id"};

bool knownKind(std::string_view kind) {
    return std::find(KINDS.begin(), KINDS.end(), kind) != KINDS.end();
}

// Holds create()'s answer back until a fixed minimum has passed, on every path (success on either route
// or refusal), so timing says nothing about the handler match.
class UniformTiming {
  public:
    explicit UniformTiming(int millis)
        : until_(std::chrono::steady_clock::now() + std::chrono::milliseconds(millis)),
          enabled_(millis > 0) {}
    ~UniformTiming() {
        if (enabled_) std::this_thread::sleep_until(until_);
    }
    UniformTiming(const UniformTiming&) = delete;
    UniformTiming& operator=(const UniformTiming&) = delete;

  private:
    std::chrono::steady_clock::time_point until_;
    bool enabled_;
};

json auditBase(const UnlockRequestRecord& r) {
    return json{{"route", r.route}, {"cardSerial", r.cardSerial}, {"state", toString(r.state)}};
}

std::string randomHex(Random& random, std::size_t bytes) {
    const Bytes raw = random.bytes(bytes);
    std::string hex = toHex(raw);
    std::transform(hex.begin(), hex.end(), hex.begin(),
                   [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
    return hex;
}

}  // namespace

Secret pukFor(const Secret& masterKey, const std::string& cardSerial, std::int64_t epoch) {
    return rules::derivePuk(masterKey, cardSerial, static_cast<std::uint64_t>(epoch));
}

struct UnlockService::Checked {
    rules::ValidatedHandler handler;
    CertificateRecord certificate;
    std::string cardSerial;
};

UnlockService::UnlockService(const AuthorityConfig& config, Storage& storage, const IssuerTrust& trust,
                             const AuthorityKeys& keys, SmsGateway& sms, const Clock& clock, Random& random)
    : config_(config),
      storage_(storage),
      trust_(trust),
      keys_(keys),
      sms_(sms),
      clock_(clock),
      random_(random) {}

void UnlockService::audit(const std::string& actor, const std::string& action, const std::string& requestId,
                          const std::string& detailsJson) {
    storage_.appendAudit(
        {0, clock_.now(), actor, action, requestId, detailsJson.empty() ? "{}" : detailsJson});
}

void UnlockService::rateLimit(const std::string& key, int limit, Seconds now) {
    const auto epoch = now.time_since_epoch().count();
    const Seconds window{std::chrono::seconds(epoch - epoch % 3600)};
    const int count = storage_.incrementCounter(key, window);
    if (count > limit) {
        const auto retryAfter = (window + std::chrono::hours(1) - now).count();
        fail(reason::RATE_LIMITED, "rate limit " + key.substr(0, key.find(':')),
             {{"retryAfter", retryAfter}});
    }
}

UnlockService::Checked UnlockService::checkCreate(const CreateUnlock& request, Seconds now) {
    Checked checked;
    rateLimit("create-address:" + request.clientAddress, config_.limits.createPerAddressPerHour, now);
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
    rateLimit("create-card:" + record->cardSerial, config_.limits.createPerCardPerHour, now);
    if (record->cardSerial != checked.cardSerial) fail(reason::CARD_MISMATCH, "card serial does not match");
    checked.certificate = std::move(*record);
    return checked;
}

CreatedUnlock UnlockService::create(const CreateUnlock& request) {
    UniformTiming timing(config_.uniformTimingMillis);
    const Seconds now = clock_.now();
    CreatedUnlock created;
    Checked checked = [&] {
        try {
            return checkCreate(request, now);
        } catch (const AuthorityError& error) {
            audit("client:" + request.clientAddress, "request.refuse", "",
                  json{{"reason", error.reason()}, {"cardSerial", request.cardSerial.substr(0, 64)}}.dump());
            throw;
        }
    }();
    const auto& form = checked.handler.form;
    const auto& reg = checked.certificate;
    // Every comparison runs whatever the earlier ones gave, so both routes do the same work.
    const std::string handlerHash = detail::idHash(keys_.idKey, *checked.handler.idType, form.idNumber);
    bool match = rules::sameOrganization(form.organization, reg.organization);
    match = (detail::nameKey(form.name) == detail::nameKey(reg.applicantName)) && match;
    match = (form.idType == reg.idType) && match;
    match = constantTimeEquals(handlerHash, reg.idHash) && match;
    match = constantTimeEquals(form.phone, reg.phone) && match;

    UnlockRequestRecord r;
    r.id = randomHex(random_, 16);
    r.certificateId = reg.id;
    r.cardSerial = reg.cardSerial;
    r.handlerOrganization = form.organization;
    r.handlerName = form.name;
    r.handlerIdType = form.idType;
    r.handlerIdHash = handlerHash;
    r.handlerIdLast4 = rules::lastFour(form.idNumber);
    r.handlerPhone = form.phone;
    r.route = match ? "sms" : "review";
    r.state = RequestState::Open;
    r.createdAt = now;
    r.updatedAt = now;
    r.clientAddress = request.clientAddress;
    storage_.inTransaction([&] {
        storage_.insertRequest(r);
        json details = auditBase(r);
        details["certificateSha256"] = reg.sha256;
        details["handlerIdLast4"] = r.handlerIdLast4;
        details["clientAddress"] = r.clientAddress;
        storage_.appendAudit({0, now, "client:" + r.clientAddress, "request.create", r.id, details.dump()});
    });
    created.requestId = r.id;
    created.route = r.route;
    if (match) created.maskedPhone = rules::maskPhone(reg.phone);
    return created;
}

UnlockRequestRecord UnlockService::load(const std::string& requestId) {
    auto r = storage_.findRequest(requestId);
    if (!r) fail(reason::REQUEST_NOT_FOUND, "no such request");
    return std::move(*r);
}

RequestStatus UnlockService::statusOf(const UnlockRequestRecord& r) {
    RequestStatus s;
    s.requestId = r.id;
    s.route = r.route;
    s.state = toString(r.state);
    s.createdAt = r.createdAt;
    s.submittedAt = r.submittedAt;
    s.dueDate = r.dueDate;
    s.dueIsEstimate = r.dueIsEstimate;
    s.decidedAt = r.decidedAt;
    s.rejectReason = r.rejectReason;
    s.authorisedUntil = r.authorisedUntil;
    s.credentialReleased = r.credentialReleased;
    for (const auto& a : storage_.listAttachments(r.id)) {
        s.attachments.push_back(
            {a.kind, a.contentType, a.size, a.sha256, a.uploadedAt, a.purgedAt.has_value()});
    }
    return s;
}

namespace {

void requireRoute(const UnlockRequestRecord& r, std::string_view route) {
    if (r.route != route) fail(reason::WRONG_ROUTE, "request is on route " + r.route, {{"route", r.route}});
}

void requireState(const UnlockRequestRecord& r, RequestState state) {
    if (r.state != state)
        fail(reason::WRONG_STATE, "request is " + toString(r.state), {{"state", toString(r.state)}});
}

rules::SmsCodeMachine machine(const AuthorityKeys& keys, const Clock& clock, Random& random) {
    return rules::SmsCodeMachine(keys.idKey, clock, random);
}

}  // namespace

CodeSent UnlockService::sendCode(const std::string& requestId, const std::string& clientAddress) {
    const Seconds now = clock_.now();
    SmsMessage message;
    CodeSent sent;
    std::int64_t codeId = 0;
    storage_.inTransaction([&] {
        UnlockRequestRecord r = load(requestId);
        requireRoute(r, "sms");
        requireState(r, RequestState::Open);
        const auto cert = storage_.findCertificateById(r.certificateId);
        if (!cert) throw FatalError("request without certificate");
        rules::SendHistory history;
        history.lastSentToCard = storage_.lastSendForCard(r.cardSerial);
        const auto dayStart = rules::shanghaiDayStart(rules::shanghaiDate(now));
        history.sentTodayForCard = storage_.countSendsForCard(r.cardSerial, dayStart);
        history.sentTodayForAddress = storage_.countSendsForAddress(clientAddress, dayStart);
        const auto decision = rules::checkSendAllowed(history, now);
        if (decision.kind == rules::SendDecision::Kind::DailyCap) {
            fail(reason::DAILY_CAP, "daily SMS cap reached", {{"retryAfter", decision.retryAfter.count()}});
        }
        if (decision.kind == rules::SendDecision::Kind::Cooldown) {
            fail(reason::CODE_COOLDOWN, "resend too early", {{"retryAfter", decision.retryAfter.count()}});
        }
        if (auto previous = storage_.latestCode(r.id); previous && previous->state == CodeState::Active) {
            previous->state = CodeState::Superseded;
            storage_.updateCode(*previous);
        }
        auto issued = machine(keys_, clock_, random_).issue(r.id);
        SmsCodeRecord code;
        code.requestId = r.id;
        code.codeHash = toHex(issued.record.codeHash);
        code.createdAt = issued.record.issuedAt;
        code.expiresAt = issued.record.issuedAt + rules::SMS_CODE_LIFETIME;
        codeId = storage_.insertCode(code);
        storage_.logSend(r.id, r.cardSerial, clientAddress, now);
        message.phone = cert->phone;
        message.requestId = r.id;
        message.time = now;
        message.text = "【cardbridge】您的证书解锁验证码为 " + std::string(issued.code.view()) +
                       "，5 分钟内有效。请勿告诉他人；如非本人操作，请忽略本短信。";
        sent.maskedPhone = rules::maskPhone(cert->phone);
        sent.expiresAt = code.expiresAt;
        sent.resendAfterSeconds = static_cast<int>(rules::SMS_RESEND_COOLDOWN.count());
        storage_.appendAudit(
            {0, now, "client:" + clientAddress, "code.send", r.id,
             json{{"maskedPhone", sent.maskedPhone}, {"expiresAt", code.expiresAt.time_since_epoch().count()}}
                 .dump()});
    });
    // Sent after the commit: never holds the database while the provider answers.
    try {
        sms_.send(message);
    } catch (const RetryableError&) {
        wipe(message.text);
        storage_.inTransaction([&] {
            if (auto code = storage_.latestCode(requestId); code && code->id == codeId) {
                code->state = CodeState::Dead;
                storage_.updateCode(*code);
            }
            audit("system", "code.send.failed", requestId, "{}");
        });
        fail(reason::SMS_UNAVAILABLE, "SMS gateway failed");
    }
    wipe(message.text);
    return sent;
}

RequestStatus UnlockService::verifyCode(const std::string& requestId, const Secret& code) {
    const Seconds now = clock_.now();
    std::optional<AuthorityError> refusal;
    RequestStatus status;
    storage_.inTransaction([&] {
        UnlockRequestRecord r = load(requestId);
        requireRoute(r, "sms");
        requireState(r, RequestState::Open);
        auto stored = storage_.latestCode(r.id);
        if (!stored || stored->state == CodeState::Superseded) fail(reason::CODE_NOT_SENT, "no code sent");
        rules::SmsCodeRecord rec;
        rec.codeHash = fromHex(stored->codeHash);
        rec.issuedAt = stored->createdAt;
        rec.wrongTries = stored->wrongTries;
        rec.consumed = stored->state == CodeState::Used;
        if (stored->state == CodeState::Dead && rec.wrongTries < rules::SMS_MAX_WRONG_TRIES) {
            fail(reason::CODE_EXPIRED, "code is dead");  // the gateway failed to deliver it
        }
        const auto result = machine(keys_, clock_, random_).verify(&rec, r.id, code.view());
        switch (result) {
            case rules::VerifyResult::Ok: {
                stored->state = CodeState::Used;
                storage_.updateCode(*stored);
                r.state = RequestState::Authorised;
                r.updatedAt = now;
                r.authorisedUntil = now + std::chrono::minutes(config_.limits.smsAuthorisationMinutes);
                storage_.updateRequest(r);
                storage_.appendAudit({0, now, "client:" + r.clientAddress, "code.verify", r.id,
                                      json{{"result", "ok"}}.dump()});
                status = statusOf(r);
                return;
            }
            case rules::VerifyResult::Wrong: {
                stored->wrongTries = rec.wrongTries;
                const int left = rules::SmsCodeMachine::triesLeft(rec);
                if (left == 0) stored->state = CodeState::Dead;
                storage_.updateCode(*stored);
                storage_.appendAudit({0, now, "client:" + r.clientAddress, "code.verify", r.id,
                                      json{{"result", "wrong"}, {"triesLeft", left}}.dump()});
                if (left == 0) {
                    refusal.emplace(reason::CODE_LOCKED, httpStatusFor(reason::CODE_LOCKED), "code locked");
                } else {
                    refusal.emplace(reason::CODE_INCORRECT, httpStatusFor(reason::CODE_INCORRECT),
                                    "wrong code", json{{"triesLeft", left}});
                }
                return;
            }
            case rules::VerifyResult::Expired:
                fail(reason::CODE_EXPIRED, "code expired");
            case rules::VerifyResult::TooManyTries:
                fail(reason::CODE_LOCKED, "code locked");
            case rules::VerifyResult::AlreadyUsed:
                fail(reason::WRONG_STATE, "code already used", {{"state", toString(r.state)}});
            case rules::VerifyResult::NoCode:
                fail(reason::CODE_NOT_SENT, "no code sent");
        }
    });
    // Thrown after the commit so that the wrong try counts.
    if (refusal) throw *refusal;
    return status;
}

AttachmentInfo UnlockService::putAttachment(const std::string& requestId, const std::string& kind,
                                            ByteView bytes) {
    if (!knownKind(kind)) fail(reason::ATTACHMENT_KIND, "unknown attachment kind");
    const Seconds now = clock_.now();
    AttachmentInfo info;
    storage_.inTransaction([&] {
        UnlockRequestRecord r = load(requestId);
        requireRoute(r, "review");
        requireState(r, RequestState::Open);
        const std::size_t limit = std::min(config_.limits.attachmentMaxBytes, rules::MAX_ATTACHMENT_BYTES);
        if (bytes.size() > limit) {
            fail(reason::ATTACHMENT_TOO_LARGE, "attachment too large", {{"limit", limit}});
        }
        const auto type = rules::detectMimeType(bytes);
        if (bytes.empty() || !type) fail(reason::ATTACHMENT_TYPE, "attachment type not accepted");
        AttachmentRecord a;
        a.requestId = r.id;
        a.kind = kind;
        a.contentType = std::string(*type);
        a.size = static_cast<std::int64_t>(bytes.size());
        a.sha256 = toHex(sha256(bytes));
        a.nonce = random_.bytes(12);
        const Bytes aad = toBytes(r.id + kind);
        auto sealed = crypto::seal(keys_.attachment, a.nonce, aad, bytes);
        a.ciphertext = std::move(sealed.ciphertext);
        a.tag = std::move(sealed.tag);
        a.uploadedAt = now;
        storage_.putAttachment(a);
        storage_.appendAudit(
            {0, now, "client:" + r.clientAddress, "attachment.put", r.id,
             json{{"kind", kind}, {"contentType", a.contentType}, {"size", a.size}, {"sha256", a.sha256}}
                 .dump()});
        info = {a.kind, a.contentType, a.size, a.sha256, a.uploadedAt, false};
    });
    return info;
}

RequestStatus UnlockService::submit(const std::string& requestId) {
    const Seconds now = clock_.now();
    RequestStatus status;
    storage_.inTransaction([&] {
        UnlockRequestRecord r = load(requestId);
        requireRoute(r, "review");
        requireState(r, RequestState::Open);
        const auto present = storage_.listAttachments(r.id);
        json missing = json::array();
        for (auto kind : KINDS) {
            const bool found = std::any_of(present.begin(), present.end(), [&](const AttachmentRecord& a) {
                return a.kind == kind && !a.purgedAt;
            });
            if (!found) missing.push_back(kind);
        }
        if (!missing.empty())
            fail(reason::ATTACHMENTS_MISSING, "attachments missing", {{"missing", missing}});
        // The submission day does not count: due by the end of the 3rd working day after it.
        const auto due = rules::addWorkingDays(now, config_.limits.reviewWorkingDays);
        r.state = RequestState::InReview;
        r.submittedAt = now;
        r.dueDate = due.endsAt;
        r.dueIsEstimate = due.isEstimate;
        r.updatedAt = now;
        storage_.updateRequest(r);
        json details = auditBase(r);
        details["dueDate"] = due.endsAt.time_since_epoch().count();
        details["dueIsEstimate"] = due.isEstimate;
        storage_.appendAudit({0, now, "client:" + r.clientAddress, "request.submit", r.id, details.dump()});
        status = statusOf(r);
    });
    return status;
}

RequestStatus UnlockService::status(const std::string& requestId) {
    return statusOf(load(requestId));
}

RequestStatus UnlockService::withdraw(const std::string& requestId, const std::string& actor) {
    const Seconds now = clock_.now();
    RequestStatus status;
    storage_.inTransaction([&] {
        UnlockRequestRecord r = load(requestId);
        const bool undecided = r.state == RequestState::Open || r.state == RequestState::InReview ||
                               (r.state == RequestState::Authorised && !r.credentialReleased);
        if (!undecided)
            fail(reason::WRONG_STATE, "request cannot be withdrawn", {{"state", toString(r.state)}});
        const auto before = toString(r.state);
        r.state = RequestState::Withdrawn;
        r.updatedAt = now;
        r.decidedAt = now;
        storage_.updateRequest(r);
        storage_.appendAudit({0, now, actor, "request.withdraw", r.id, json{{"from", before}}.dump()});
        status = statusOf(r);
    });
    return status;
}

RequestStatus UnlockService::approve(const std::string& requestId, const std::string& reviewer) {
    const Seconds now = clock_.now();
    RequestStatus status;
    storage_.inTransaction([&] {
        UnlockRequestRecord r = load(requestId);
        requireState(r, RequestState::InReview);
        r.state = RequestState::Approved;
        r.decidedAt = now;
        r.decidedBy = reviewer;
        r.authorisedUntil = now + std::chrono::days(config_.limits.approvalValidDays);
        r.updatedAt = now;
        storage_.updateRequest(r);
        storage_.appendAudit(
            {0, now, "reviewer:" + reviewer, "review.approve", r.id,
             json{{"authorisedUntil", r.authorisedUntil->time_since_epoch().count()}}.dump()});
        status = statusOf(r);
    });
    return status;
}

RequestStatus UnlockService::reject(const std::string& requestId, const std::string& reviewer,
                                    const std::string& reasonText) {
    const Seconds now = clock_.now();
    auto trimmed = rules::normalizeText(reasonText).value_or("");
    if (trimmed.empty() || trimmed.size() > 2000) fail(reason::REASON_REQUIRED, "reject reason required");
    RequestStatus status;
    storage_.inTransaction([&] {
        UnlockRequestRecord r = load(requestId);
        requireState(r, RequestState::InReview);
        r.state = RequestState::Rejected;
        r.decidedAt = now;
        r.decidedBy = reviewer;
        r.rejectReason = trimmed;
        r.updatedAt = now;
        storage_.updateRequest(r);
        storage_.appendAudit(
            {0, now, "reviewer:" + reviewer, "review.reject", r.id, json{{"reason", trimmed}}.dump()});
        status = statusOf(r);
    });
    return status;
}

ReviewItem UnlockService::reviewItem(const std::string& requestId) {
    const UnlockRequestRecord r = load(requestId);
    ReviewItem item;
    item.requestId = r.id;
    item.organization = r.handlerOrganization;
    item.handlerName = r.handlerName;
    item.handlerIdType = r.handlerIdType;
    item.maskedIdNumber = detail::maskFromLastFour(r.handlerIdType, r.handlerIdLast4);
    item.maskedPhone = rules::maskPhone(r.handlerPhone);
    item.cardSerial = r.cardSerial;
    item.createdAt = r.createdAt;
    item.submittedAt = r.submittedAt;
    item.dueDate = r.dueDate;
    item.dueIsEstimate = r.dueIsEstimate;
    if (const auto cert = storage_.findCertificateById(r.certificateId)) {
        const auto parsed = Certificate::fromDer(cert->der);
        item.certificateSubject = parsed.subject().text;
        item.certificateSerial = parsed.serialNumber();
        item.registeredOrganization = cert->organization;
        item.registeredApplicant = cert->applicantName;
    }
    for (const auto& a : storage_.listAttachments(r.id)) {
        item.attachments.push_back(
            {a.kind, a.contentType, a.size, a.sha256, a.uploadedAt, a.purgedAt.has_value()});
    }
    return item;
}

std::vector<ReviewItem> UnlockService::reviewQueue() {
    std::vector<ReviewItem> out;
    for (const auto& r : storage_.requestsInState(RequestState::InReview)) out.push_back(reviewItem(r.id));
    return out;
}

AttachmentContent UnlockService::attachment(const std::string& requestId, const std::string& kind,
                                            const std::string& reviewer) {
    if (!knownKind(kind)) fail(reason::ATTACHMENT_KIND, "unknown attachment kind");
    const UnlockRequestRecord r = load(requestId);
    const auto a = storage_.findAttachment(r.id, kind);
    if (!a) fail(reason::ATTACHMENT_NOT_FOUND, "no such attachment");
    if (a->purgedAt) fail(reason::ATTACHMENT_PURGED, "attachment purged");
    auto plain = crypto::open(keys_.attachment, a->nonce, toBytes(r.id + kind), a->ciphertext, a->tag);
    if (!plain || toHex(sha256(*plain)) != a->sha256) {
        audit("reviewer:" + reviewer, "attachment.corrupt", r.id, json{{"kind", kind}}.dump());
        fail(reason::ATTACHMENT_CORRUPT, "attachment failed authentication");
    }
    audit("reviewer:" + reviewer, "attachment.view", r.id, json{{"kind", kind}}.dump());
    return {a->kind, a->contentType, std::move(*plain), a->sha256};
}

ApplicationForm UnlockService::applicationForm(const std::string& requestId) {
    const UnlockRequestRecord r = load(requestId);
    const auto cert = storage_.findCertificateById(r.certificateId);
    if (!cert) throw FatalError("request without certificate");
    const auto parsed = Certificate::fromDer(cert->der);
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
    f.uscc = cert->uscc;
    f.handlerName = r.handlerName;
    f.handlerIdType = r.handlerIdType;
    f.maskedIdNumber = detail::maskFromLastFour(r.handlerIdType, r.handlerIdLast4);
    f.maskedPhone = rules::maskPhone(r.handlerPhone);
    f.cardSerial = r.cardSerial;
    return f;
}

Credential UnlockService::credential(const std::string& requestId) {
    const Seconds now = clock_.now();
    Credential credential;
    storage_.inTransaction([&] {
        UnlockRequestRecord r = load(requestId);
        if (r.credentialReleased) fail(reason::ALREADY_RELEASED, "credential already released");
        if (r.state != RequestState::Authorised && r.state != RequestState::Approved) {
            fail(reason::NOT_AUTHORISED, "request not authorised", {{"state", toString(r.state)}});
        }
        if (!r.authorisedUntil || now > *r.authorisedUntil) {
            fail(reason::APPROVAL_EXPIRED, "authorisation expired");
        }
        const auto cert = storage_.findCertificateById(r.certificateId);
        if (!cert) throw FatalError("request without certificate");
        credential.epoch = cert->pukEpoch;
        credential.nextEpoch = cert->pukEpoch + 1;
        credential.pendingRotation = cert->pendingRotation;
        credential.currentPuk = pukFor(keys_.master, cert->cardSerial, credential.epoch);
        credential.nextPuk = pukFor(keys_.master, cert->cardSerial, credential.nextEpoch);
        r.credentialReleased = true;
        r.releasedEpoch = credential.epoch;
        r.updatedAt = now;
        storage_.updateRequest(r);
        storage_.updatePukState(cert->cardSerial, cert->pukEpoch, true);
        storage_.appendAudit({0, now, "client:" + r.clientAddress, "credential.release", r.id,
                              json{{"cardSerial", r.cardSerial},
                                   {"epoch", credential.epoch},
                                   {"nextEpoch", credential.nextEpoch},
                                   {"pendingRotationBefore", credential.pendingRotation}}
                                  .dump()});
    });
    return credential;
}

RequestStatus UnlockService::complete(const std::string& requestId) {
    const Seconds now = clock_.now();
    RequestStatus status;
    storage_.inTransaction([&] {
        UnlockRequestRecord r = load(requestId);
        if (r.state == RequestState::Completed) {
            status = statusOf(r);
            return;
        }
        if (!r.credentialReleased) fail(reason::NOT_RELEASED, "no credential released for this request");
        const auto cert = storage_.findCertificateById(r.certificateId);
        if (!cert) throw FatalError("request without certificate");
        const std::int64_t epoch = std::max(cert->pukEpoch, r.releasedEpoch + 1);
        storage_.updatePukState(cert->cardSerial, epoch, false);
        r.state = RequestState::Completed;
        r.completedAt = now;
        r.updatedAt = now;
        storage_.updateRequest(r);
        storage_.appendAudit({0, now, "client:" + r.clientAddress, "credential.complete", r.id,
                              json{{"cardSerial", r.cardSerial}, {"epoch", epoch}}.dump()});
        status = statusOf(r);
    });
    return status;
}

CardPuk UnlockService::puk(const std::string& cardSerial, const std::string& actor) {
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
    audit(actor, "puk.view", "", json{{"cardSerial", cardSerial}, {"epoch", cert.pukEpoch}}.dump());
    return out;
}

int UnlockService::purgeAttachments(int olderThanDays) {
    const Seconds now = clock_.now();
    int total = 0;
    storage_.inTransaction([&] {
        for (const auto& r : storage_.requestsFinishedBefore(now - std::chrono::days(olderThanDays))) {
            const int n = storage_.purgeAttachmentContents(r.id, now);
            if (n > 0) {
                storage_.appendAudit({0, now, "system", "attachment.purge", r.id,
                                      json{{"count", n}, {"olderThanDays", olderThanDays}}.dump()});
            }
            total += n;
        }
    });
    return total;
}

std::int64_t UnlockService::createReviewer(const std::string& name, const std::string& passwordHash) {
    const auto normalised = rules::normalizeText(name).value_or("");
    if (normalised.empty() || normalised.size() > 100) {
        fail(reason::FORM_INVALID, "reviewer name invalid", {{"field", "name"}, {"problem", "length"}});
    }
    if (passwordHash.empty())
        fail(reason::FORM_INVALID, "password hash empty", {{"field", "password"}, {"problem", "required"}});
    std::int64_t id = 0;
    storage_.inTransaction([&] {
        id = storage_.insertReviewer({0, normalised, passwordHash, clock_.now(), false});
        audit("cli", "reviewer.create", "", json{{"reviewer", normalised}}.dump());
    });
    return id;
}

std::optional<ReviewerRecord> UnlockService::findReviewer(const std::string& name) {
    return storage_.findReviewerByName(rules::normalizeText(name).value_or(name));
}

}  // namespace cardbridge::authority
