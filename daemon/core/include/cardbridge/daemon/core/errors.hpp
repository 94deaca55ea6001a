// The daemon's error reasons in one table {reason → stable name → JSON-RPC code → English message}, the
// exceptions handlers throw on purpose, and the one place (classify / toErrorObject) where any exception
// becomes a reason. docs/api.md §7 is the contract; a unit test compares the two.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>

#include "cardbridge/card/errors.hpp"
#include "cardbridge/card/piv.hpp"

namespace cardbridge::daemon {

/// JSON-RPC error codes (the spec's, plus the implementation-defined server error for our reasons).
enum class RpcCode : int {
    ParseError = -32700,
    InvalidRequest = -32600,
    MethodNotFound = -32601,
    InvalidParams = -32602,
    InternalError = -32603,
    ApplicationError = -32000,  ///< data.reason says which
};

/// Every reason the daemon sends in data.reason. The order is the table's (REASONS).
enum class Reason : std::uint8_t {
    ParseError,
    InvalidRequest,
    MethodNotFound,
    InvalidParams,
    NotAllowed,
    RateLimited,
    TooManyPending,
    Internal,
    PcscUnavailable,
    NoReader,
    ReaderUnavailable,
    CardAbsent,
    CardRemoved,
    CardBusy,
    CardUnresponsive,
    CardUnsupported,
    CardError,
    Timeout,
    PinIncorrect,
    PinBlocked,
    PinPolicy,
    PukIncorrect,
    PukBlocked,
    CertNotFound,
    AuthorityNotConfigured,
    AuthorityUnreachable,
    AuthorityUntrusted,
    AuthorityError,
    FlowNotFound,
    CardChanged,
    WrongState,
    CertExpired,
    CertNotYetValid,
    CertUnknown,
    CardMismatch,
    FormInvalid,
    CodeIncorrect,
    CodeExpired,
    CodeNotSent,
    CodeLocked,
    CodeCooldown,
    DailyCap,
    SmsUnavailable,
    AttachmentTooLarge,
    AttachmentType,
    AttachmentsMissing,
    ApprovalExpired,
    RequestNotFound,
    PinLastTry,
    PukMismatch,
};

/// One row of the reason table.
struct ReasonInfo {
    Reason reason;
    const char* name;     ///< the stable string in data.reason, e.g. "PIN_INCORRECT"
    RpcCode code;         ///< the JSON-RPC error code
    const char* message;  ///< English for developers (error.message); the UI maps `name` to text instead
};

/// The reason table, in the order of `Reason`.
inline constexpr std::array<ReasonInfo, 50> REASONS{{
    {Reason::ParseError, "PARSE_ERROR", RpcCode::ParseError, "The request could not be parsed."},
    {Reason::InvalidRequest, "INVALID_REQUEST", RpcCode::InvalidRequest,
     "The request is not a valid JSON-RPC 2.0 request."},
    {Reason::MethodNotFound, "METHOD_NOT_FOUND", RpcCode::MethodNotFound, "No method of that name."},
    {Reason::InvalidParams, "INVALID_PARAMS", RpcCode::InvalidParams, "The request parameters are invalid."},
    {Reason::NotAllowed, "NOT_ALLOWED", RpcCode::ApplicationError,
     "The caller's origin may not call this method."},
    {Reason::RateLimited, "RATE_LIMITED", RpcCode::ApplicationError, "Too many requests per second."},
    {Reason::TooManyPending, "TOO_MANY_PENDING", RpcCode::ApplicationError,
     "Too many unanswered requests on this connection."},
    {Reason::Internal, "INTERNAL", RpcCode::InternalError,
     "Internal error; details are in the daemon's log."},
    {Reason::PcscUnavailable, "PCSC_UNAVAILABLE", RpcCode::ApplicationError,
     "The PC/SC service is not running."},
    {Reason::NoReader, "NO_READER", RpcCode::ApplicationError, "No card reader is connected."},
    {Reason::ReaderUnavailable, "READER_UNAVAILABLE", RpcCode::ApplicationError,
     "The reader is not connected."},
    {Reason::CardAbsent, "CARD_ABSENT", RpcCode::ApplicationError, "The reader has no card."},
    {Reason::CardRemoved, "CARD_REMOVED", RpcCode::ApplicationError,
     "The card was removed during the operation."},
    {Reason::CardBusy, "CARD_BUSY", RpcCode::ApplicationError, "Another program holds or reset the card."},
    {Reason::CardUnresponsive, "CARD_UNRESPONSIVE", RpcCode::ApplicationError, "The card does not answer."},
    {Reason::CardUnsupported, "CARD_UNSUPPORTED", RpcCode::ApplicationError,
     "The card has no PIV application."},
    {Reason::CardError, "CARD_ERROR", RpcCode::ApplicationError, "The card answered something unexpected."},
    {Reason::Timeout, "TIMEOUT", RpcCode::ApplicationError, "A PC/SC wait expired or was cancelled."},
    {Reason::PinIncorrect, "PIN_INCORRECT", RpcCode::ApplicationError, "Wrong PIN."},
    {Reason::PinBlocked, "PIN_BLOCKED", RpcCode::ApplicationError, "The PIN is blocked."},
    {Reason::PinPolicy, "PIN_POLICY", RpcCode::ApplicationError, "The new PIN violates the PIN policy."},
    {Reason::PukIncorrect, "PUK_INCORRECT", RpcCode::ApplicationError, "Wrong PUK."},
    {Reason::PukBlocked, "PUK_BLOCKED", RpcCode::ApplicationError, "The PUK is blocked."},
    {Reason::CertNotFound, "CERT_NOT_FOUND", RpcCode::ApplicationError,
     "No certificate in the requested slot."},
    {Reason::AuthorityNotConfigured, "AUTHORITY_NOT_CONFIGURED", RpcCode::ApplicationError,
     "Online unlock is not configured (authority.url, caFile, tokenFile)."},
    {Reason::AuthorityUnreachable, "AUTHORITY_UNREACHABLE", RpcCode::ApplicationError,
     "The unlock service cannot be reached."},
    {Reason::AuthorityUntrusted, "AUTHORITY_UNTRUSTED", RpcCode::ApplicationError,
     "The unlock service's certificate does not verify against the configured CA."},
    {Reason::AuthorityError, "AUTHORITY_ERROR", RpcCode::ApplicationError,
     "The unlock service answered something unexpected."},
    {Reason::FlowNotFound, "FLOW_NOT_FOUND", RpcCode::ApplicationError, "No unlock flow with that id."},
    {Reason::CardChanged, "CARD_CHANGED", RpcCode::ApplicationError,
     "The flow's card is no longer in its reader."},
    {Reason::WrongState, "WRONG_STATE", RpcCode::ApplicationError,
     "The flow's step does not allow this call."},
    {Reason::CertExpired, "CERT_EXPIRED", RpcCode::ApplicationError, "The certificate has expired."},
    {Reason::CertNotYetValid, "CERT_NOT_YET_VALID", RpcCode::ApplicationError,
     "The certificate is not valid yet."},
    {Reason::CertUnknown, "CERT_UNKNOWN", RpcCode::ApplicationError,
     "The unlock service does not know or trust this certificate."},
    {Reason::CardMismatch, "CARD_MISMATCH", RpcCode::ApplicationError,
     "The certificate is registered for another card."},
    {Reason::FormInvalid, "FORM_INVALID", RpcCode::ApplicationError, "A handler field is invalid."},
    {Reason::CodeIncorrect, "CODE_INCORRECT", RpcCode::ApplicationError, "Wrong SMS code."},
    {Reason::CodeExpired, "CODE_EXPIRED", RpcCode::ApplicationError, "The SMS code has expired."},
    {Reason::CodeNotSent, "CODE_NOT_SENT", RpcCode::ApplicationError, "No SMS code was requested."},
    {Reason::CodeLocked, "CODE_LOCKED", RpcCode::ApplicationError,
     "Too many wrong SMS codes; the code is dead."},
    {Reason::CodeCooldown, "CODE_COOLDOWN", RpcCode::ApplicationError, "A new SMS code cannot be sent yet."},
    {Reason::DailyCap, "DAILY_CAP", RpcCode::ApplicationError,
     "The card's daily number of SMS codes is used up."},
    {Reason::SmsUnavailable, "SMS_UNAVAILABLE", RpcCode::ApplicationError, "The SMS could not be sent."},
    {Reason::AttachmentTooLarge, "ATTACHMENT_TOO_LARGE", RpcCode::ApplicationError,
     "The file must be under 1024 KB."},
    {Reason::AttachmentType, "ATTACHMENT_TYPE", RpcCode::ApplicationError,
     "The file must be a JPEG, PNG, GIF, BMP or PDF."},
    {Reason::AttachmentsMissing, "ATTACHMENTS_MISSING", RpcCode::ApplicationError,
     "Required attachments are missing."},
    {Reason::ApprovalExpired, "APPROVAL_EXPIRED", RpcCode::ApplicationError, "The approval has expired."},
    {Reason::RequestNotFound, "REQUEST_NOT_FOUND", RpcCode::ApplicationError,
     "The unlock service no longer knows the request."},
    {Reason::PinLastTry, "PIN_LAST_TRY", RpcCode::ApplicationError,
     "One PIN try is left; repeat the call with confirmLastTry: true to spend it."},
    {Reason::PukMismatch, "PUK_MISMATCH", RpcCode::ApplicationError,
     "The card refused the unlock service's PUKs before; nothing is tried again until support clears it."},
}};

/// The table row of `reason`. Never throws.
constexpr const ReasonInfo& info(Reason reason) noexcept {
    return REASONS[static_cast<std::size_t>(reason)];
}

/// The stable name of `reason`, e.g. "PIN_INCORRECT". Never throws.
constexpr const char* reasonName(Reason reason) noexcept {
    return info(reason).name;
}

namespace detail {
constexpr bool tableInOrder() {
    for (std::size_t i = 0; i < REASONS.size(); ++i) {
        if (static_cast<std::size_t>(REASONS[i].reason) != i) return false;
    }
    return true;
}
}  // namespace detail
static_assert(detail::tableInOrder(), "REASONS must list every Reason in enum order");

/// An error a handler reports on purpose: {reason, extra data fields}. `detail` goes to the log only.
class RpcError : public std::exception {
  public:
    explicit RpcError(Reason reason, nlohmann::json extra = nlohmann::json::object(), std::string detail = {})
        : reason_(reason), extra_(std::move(extra)), detail_(std::move(detail)) {}
    /// The detail when given, else the table's English message.
    [[nodiscard]] const char* what() const noexcept override {
        return detail_.empty() ? info(reason_).message : detail_.c_str();
    }
    [[nodiscard]] Reason reason() const noexcept { return reason_; }
    [[nodiscard]] const nlohmann::json& extra() const noexcept { return extra_; }

  private:
    Reason reason_;
    nlohmann::json extra_;
    std::string detail_;
};

/// A PIN or PUK operation the card refused (wrong or blocked PIN or PUK). Carries the card's outcome.
class PinRefusedError : public std::exception {
  public:
    /// `result.status` must not be Success.
    explicit PinRefusedError(card::PinResult result) : result_(result) {}
    [[nodiscard]] const char* what() const noexcept override { return "the card refused the PIN or PUK"; }
    [[nodiscard]] const card::PinResult& result() const noexcept { return result_; }

  private:
    card::PinResult result_;
};

/// An exception classified: its reason, the extra data fields for the client, and what goes to the log.
struct Classified {
    Reason reason = Reason::Internal;
    nlohmann::json extra = nlohmann::json::object();  ///< e.g. {"retriesLeft": 2}; never secrets
    std::string logDetail;                            ///< what(), for the log only
};

/// The single mapping from exceptions to reasons: RpcError → its reason; PinRefusedError → PIN_INCORRECT /
/// PIN_BLOCKED / PUK_INCORRECT / PUK_BLOCKED with retriesLeft; card::PinPolicyError → PIN_POLICY with
/// violation; card::CardError → by code (cardReason); json type errors and InputError → INVALID_PARAMS;
/// anything else → INTERNAL. Does not log. Never throws beyond std::bad_alloc.
Classified classify(std::exception_ptr error);

/// The reason of a card-layer error code.
Reason cardReason(card::CardErrorCode code) noexcept;

/// The reason of a refused PIN/PUK outcome (PinStatus other than Success; Success gives Internal).
Reason pinReason(card::PinStatus status) noexcept;

/// The JSON-RPC error object {code, message, data:{reason, …extra}} of classify(error); logs the detail
/// (card trouble as warning, INTERNAL as error, the caller's mistakes as info). Never throws beyond
/// std::bad_alloc.
nlohmann::json toErrorObject(std::exception_ptr error);

}  // namespace cardbridge::daemon
