// ReviewRoute: the review route of an unlock request (DESIGN.md §5) — attachments encrypted at rest,
// submit with a due date in working days, the reviewers' queue and decisions, and the retention purge.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "cardbridge/authority/core/config.hpp"
#include "cardbridge/authority/core/keys.hpp"
#include "cardbridge/authority/core/request_status.hpp"
#include "cardbridge/authority/core/storage.hpp"
#include "cardbridge/common/bytes.hpp"
#include "cardbridge/common/clock.hpp"

namespace cardbridge::authority {

namespace detail {
class RequestLedger;
}

/// The attachment kinds a review request needs, all three before submit.
inline constexpr std::array<std::string_view, 3> ATTACHMENT_KINDS = {"application_form", "business_license",
                                                                     "handler_id"};

/// One row of the reviewers' queue.
struct ReviewItem {
    std::string requestId;
    std::string organization;  ///< as the handler typed it (normalised)
    std::string handlerName;
    std::string handlerIdType;
    std::string maskedIdNumber;  ///< "************123X" (last four only are known)
    std::string maskedPhone;
    std::string certificateSubject;
    std::string certificateSerial;
    std::string cardSerial;
    std::string registeredOrganization;
    std::string registeredApplicant;
    Seconds createdAt{};
    std::optional<Seconds> submittedAt;
    std::optional<Seconds> dueDate;
    bool dueIsEstimate = false;
    std::vector<AttachmentInfo> attachments;
};

/// A decrypted attachment for a reviewer.
struct AttachmentContent {
    std::string kind;
    std::string contentType;
    Bytes data;
    std::string sha256;
};

/// Attachments, submission and review decisions. Thread-safe; keeps references to its collaborators,
/// which must outlive it.
class ReviewRoute {
  public:
    /// Throws nothing.
    ReviewRoute(const AuthorityConfig& config, Storage& storage, const AuthorityKeys& keys,
                detail::RequestLedger& ledger, const Clock& clock, Random& random);

    /// The largest attachment accepted, in bytes: limits.attachmentMaxBytes, never above
    /// rules::MAX_ATTACHMENT_BYTES (1024 KB). The HTTP layer refuses larger bodies before reading them.
    [[nodiscard]] std::size_t attachmentMaxBytes() const noexcept;

    /// Stores (or replaces) one attachment, encrypted; audited. Throws AuthorityError REQUEST_NOT_FOUND,
    /// WRONG_ROUTE {route}, WRONG_STATE {state}, ATTACHMENT_KIND, ATTACHMENT_TOO_LARGE {limit},
    /// ATTACHMENT_TYPE.
    AttachmentInfo putAttachment(const std::string& requestId, const std::string& kind, ByteView bytes);

    /// Hands the request to the reviewers (state in_review, due date); audited. Throws AuthorityError
    /// REQUEST_NOT_FOUND, WRONG_ROUTE {route}, WRONG_STATE {state}, ATTACHMENTS_MISSING {missing}.
    RequestStatus submit(const std::string& requestId);

    /// A reviewer approves an in_review request; audited. Throws AuthorityError REQUEST_NOT_FOUND,
    /// WRONG_STATE {state}.
    RequestStatus approve(const std::string& requestId, const std::string& reviewer);

    /// A reviewer rejects an in_review request with a non-empty reason; audited. Throws AuthorityError
    /// REQUEST_NOT_FOUND, WRONG_STATE {state}, REASON_REQUIRED.
    RequestStatus reject(const std::string& requestId, const std::string& reviewer,
                         const std::string& reason);

    /// Requests in review, soonest due first. Throws FatalError on storage failure.
    std::vector<ReviewItem> reviewQueue();

    /// One request as a review item (any state). Throws AuthorityError REQUEST_NOT_FOUND.
    ReviewItem reviewItem(const std::string& requestId);

    /// A decrypted attachment (tag and SHA-256 verified); audited as viewed by `reviewer`. Throws
    /// AuthorityError REQUEST_NOT_FOUND, ATTACHMENT_KIND, ATTACHMENT_NOT_FOUND, ATTACHMENT_PURGED,
    /// ATTACHMENT_CORRUPT (audited too).
    AttachmentContent attachment(const std::string& requestId, const std::string& kind,
                                 const std::string& reviewer);

    /// Expires requests left undecided (open, in_review, authorised without a released credential) more
    /// than `olderThanDays` after their last change (withdrawn by "system", audited request.expire), then
    /// deletes attachment contents of those and of requests decided more than `olderThanDays` ago;
    /// audited per request. Returns the number of attachments purged. Throws FatalError on storage failure.
    int purgeAttachments(int olderThanDays);

  private:
    const AuthorityConfig& config_;
    Storage& storage_;
    const AuthorityKeys& keys_;
    detail::RequestLedger& ledger_;
    const Clock& clock_;
    Random& random_;
};

}  // namespace cardbridge::authority
