#include "cardbridge/authority/core/review_route.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "cardbridge/authority/core/errors.hpp"
#include "cardbridge/common/certificate.hpp"
#include "cardbridge/common/digest.hpp"
#include "cardbridge/rules/form.hpp"
#include "cardbridge/rules/magic.hpp"
#include "cardbridge/rules/working_days.hpp"
#include "crypto.hpp"
#include "matching.hpp"
#include "request_checks.hpp"
#include "request_ledger.hpp"

namespace cardbridge::authority {

namespace {

using detail::Change;
using nlohmann::json;

void requireKnownKind(std::string_view kind) {
    if (std::find(ATTACHMENT_KINDS.begin(), ATTACHMENT_KINDS.end(), kind) == ATTACHMENT_KINDS.end()) {
        fail(reason::ATTACHMENT_KIND, "unknown attachment kind");
    }
}

// Additional authenticated data of an attachment: it cannot be moved to another request or kind.
Bytes attachmentAad(const std::string& requestId, const std::string& kind) {
    return toBytes(requestId + kind);
}

}  // namespace

ReviewRoute::ReviewRoute(const AuthorityConfig& config, Storage& storage, const AuthorityKeys& keys,
                         detail::RequestLedger& ledger, const Clock& clock, Random& random)
    : config_(config), storage_(storage), keys_(keys), ledger_(ledger), clock_(clock), random_(random) {}

std::size_t ReviewRoute::attachmentMaxBytes() const noexcept {
    return std::min(config_.limits.attachmentMaxBytes, rules::MAX_ATTACHMENT_BYTES);
}

AttachmentInfo ReviewRoute::putAttachment(const std::string& requestId, const std::string& kind,
                                          ByteView bytes) {
    requireKnownKind(kind);
    AttachmentInfo info;
    ledger_.change(requestId, [&](const UnlockRequestRecord& r, Seconds now) {
        detail::requireRoute(r, Route::Review);
        detail::requireState(r, RequestState::Open);
        // The one size check of an attachment; the HTTP layer only refuses bodies it will not read.
        if (bytes.size() > attachmentMaxBytes()) {
            fail(reason::ATTACHMENT_TOO_LARGE, "attachment too large", {{"limit", attachmentMaxBytes()}});
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
        auto sealed = crypto::seal(keys_.attachment, a.nonce, attachmentAad(r.id, kind), bytes);
        a.ciphertext = std::move(sealed.ciphertext);
        a.tag = std::move(sealed.tag);
        a.uploadedAt = now;
        storage_.putAttachment(a);
        info = detail::attachmentInfo(a);
        return Change{
            "client:" + r.clientAddress,
            "attachment.put",
            {{"kind", kind}, {"contentType", a.contentType}, {"size", a.size}, {"sha256", a.sha256}},
            false};
    });
    return info;
}

RequestStatus ReviewRoute::submit(const std::string& requestId) {
    return ledger_.changeStatus(requestId, [&](UnlockRequestRecord& r, Seconds now) {
        detail::requireRoute(r, Route::Review);
        detail::requireState(r, RequestState::Open);
        const auto present = storage_.listAttachments(r.id);
        json missing = json::array();
        for (auto kind : ATTACHMENT_KINDS) {
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
        return Change{"client:" + r.clientAddress,
                      "request.submit",
                      {{"route", toString(r.route)},
                       {"cardSerial", r.cardSerial},
                       {"state", toString(r.state)},
                       {"dueDate", due.endsAt.time_since_epoch().count()},
                       {"dueIsEstimate", due.isEstimate}}};
    });
}

RequestStatus ReviewRoute::approve(const std::string& requestId, const std::string& reviewer) {
    return ledger_.changeStatus(requestId, [&](UnlockRequestRecord& r, Seconds now) {
        detail::requireState(r, RequestState::InReview);
        r.state = RequestState::Approved;
        r.decidedAt = now;
        r.decidedBy = reviewer;
        r.authorisedUntil = now + std::chrono::days(config_.limits.approvalValidDays);
        return Change{"reviewer:" + reviewer,
                      "review.approve",
                      {{"authorisedUntil", r.authorisedUntil->time_since_epoch().count()}}};
    });
}

RequestStatus ReviewRoute::reject(const std::string& requestId, const std::string& reviewer,
                                  const std::string& reasonText) {
    const auto trimmed = rules::normalizeText(reasonText).value_or("");
    if (trimmed.empty() || trimmed.size() > 2000) fail(reason::REASON_REQUIRED, "reject reason required");
    return ledger_.changeStatus(requestId, [&](UnlockRequestRecord& r, Seconds now) {
        detail::requireState(r, RequestState::InReview);
        r.state = RequestState::Rejected;
        r.decidedAt = now;
        r.decidedBy = reviewer;
        r.rejectReason = trimmed;
        return Change{"reviewer:" + reviewer, "review.reject", {{"reason", trimmed}}};
    });
}

ReviewItem ReviewRoute::reviewItem(const std::string& requestId) {
    const UnlockRequestRecord r = ledger_.load(requestId);
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
    for (const auto& a : storage_.listAttachments(r.id))
        item.attachments.push_back(detail::attachmentInfo(a));
    return item;
}

std::vector<ReviewItem> ReviewRoute::reviewQueue() {
    std::vector<ReviewItem> out;
    for (const auto& r : storage_.requestsInState(RequestState::InReview)) out.push_back(reviewItem(r.id));
    return out;
}

AttachmentContent ReviewRoute::attachment(const std::string& requestId, const std::string& kind,
                                          const std::string& reviewer) {
    requireKnownKind(kind);
    const UnlockRequestRecord r = ledger_.load(requestId);
    const auto a = storage_.findAttachment(r.id, kind);
    if (!a) fail(reason::ATTACHMENT_NOT_FOUND, "no such attachment");
    if (a->purgedAt) fail(reason::ATTACHMENT_PURGED, "attachment purged");
    auto plain = crypto::open(keys_.attachment, a->nonce, attachmentAad(r.id, kind), a->ciphertext, a->tag);
    if (!plain || toHex(sha256(*plain)) != a->sha256) {
        ledger_.audit("reviewer:" + reviewer, "attachment.corrupt", r.id, {{"kind", kind}});
        fail(reason::ATTACHMENT_CORRUPT, "attachment failed authentication");
    }
    ledger_.audit("reviewer:" + reviewer, "attachment.view", r.id, {{"kind", kind}});
    return {a->kind, a->contentType, std::move(*plain), a->sha256};
}

int ReviewRoute::purgeAttachments(int olderThanDays) {
    const Seconds now = clock_.now();
    const Seconds cutoff = now - std::chrono::days(olderThanDays);
    int total = 0;
    storage_.inTransaction([&] {
        std::vector<std::string> ids;
        // Requests nobody decided or finished within the retention period expire (withdrawn by the
        // system) and lose their attachments with the decided ones: a request left open must not keep
        // ID scans for ever. An SMS authorisation whose credential left keeps its state (the card's
        // rotation is pending; the next request converges it) — it has no attachments.
        for (const auto& stale : storage_.requestsUndecidedBefore(cutoff)) {
            ledger_.change(stale.id, [&](UnlockRequestRecord& r, Seconds at) -> std::optional<Change> {
                if (r.state == RequestState::Authorised && r.credentialReleased) return std::nullopt;
                const std::string before = toString(r.state);
                r.state = RequestState::Withdrawn;
                r.decidedAt = at;
                r.decidedBy = "system";
                ids.push_back(r.id);
                return Change{
                    "system", "request.expire", {{"from", before}, {"olderThanDays", olderThanDays}}};
            });
        }
        for (const auto& finished : storage_.requestsFinishedBefore(cutoff)) ids.push_back(finished.id);
        for (const auto& id : ids) {
            ledger_.change(id, [&](const UnlockRequestRecord& r, Seconds at) -> std::optional<Change> {
                const int purged = storage_.purgeAttachmentContents(r.id, at);
                total += purged;
                if (purged == 0) return std::nullopt;
                return Change{"system",
                              "attachment.purge",
                              {{"count", purged}, {"olderThanDays", olderThanDays}},
                              false};
            });
        }
    });
    return total;
}

}  // namespace cardbridge::authority
