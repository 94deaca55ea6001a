// RequestLedger: the one place where a change to an unlock request is loaded, checked, made and audited.
// Every mutating operation of the unlock flow's parts goes through change().
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cardbridge/authority/core/request_status.hpp"
#include "cardbridge/authority/core/storage.hpp"
#include "cardbridge/common/clock.hpp"

namespace cardbridge::authority::detail {

/// What one step changed, for the ledger to store and audit.
struct Change {
    std::string actor;   ///< "client:<address>", "reviewer:<name>", "system", "cli"
    std::string action;  ///< the audit action, e.g. "review.approve"
    nlohmann::json details = nlohmann::json::object();  ///< no secret, no full ID number, no code
    bool requestChanged = true;  ///< store the request (updatedAt = now); false when only other rows changed
};

/// Loads, stores and audits unlock requests for the parts of the unlock flow. Thread-safe (Storage is).
class RequestLedger {
  public:
    /// Keeps references; they must outlive the ledger.
    RequestLedger(Storage& storage, const Clock& clock);

    /// The request `requestId`. Throws AuthorityError REQUEST_NOT_FOUND.
    [[nodiscard]] UnlockRequestRecord load(const std::string& requestId);

    /// The certificate a request was opened with. Throws FatalError when it is gone (a corrupt database).
    [[nodiscard]] CertificateRecord certificateOf(const UnlockRequestRecord& request);

    /// The PUK state of the card a request is for. Throws FatalError when it is gone (a corrupt database).
    [[nodiscard]] CardRecord cardOf(const UnlockRequestRecord& request);

    /// The public status of `request`, with its attachments' metadata. Throws FatalError on storage failure.
    [[nodiscard]] RequestStatus statusOf(const UnlockRequestRecord& request);

    /// load → check → change → audit, written once. In one transaction: loads the request
    /// (REQUEST_NOT_FOUND), calls `step(request, now)` — which checks (a throw refuses: nothing is written),
    /// changes `request` and any other rows through Storage, and returns the Change (or an empty optional
    /// when there is nothing to do) — then stores the request and appends the audit entry. Returns the
    /// request as it is afterwards. Rethrows what `step` throws.
    template <class Step>
    UnlockRequestRecord change(const std::string& requestId, Step&& step);

    /// change(), then the request's status read in the same transaction.
    template <class Step>
    RequestStatus changeStatus(const std::string& requestId, Step&& step);

    /// Appends one audit entry at the current time (`requestId` "" when not about a request). Throws
    /// FatalError on storage failure.
    void audit(const std::string& actor, const std::string& action, const std::string& requestId,
               const nlohmann::json& details = nlohmann::json::object());

  private:
    void record(UnlockRequestRecord& request, const Change& change, Seconds now);

    Storage& storage_;
    const Clock& clock_;
};

/// The public metadata of a stored attachment.
AttachmentInfo attachmentInfo(const AttachmentRecord& record);

template <class Step>
UnlockRequestRecord RequestLedger::change(const std::string& requestId, Step&& step) {
    UnlockRequestRecord request;
    storage_.inTransaction([&] {
        request = load(requestId);
        const Seconds now = clock_.now();
        const std::optional<Change> made = step(request, now);
        if (made) record(request, *made, now);
    });
    return request;
}

template <class Step>
RequestStatus RequestLedger::changeStatus(const std::string& requestId, Step&& step) {
    RequestStatus status;
    storage_.inTransaction([&] { status = statusOf(change(requestId, std::forward<Step>(step))); });
    return status;
}

}  // namespace cardbridge::authority::detail
