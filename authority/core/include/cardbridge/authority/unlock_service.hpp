// UnlockService: the authority's unlock flow (DESIGN.md §5) over the Storage, Clock, Random and SmsGateway
// seams. Every method is thread-safe; refusals throw AuthorityError with a stable reason.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cardbridge/authority/config.hpp"
#include "cardbridge/authority/keys.hpp"
#include "cardbridge/authority/sms_gateway.hpp"
#include "cardbridge/authority/storage.hpp"
#include "cardbridge/authority/trust.hpp"
#include "cardbridge/common/bytes.hpp"
#include "cardbridge/common/clock.hpp"
#include "cardbridge/common/secret.hpp"

namespace cardbridge::authority {

/// 经办人信息 as typed by the user.
struct Handler {
    std::string organization;
    std::string name;
    std::string idType;
    std::string idNumber;
    std::string phone;
};

/// POST /v1/unlock-requests.
struct CreateUnlock {
    Bytes certificateDer;
    std::string cardSerial;
    Handler handler;
    std::string clientAddress;
};

/// Answer of create(): the route decided by the handler match.
struct CreatedUnlock {
    std::string requestId;                   ///< 32 hex characters, 128 random bits
    std::string route;                       ///< "sms" | "review"
    std::optional<std::string> maskedPhone;  ///< sms route: the registered phone, "138****5678"
};

/// Answer of sendCode().
struct CodeSent {
    std::string maskedPhone;
    Seconds expiresAt{};
    int resendAfterSeconds = 0;
};

/// Public metadata of an attachment.
struct AttachmentInfo {
    std::string kind;
    std::string contentType;
    std::int64_t size = 0;
    std::string sha256;
    Seconds uploadedAt{};
    bool purged = false;
};

/// GET /v1/unlock-requests/{id}.
struct RequestStatus {
    std::string requestId;
    std::string route;
    std::string state;  ///< toString(RequestState)
    Seconds createdAt{};
    std::optional<Seconds> submittedAt;
    std::optional<Seconds> dueDate;
    bool dueIsEstimate = false;
    std::optional<Seconds> decidedAt;
    std::string rejectReason;
    std::optional<Seconds> authorisedUntil;
    bool credentialReleased = false;
    std::vector<AttachmentInfo> attachments;
};

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

/// Data for 导出申请表 (the printable application form).
struct ApplicationForm {
    std::string requestId;
    std::string createdDate;         ///< "YYYY-MM-DD", Asia/Shanghai
    std::string certificateSubject;  ///< RFC 4514
    std::string certificateCommonName;
    std::string certificateSerial;
    std::string certificateIssuer;
    std::string notBefore;  ///< ISO 8601 UTC
    std::string notAfter;
    std::string organization;
    std::string uscc;
    std::string handlerName;
    std::string handlerIdType;
    std::string maskedIdNumber;
    std::string maskedPhone;
    std::string cardSerial;
};

/// The PUKs released once per authorised request. The card most likely holds `currentPuk` (epoch);
/// when `pendingRotation` an earlier request died halfway and the card may already hold `nextPuk`
/// (nextEpoch): the daemon tries current first unless its journal says otherwise.
struct Credential {
    Secret currentPuk;
    Secret nextPuk;
    std::int64_t epoch = 0;
    std::int64_t nextEpoch = 1;
    bool pendingRotation = false;
};

/// The PUKs of a card for the operator CLI (`cardbridge-authority puk --card SERIAL`).
struct CardPuk {
    std::string cardSerial;
    Secret currentPuk;
    std::int64_t epoch = 0;
    bool pendingRotation = false;
    Secret nextPuk;  ///< the candidate when pendingRotation
    std::int64_t nextEpoch = 1;
};

/// The unlock flow. Keeps references to its collaborators; they must outlive it.
class UnlockService {
  public:
    /// Throws nothing.
    UnlockService(const AuthorityConfig& config, Storage& storage, const IssuerTrust& trust,
                  const AuthorityKeys& keys, SmsGateway& sms, const Clock& clock, Random& random);

    /// Validates the form, the certificate (chain, validity, registry, card serial), rate-limits,
    /// matches the handler with the original applicant and opens a request. Timing is uniform across
    /// routes (padded to config.uniformTimingMillis). Throws AuthorityError FORM_INVALID {field},
    /// CERT_INVALID, CERT_UNTRUSTED, CERT_EXPIRED {offlineRoute}, CERT_NOT_YET_VALID, CERT_UNKNOWN,
    /// CARD_MISMATCH, RATE_LIMITED {retryAfter}.
    CreatedUnlock create(const CreateUnlock& request);

    /// SMS route: sends a fresh 6-digit code to the registered phone (supersedes the previous one).
    /// Throws AuthorityError REQUEST_NOT_FOUND, WRONG_ROUTE, WRONG_STATE {state}, CODE_COOLDOWN
    /// {retryAfter}, DAILY_CAP {retryAfter}, SMS_UNAVAILABLE.
    CodeSent sendCode(const std::string& requestId, const std::string& clientAddress);

    /// SMS route: checks the code; on success the request is authorised. Throws AuthorityError
    /// REQUEST_NOT_FOUND, WRONG_ROUTE, WRONG_STATE, CODE_NOT_SENT, CODE_INCORRECT {triesLeft},
    /// CODE_EXPIRED, CODE_LOCKED.
    RequestStatus verifyCode(const std::string& requestId, const Secret& code);

    /// Review route: stores (or replaces) one attachment, encrypted. Throws AuthorityError
    /// REQUEST_NOT_FOUND, WRONG_ROUTE, WRONG_STATE, ATTACHMENT_KIND, ATTACHMENT_TOO_LARGE {limit},
    /// ATTACHMENT_TYPE.
    AttachmentInfo putAttachment(const std::string& requestId, const std::string& kind, ByteView bytes);

    /// Review route: hands the request to the reviewers (state in_review, due date). Throws
    /// AuthorityError REQUEST_NOT_FOUND, WRONG_ROUTE, WRONG_STATE, ATTACHMENTS_MISSING {missing}.
    RequestStatus submit(const std::string& requestId);

    /// The request's state. Throws AuthorityError REQUEST_NOT_FOUND.
    RequestStatus status(const std::string& requestId);

    /// 撤销: withdraws a request not decided yet (open, authorised without release, in_review). Throws
    /// AuthorityError REQUEST_NOT_FOUND, WRONG_STATE.
    RequestStatus withdraw(const std::string& requestId, const std::string& actor);

    /// Reviewer approves an in_review request. Throws AuthorityError REQUEST_NOT_FOUND, WRONG_STATE.
    RequestStatus approve(const std::string& requestId, const std::string& reviewer);

    /// Reviewer rejects an in_review request with a non-empty reason. Throws AuthorityError
    /// REQUEST_NOT_FOUND, WRONG_STATE, REASON_REQUIRED.
    RequestStatus reject(const std::string& requestId, const std::string& reviewer,
                         const std::string& reason);

    /// Requests in review, soonest due first. Throws FatalError on storage failure.
    std::vector<ReviewItem> reviewQueue();

    /// One request as a review item (any state). Throws AuthorityError REQUEST_NOT_FOUND.
    ReviewItem reviewItem(const std::string& requestId);

    /// A decrypted attachment (tag and SHA-256 verified); audited as viewed by `reviewer`. Throws
    /// AuthorityError REQUEST_NOT_FOUND, ATTACHMENT_KIND, ATTACHMENT_NOT_FOUND, ATTACHMENT_PURGED,
    /// ATTACHMENT_CORRUPT.
    AttachmentContent attachment(const std::string& requestId, const std::string& kind,
                                 const std::string& reviewer);

    /// Data for 导出申请表. Throws AuthorityError REQUEST_NOT_FOUND.
    ApplicationForm applicationForm(const std::string& requestId);

    /// Releases the card's current and next PUK once per authorised/approved request and marks the
    /// card's rotation pending. Throws AuthorityError REQUEST_NOT_FOUND, NOT_AUTHORISED {state},
    /// APPROVAL_EXPIRED, ALREADY_RELEASED.
    Credential credential(const std::string& requestId);

    /// The daemon changed the PUK: commits the next epoch, request completed. Idempotent for a completed
    /// request. Throws AuthorityError REQUEST_NOT_FOUND, NOT_RELEASED.
    RequestStatus complete(const std::string& requestId);

    /// The card's PUK(s) for the operator CLI; audited. Throws AuthorityError CARD_UNKNOWN.
    CardPuk puk(const std::string& cardSerial, const std::string& actor = "cli");

    /// Deletes attachment contents of requests decided more than `olderThanDays` ago; audited per
    /// request. Returns the number of attachments purged.
    int purgeAttachments(int olderThanDays);

    /// Creates a reviewer account with an already hashed password. Throws AuthorityError REVIEWER_EXISTS,
    /// FORM_INVALID (empty name or hash).
    std::int64_t createReviewer(const std::string& name, const std::string& passwordHash);
    /// The reviewer named `name`, if any.
    std::optional<ReviewerRecord> findReviewer(const std::string& name);

    /// Appends an audit entry (for the HTTP layer: logins, logouts). `detailsJson` must be an object
    /// without secrets. Throws FatalError on storage failure.
    void audit(const std::string& actor, const std::string& action, const std::string& requestId,
               const std::string& detailsJson);

    /// The storage (sessions for the HTTP layer: insertSession, findSession, …).
    [[nodiscard]] Storage& storage() noexcept { return storage_; }

  private:
    struct Checked;
    Checked checkCreate(const CreateUnlock& request, Seconds now);
    UnlockRequestRecord load(const std::string& requestId);
    RequestStatus statusOf(const UnlockRequestRecord& record);
    void rateLimit(const std::string& key, int limit, Seconds now);

    const AuthorityConfig& config_;
    Storage& storage_;
    const IssuerTrust& trust_;
    const AuthorityKeys& keys_;
    SmsGateway& sms_;
    const Clock& clock_;
    Random& random_;
};

/// PUK of `cardSerial` at `epoch`: 8 digits from HMAC-SHA-256(masterKey, …) (cardbridge_rules). Throws
/// FatalError on an OpenSSL failure.
Secret pukFor(const Secret& masterKey, const std::string& cardSerial, std::int64_t epoch);

}  // namespace cardbridge::authority
