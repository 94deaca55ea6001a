// Storage: the authority's persistence seam (one interface; SQLite in authority/store; value types only).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cardbridge/common/bytes.hpp"
#include "cardbridge/common/clock.hpp"

namespace cardbridge::authority {

/// A registered certificate and its original applicant. ID numbers only as keyed hash + last four.
struct CertificateRecord {
    std::int64_t id = 0;        ///< assigned by the storage
    Bytes der;                  ///< the certificate, DER
    std::string sha256;         ///< SHA-256 of der, upper-case hex (unique)
    std::string cardSerial;     ///< serial of the card (token) holding it
    std::string organization;   ///< normalised organisation name
    std::string uscc;           ///< 统一社会信用代码, "" when not given
    std::string applicantName;  ///< normalised
    std::string idType;         ///< one of the 证件类型 names
    std::string idHash;         ///< HMAC-SHA-256(idKey, normalised ID number), hex
    std::string idLast4;        ///< last four characters of the ID number
    std::string phone;          ///< normalised mainland mobile (11 digits)
    Seconds enrolledAt{};
};

/// A card's PUK state. It belongs to the card (its serial), never to a certificate row: a renewed
/// certificate on the same card keeps the card's epoch (DESIGN.md §5).
struct CardRecord {
    std::string serial;
    std::int64_t pukEpoch = 0;     ///< epoch of the PUK the card holds (committed)
    bool pendingRotation = false;  ///< a credential left the authority and complete() has not come yet
    Seconds updatedAt{};
};

/// How an unlock request is decided: an SMS code to the registered phone, or reviewers (DESIGN.md §5).
enum class Route { Sms, Review };

/// Stable lower-case name: "sms", "review". Never throws.
std::string toString(Route route);
/// Inverse of toString. Throws FatalError on an unknown name (a corrupt row).
Route routeFromString(const std::string& name);

/// States of an unlock request.
enum class RequestState { Open, Authorised, InReview, Approved, Rejected, Withdrawn, Completed };

/// Stable lower-case name ("open", "authorised", "in_review", "approved", "rejected", "withdrawn",
/// "completed"). Never throws.
std::string toString(RequestState state);
/// Inverse of toString. Throws FatalError on an unknown name (a corrupt row).
RequestState requestStateFromString(const std::string& name);

/// One unlock request. Handler ID only as keyed hash + last four.
struct UnlockRequestRecord {
    std::string id;  ///< 32 lower-case hex characters (128 random bits)
    std::int64_t certificateId = 0;
    std::string cardSerial;
    std::string handlerOrganization;
    std::string handlerName;
    std::string handlerIdType;
    std::string handlerIdHash;
    std::string handlerIdLast4;
    std::string handlerPhone;
    Route route = Route::Review;
    RequestState state = RequestState::Open;
    Seconds createdAt{};
    Seconds updatedAt{};
    std::optional<Seconds> submittedAt;
    std::optional<Seconds> dueDate;  ///< review due (end of that working day, Asia/Shanghai date)
    bool dueIsEstimate = false;      ///< the calendar did not cover the due date
    std::optional<Seconds> decidedAt;
    std::string decidedBy;  ///< reviewer name, "" until decided
    std::string rejectReason;
    std::optional<Seconds> authorisedUntil;  ///< approval (or SMS authorisation) usable until then
    bool credentialReleased = false;
    std::int64_t releasedEpoch = -1;  ///< PUK epoch released with the credential (-1 none)
    std::optional<Seconds> completedAt;
    std::string clientAddress;
    /// Which API token (installation) opened it: only that installation may act on it. "" when the API
    /// ran without tokens (--dev) or the request predates the binding (schema 3 and older).
    std::string installation;
};

/// State of an SMS code.
enum class CodeState { Active, Used, Dead, Superseded };

/// One SMS code (hash only).
struct SmsCodeRecord {
    std::int64_t id = 0;
    std::string requestId;
    std::string codeHash;  ///< HMAC-SHA-256(idKey, requestId ‖ code), hex
    Seconds createdAt{};
    Seconds expiresAt{};
    int wrongTries = 0;
    CodeState state = CodeState::Active;
};

/// One attachment; plaintext never stored: AES-256-GCM ciphertext, nonce and tag as BLOBs.
struct AttachmentRecord {
    std::string requestId;
    std::string kind;  ///< "application_form" | "business_license" | "handler_id"
    std::string
        contentType;  ///< from magic bytes: image/jpeg, image/png, image/gif, image/bmp, application/pdf
    std::int64_t size = 0;  ///< plaintext bytes
    std::string sha256;     ///< SHA-256 of the plaintext, upper-case hex
    Bytes nonce;            ///< 12 bytes
    Bytes ciphertext;       ///< empty once purged
    Bytes tag;              ///< 16 bytes
    Seconds uploadedAt{};
    std::optional<Seconds> purgedAt;
};

/// A reviewer account (the HTTP layer hashes passwords; we store what it gives).
struct ReviewerRecord {
    std::int64_t id = 0;
    std::string name;
    std::string passwordHash;
    Seconds createdAt{};
    bool disabled = false;
};

/// A reviewer's login session (hashes of the token and CSRF token only).
struct SessionRecord {
    std::string tokenHash;
    std::int64_t reviewerId = 0;
    Seconds createdAt{};
    Seconds expiresAt{};
    std::string csrfHash;
    Seconds lastSeenAt{};  ///< last request seen with it (the idle timeout); createdAt when never touched
};

/// Consecutive failed logins of one account (keyed by a hash of the typed name, known or not).
struct LoginFailures {
    int failures = 0;
    Seconds lockedUntil{};  ///< logins of the account are refused before then
};

/// One audit entry. Never a secret or a full ID number.
struct AuditRecord {
    std::int64_t id = 0;
    Seconds time{};
    std::string actor;        ///< "client:<address>", "reviewer:<name>", "system", "cli"
    std::string action;       ///< e.g. "request.create", "code.send", "review.approve", "credential.release"
    std::string requestId;    ///< "" when not about a request
    std::string detailsJson;  ///< a JSON object
    std::string prevHash;     ///< the previous entry's hash ("" for the first); set by the storage
    std::string hash;         ///< SHA-256 over prevHash and this entry's fields; set by the storage
};

/// The authority's persistence. Every mutating call is durable when it returns. Implementations are
/// thread-safe. Failures throw FatalError (StorageError in the SQLite implementation), except where noted.
class Storage {
  public:
    virtual ~Storage() = default;

    /// Runs `body` atomically: all its writes commit together, or none when it throws (rethrown).
    /// Nested calls join the outer transaction (savepoints). Other threads wait meanwhile.
    virtual void inTransaction(const std::function<void()>& body) = 0;

    // --- certificates registry
    /// Inserts and returns the new id. Throws AuthorityError CERT_ALREADY_ENROLLED on a duplicate sha256.
    virtual std::int64_t insertCertificate(const CertificateRecord& record) = 0;
    virtual std::optional<CertificateRecord> findCertificateBySha256(const std::string& sha256) = 0;
    virtual std::optional<CertificateRecord> findCertificateById(std::int64_t id) = 0;
    /// Certificates on card `cardSerial`, newest first.
    virtual std::vector<CertificateRecord> findCertificatesByCard(const std::string& cardSerial) = 0;

    // --- cards (the PUK epoch and pending rotation)
    /// The card `serial`; nullopt when no certificate on it was ever enrolled.
    virtual std::optional<CardRecord> findCard(const std::string& serial) = 0;
    /// Adds card `serial` at epoch 0, not pending, unless it is known (then nothing changes). Returns
    /// whether it was added.
    virtual bool ensureCard(const std::string& serial, Seconds at) = 0;
    /// Stores the card's epoch and pending flag (matched by serial). Throws FatalError when it is unknown.
    virtual void updateCard(const CardRecord& card) = 0;

    // --- unlock requests
    virtual void insertRequest(const UnlockRequestRecord& record) = 0;
    virtual std::optional<UnlockRequestRecord> findRequest(const std::string& id) = 0;
    /// Replaces every mutable field of the request with `record`'s (matched by id).
    virtual void updateRequest(const UnlockRequestRecord& record) = 0;
    /// Requests in `state`, ordered by due date then creation.
    virtual std::vector<UnlockRequestRecord> requestsInState(RequestState state) = 0;
    /// Decided (approved/rejected/withdrawn/completed) requests decided or updated before `before`.
    virtual std::vector<UnlockRequestRecord> requestsFinishedBefore(Seconds before) = 0;
    /// Requests still undecided (open, in_review, authorised) last updated before `before`.
    virtual std::vector<UnlockRequestRecord> requestsUndecidedBefore(Seconds before) = 0;

    // --- SMS codes and the send log
    virtual std::int64_t insertCode(const SmsCodeRecord& record) = 0;
    /// The newest code of the request (any state).
    virtual std::optional<SmsCodeRecord> latestCode(const std::string& requestId) = 0;
    virtual void updateCode(const SmsCodeRecord& record) = 0;
    /// Records one sent SMS for the daily caps.
    virtual void logSend(const std::string& requestId, const std::string& cardSerial,
                         const std::string& clientAddress, Seconds at) = 0;
    /// Time of the most recent SMS sent for `cardSerial` (any request).
    virtual std::optional<Seconds> lastSendForCard(const std::string& cardSerial) = 0;
    /// SMS sent for `cardSerial` at or after `since`.
    virtual int countSendsForCard(const std::string& cardSerial, Seconds since) = 0;
    /// SMS sent for `clientAddress` at or after `since`.
    virtual int countSendsForAddress(const std::string& clientAddress, Seconds since) = 0;

    // --- attachments
    /// Inserts or replaces (same request and kind).
    virtual void putAttachment(const AttachmentRecord& record) = 0;
    virtual std::optional<AttachmentRecord> findAttachment(const std::string& requestId,
                                                           const std::string& kind) = 0;
    /// Metadata of a request's attachments (ciphertext left empty).
    virtual std::vector<AttachmentRecord> listAttachments(const std::string& requestId) = 0;
    /// Deletes the ciphertext (keeps size/sha256 for the record) and sets purgedAt. Returns how many.
    virtual int purgeAttachmentContents(const std::string& requestId, Seconds at) = 0;

    // --- reviewers and sessions
    /// Throws AuthorityError REVIEWER_EXISTS on a duplicate name.
    virtual std::int64_t insertReviewer(const ReviewerRecord& record) = 0;
    virtual std::optional<ReviewerRecord> findReviewerByName(const std::string& name) = 0;
    virtual std::optional<ReviewerRecord> findReviewerById(std::int64_t id) = 0;
    virtual void insertSession(const SessionRecord& record) = 0;
    virtual std::optional<SessionRecord> findSession(const std::string& tokenHash) = 0;
    virtual void deleteSession(const std::string& tokenHash) = 0;
    /// Deletes sessions expired at `now`; returns how many.
    virtual int deleteExpiredSessions(Seconds now) = 0;
    /// Records that the session was used at `at` (its idle timeout starts again).
    virtual void touchSession(const std::string& tokenHash, Seconds at) = 0;
    /// The failed-login record of `account` (zero failures when none).
    virtual LoginFailures loginFailures(const std::string& account) = 0;
    /// Stores `account`'s record; zero failures deletes it.
    virtual void setLoginFailures(const std::string& account, const LoginFailures& failures, Seconds at) = 0;

    // --- audit (append-only, hash-chained)
    /// Appends `record` (its id, prevHash and hash are set here: each entry carries the previous one's
    /// hash) and returns its id.
    virtual std::int64_t appendAudit(const AuditRecord& record) = 0;
    /// Entries about `requestId` ("" = all), oldest first, at most `limit`.
    virtual std::vector<AuditRecord> listAudit(const std::string& requestId, int limit) = 0;

    // --- rate-limit counters (fixed windows)
    /// Adds one to the counter (key, windowStart) and returns the new count; drops windows older than
    /// `windowStart`'s for that key.
    virtual int incrementCounter(const std::string& key, Seconds windowStart) = 0;
};

}  // namespace cardbridge::authority
