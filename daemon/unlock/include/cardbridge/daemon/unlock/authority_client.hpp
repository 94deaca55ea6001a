// The daemon's seam to cardbridge-authority (docs/authority-api.md): value types, one interface, a factory
// for the real HTTPS client, and errors split by how the caller reacts. No Beast or Asio here.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cardbridge/common/bytes.hpp"
#include "cardbridge/common/secret.hpp"
#include "cardbridge/daemon/core/config.hpp"

namespace cardbridge::daemon::unlock {

/// 经办人信息 as typed by the user (the authority validates it; FORM_INVALID names the field).
struct Handler {
    std::string organization;
    std::string name;
    std::string idType;
    std::string idNumber;
    std::string phone;
};

/// What `createRequest` sends.
struct CreateRequest {
    Bytes certificateDer;
    std::string cardSerial;
    Handler handler;
};

/// The authority's answer to `createRequest`.
struct CreatedRequest {
    std::string requestId;                   ///< 32 lower-case hex characters
    std::string route;                       ///< "sms" or "review"
    std::optional<std::string> maskedPhone;  ///< "138****5678" on the SMS route
};

/// The answer to `sendCode`.
struct CodeSent {
    std::string maskedPhone;
    std::string expiresAt;  ///< ISO 8601 UTC
    unsigned resendAfterSeconds = 0;
};

/// One uploaded attachment as the status object lists it.
struct AttachmentInfo {
    std::string kind;
    std::string contentType;
    std::uint64_t size = 0;
    std::string sha256;  ///< upper-case hex
    std::string uploadedAt;
    bool purged = false;
};

/// The status object (docs/authority-api.md, "Status object").
struct RequestStatus {
    std::string requestId;
    std::string route;
    std::string state;  ///< open, authorised, in_review, approved, rejected, withdrawn, completed
    std::string createdAt;
    std::optional<std::string> submittedAt;
    std::optional<std::string> dueDate;
    bool dueIsEstimate = false;
    std::optional<std::string> decidedAt;
    std::optional<std::string> rejectReason;
    std::optional<std::string> authorisedUntil;
    bool credentialReleased = false;
    std::vector<AttachmentInfo> attachments;
};

/// The card's PUKs released for one authorised request. Never logged.
struct Credential {
    Secret currentPuk;
    Secret nextPuk;
    std::uint64_t epoch = 0;
    std::uint64_t nextEpoch = 0;
    bool pendingRotation = false;  ///< an earlier rotation was not completed: the card holds one of the two
};

/// Any failure of an authority call. Catch the subclasses: they say how to react.
class AuthorityError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// One per-field problem of a FORM_INVALID refusal ("handler.phone", "format").
struct FieldProblem {
    std::string field;
    std::string problem;
};

/// The authority answered with an error object: show or map `reason()`; repeating the call will not help
/// (unless the reason is RATE_LIMITED / CODE_COOLDOWN / DAILY_CAP after `retryAfterSeconds()`).
class AuthorityRefused : public AuthorityError {
  public:
    AuthorityRefused(std::string reason, unsigned httpStatus, std::map<std::string, std::string> extra,
                     std::vector<FieldProblem> fields, const std::string& message);
    /// Stable reason from docs/authority-api.md, e.g. "CODE_INCORRECT"; "HTTP_<status>" without a body.
    [[nodiscard]] const std::string& reason() const noexcept { return reason_; }
    [[nodiscard]] unsigned httpStatus() const noexcept { return httpStatus_; }
    /// The error's extra fields except reason and message: strings as they are, anything else as JSON text
    /// ("triesLeft" → "3", "missing" → "[\"handler_id\"]").
    [[nodiscard]] const std::map<std::string, std::string>& extra() const noexcept { return extra_; }
    /// FORM_INVALID's fields ([{field, problem}], or the single field/problem); empty otherwise.
    [[nodiscard]] const std::vector<FieldProblem>& fields() const noexcept { return fields_; }
    /// extra()[name] as an unsigned number (triesLeft, retryAfter, limit), nullopt when absent or not one.
    [[nodiscard]] std::optional<std::uint64_t> number(const std::string& name) const;

  private:
    std::string reason_;
    unsigned httpStatus_;
    std::map<std::string, std::string> extra_;
    std::vector<FieldProblem> fields_;
};

/// The authority could not be reached, or kept failing, within the configured timeouts and retries: try
/// again later (AUTHORITY_UNREACHABLE). `what()` names the last failure, for the log.
class AuthorityUnreachable : public AuthorityError {
  public:
    using AuthorityError::AuthorityError;
};

/// The authority's certificate does not verify against the pinned CA or does not name the URL's host.
/// Never retried: it is a configuration or an attack, not weather.
class AuthorityTlsFailure : public AuthorityError {
  public:
    using AuthorityError::AuthorityError;
};

/// The authority answered something this client cannot use (not JSON, missing fields, too large).
class AuthorityProtocolError : public AuthorityError {
  public:
    using AuthorityError::AuthorityError;
};

/// The client cannot be built from its settings (no URL, unreadable CA file, bad token file).
class AuthorityConfigError : public AuthorityError {
  public:
    using AuthorityError::AuthorityError;
};

/// The authority's unlock API. Calls block the calling thread (never a network thread of the daemon) and
/// are safe to make from several threads at once. Each throws AuthorityRefused, AuthorityUnreachable,
/// AuthorityTlsFailure or AuthorityProtocolError.
class AuthorityClient {
  public:
    virtual ~AuthorityClient() = default;
    /// POST /v1/unlock-requests. Not repeated once sent (a second request would count against rate limits).
    virtual CreatedRequest createRequest(const CreateRequest& request) = 0;
    /// POST …/{id}/code: sends an SMS code to the registered phone. Not repeated once sent.
    virtual CodeSent sendCode(const std::string& requestId) = 0;
    /// POST …/{id}/verify {code}. Not repeated once sent (a wrong try counts).
    virtual RequestStatus verifyCode(const std::string& requestId, const Secret& code) = 0;
    /// PUT …/{id}/attachments/{kind} (application_form, business_license, handler_id) with the file's bytes;
    /// the authority decides the type by magic bytes. Retried (a PUT replaces: repeating it is harmless).
    virtual AttachmentInfo uploadAttachment(const std::string& requestId, const std::string& kind,
                                            ByteView bytes) = 0;
    /// POST …/{id}/submit: the review route goes to `in_review` with its due date. Not repeated once sent.
    virtual RequestStatus submit(const std::string& requestId) = 0;
    /// GET …/{id}. Retried.
    virtual RequestStatus status(const std::string& requestId) = 0;
    /// GET …/{id}/application-form: the printable form's data, field → text (every field of the authority's
    /// answer that is a string). Retried.
    virtual std::map<std::string, std::string> applicationForm(const std::string& requestId) = 0;
    /// DELETE …/{id} (撤销). Not repeated once sent.
    virtual RequestStatus withdraw(const std::string& requestId) = 0;
    /// POST …/{id}/credential: the PUKs. Retried (repeatable while the rotation is pending).
    virtual Credential credential(const std::string& requestId) = 0;
    /// POST …/{id}/complete: the card now holds the next PUK. Retried (idempotent).
    virtual RequestStatus complete(const std::string& requestId) = 0;
};

/// Settings of the real client.
struct AuthorityClientOptions {
    HttpsUrl url;
    std::string caPem;  ///< the only trust anchors
    Secret token;       ///< bearer token
    std::chrono::milliseconds connectTimeout{10'000};
    std::chrono::milliseconds requestTimeout{30'000};
    unsigned retries = 2;
    std::chrono::milliseconds backoffBase{500};  ///< first pause between attempts, doubled each time
    std::chrono::milliseconds backoffMax{8'000};
    std::size_t maxResponseBytes = 256 * 1024;  ///< larger responses are refused (AuthorityProtocolError)
};

/// Options from the daemon's config: parses the URL, reads the CA file and the token file (first line not
/// empty nor a '#' comment; the file must not be readable by group or others). Throws AuthorityConfigError.
AuthorityClientOptions clientOptionsFromConfig(const AuthorityConfig& config);

/// The real client over HTTPS. Throws AuthorityConfigError when the CA PEM holds no certificate.
std::unique_ptr<AuthorityClient> makeHttpsAuthorityClient(AuthorityClientOptions options);

}  // namespace cardbridge::daemon::unlock
