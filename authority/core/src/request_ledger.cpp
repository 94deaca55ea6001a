#include "request_ledger.hpp"

#include "cardbridge/authority/core/errors.hpp"

namespace cardbridge::authority::detail {

namespace {
// Details may quote what a client typed (a login name): invalid UTF-8 is replaced, never thrown on.
std::string auditText(const nlohmann::json& details) {
    return details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}
}  // namespace

RequestLedger::RequestLedger(Storage& storage, const Clock& clock) : storage_(storage), clock_(clock) {}

UnlockRequestRecord RequestLedger::load(const std::string& requestId) {
    auto request = storage_.findRequest(requestId);
    if (!request) fail(reason::REQUEST_NOT_FOUND, "no such request");
    return std::move(*request);
}

CertificateRecord RequestLedger::certificateOf(const UnlockRequestRecord& request) {
    auto certificate = storage_.findCertificateById(request.certificateId);
    if (!certificate) throw FatalError("request without certificate");
    return std::move(*certificate);
}

CardRecord RequestLedger::cardOf(const UnlockRequestRecord& request) {
    auto card = storage_.findCard(request.cardSerial);
    if (!card) throw FatalError("request for a card without a record");
    return std::move(*card);
}

RequestStatus RequestLedger::statusOf(const UnlockRequestRecord& r) {
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
    for (const auto& a : storage_.listAttachments(r.id)) s.attachments.push_back(attachmentInfo(a));
    return s;
}

void RequestLedger::audit(const std::string& actor, const std::string& action, const std::string& requestId,
                          const nlohmann::json& details) {
    storage_.appendAudit({0, clock_.now(), actor, action, requestId, auditText(details), {}, {}});
}

void RequestLedger::record(UnlockRequestRecord& request, const Change& change, Seconds now) {
    if (change.requestChanged) {
        request.updatedAt = now;
        storage_.updateRequest(request);
    }
    storage_.appendAudit(
        {0, now, change.actor, change.action, request.id, auditText(change.details), {}, {}});
}

AttachmentInfo attachmentInfo(const AttachmentRecord& a) {
    return {a.kind, a.contentType, a.size, a.sha256, a.uploadedAt, a.purgedAt.has_value()};
}

}  // namespace cardbridge::authority::detail
