// AuthorityError: every refusal of the authority's domain service, with a stable reason for the wire.
#pragma once

#include <array>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "cardbridge/common/error.hpp"

namespace cardbridge::authority {

/// Stable reason strings (docs/authority-api.md, "Reasons"). The HTTP layer sends `reason`, the status
/// and the extra fields; what() is for the log only. Every constant here is in REASONS below.
namespace reason {
// The domain service's refusals.
inline constexpr std::string_view FORM_INVALID = "FORM_INVALID";
inline constexpr std::string_view CERT_INVALID = "CERT_INVALID";
inline constexpr std::string_view CERT_UNTRUSTED = "CERT_UNTRUSTED";
inline constexpr std::string_view CERT_EXPIRED = "CERT_EXPIRED";
inline constexpr std::string_view CERT_NOT_YET_VALID = "CERT_NOT_YET_VALID";
inline constexpr std::string_view CERT_UNKNOWN = "CERT_UNKNOWN";
inline constexpr std::string_view CERT_ALREADY_ENROLLED = "CERT_ALREADY_ENROLLED";
inline constexpr std::string_view CARD_MISMATCH = "CARD_MISMATCH";
inline constexpr std::string_view RATE_LIMITED = "RATE_LIMITED";
inline constexpr std::string_view REQUEST_NOT_FOUND = "REQUEST_NOT_FOUND";
inline constexpr std::string_view WRONG_ROUTE = "WRONG_ROUTE";
inline constexpr std::string_view WRONG_STATE = "WRONG_STATE";
inline constexpr std::string_view CODE_NOT_SENT = "CODE_NOT_SENT";
inline constexpr std::string_view CODE_INCORRECT = "CODE_INCORRECT";
inline constexpr std::string_view CODE_EXPIRED = "CODE_EXPIRED";
inline constexpr std::string_view CODE_COOLDOWN = "CODE_COOLDOWN";
inline constexpr std::string_view CODE_LOCKED = "CODE_LOCKED";
inline constexpr std::string_view DAILY_CAP = "DAILY_CAP";
inline constexpr std::string_view SMS_UNAVAILABLE = "SMS_UNAVAILABLE";
inline constexpr std::string_view ATTACHMENT_KIND = "ATTACHMENT_KIND";
inline constexpr std::string_view ATTACHMENT_TOO_LARGE = "ATTACHMENT_TOO_LARGE";
inline constexpr std::string_view ATTACHMENT_TYPE = "ATTACHMENT_TYPE";
inline constexpr std::string_view ATTACHMENTS_MISSING = "ATTACHMENTS_MISSING";
inline constexpr std::string_view ATTACHMENT_NOT_FOUND = "ATTACHMENT_NOT_FOUND";
inline constexpr std::string_view ATTACHMENT_PURGED = "ATTACHMENT_PURGED";
inline constexpr std::string_view ATTACHMENT_CORRUPT = "ATTACHMENT_CORRUPT";
inline constexpr std::string_view NOT_AUTHORISED = "NOT_AUTHORISED";
inline constexpr std::string_view APPROVAL_EXPIRED = "APPROVAL_EXPIRED";
inline constexpr std::string_view NOT_RELEASED = "NOT_RELEASED";
inline constexpr std::string_view REASON_REQUIRED = "REASON_REQUIRED";
inline constexpr std::string_view REVIEWER_EXISTS = "REVIEWER_EXISTS";
inline constexpr std::string_view CARD_UNKNOWN = "CARD_UNKNOWN";
// The HTTP layer's own (authority/http): the request never reached the service, or failed inside it.
inline constexpr std::string_view NOT_FOUND = "NOT_FOUND";
inline constexpr std::string_view METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED";
inline constexpr std::string_view UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE";
inline constexpr std::string_view MALFORMED_JSON = "MALFORMED_JSON";
inline constexpr std::string_view BODY_TOO_LARGE = "BODY_TOO_LARGE";
inline constexpr std::string_view UNAUTHENTICATED = "UNAUTHENTICATED";
inline constexpr std::string_view INTERNAL = "INTERNAL";
inline constexpr std::string_view UNAVAILABLE = "UNAVAILABLE";
}  // namespace reason

/// One reason the authority can send and the HTTP status it goes with.
struct ReasonEntry {
    std::string_view reason;
    int httpStatus;
};

/// Every reason the authority can send, with its status: the one list (docs/authority-api.md's "Reasons"
/// table is tested against it).
inline constexpr std::array<ReasonEntry, 40> REASONS = {{
    {reason::FORM_INVALID, 400},
    {reason::CERT_INVALID, 400},
    {reason::CERT_UNTRUSTED, 403},
    {reason::CERT_EXPIRED, 403},
    {reason::CERT_NOT_YET_VALID, 403},
    {reason::CERT_UNKNOWN, 404},
    {reason::CERT_ALREADY_ENROLLED, 409},
    {reason::CARD_MISMATCH, 403},
    {reason::RATE_LIMITED, 429},
    {reason::REQUEST_NOT_FOUND, 404},
    {reason::WRONG_ROUTE, 409},
    {reason::WRONG_STATE, 409},
    {reason::CODE_NOT_SENT, 409},
    {reason::CODE_INCORRECT, 400},
    {reason::CODE_EXPIRED, 410},
    {reason::CODE_COOLDOWN, 429},
    {reason::CODE_LOCKED, 403},
    {reason::DAILY_CAP, 429},
    {reason::SMS_UNAVAILABLE, 503},
    {reason::ATTACHMENT_KIND, 400},
    {reason::ATTACHMENT_TOO_LARGE, 413},
    {reason::ATTACHMENT_TYPE, 415},
    {reason::ATTACHMENTS_MISSING, 409},
    {reason::ATTACHMENT_NOT_FOUND, 404},
    {reason::ATTACHMENT_PURGED, 410},
    {reason::ATTACHMENT_CORRUPT, 500},
    {reason::NOT_AUTHORISED, 403},
    {reason::APPROVAL_EXPIRED, 410},
    {reason::NOT_RELEASED, 409},
    {reason::REASON_REQUIRED, 400},
    {reason::REVIEWER_EXISTS, 409},
    {reason::CARD_UNKNOWN, 404},
    {reason::METHOD_NOT_ALLOWED, 405},
    {reason::UNSUPPORTED_MEDIA_TYPE, 415},
    {reason::NOT_FOUND, 404},
    {reason::MALFORMED_JSON, 400},
    {reason::BODY_TOO_LARGE, 413},
    {reason::UNAUTHENTICATED, 401},
    {reason::INTERNAL, 500},
    {reason::UNAVAILABLE, 503},
}};

/// A refusal the client can act on: stable `reason`, HTTP status and extra JSON fields
/// (e.g. {"triesLeft": 3}, {"retryAfter": 42}). Derives from InputError: fix the input or wait, do not
/// retry the same call blindly.
class AuthorityError : public InputError {
  public:
    /// Builds the error; `message` is for the log and must hold no secret.
    AuthorityError(std::string_view reason, int httpStatus, std::string message,
                   nlohmann::json extra = nlohmann::json::object());

    [[nodiscard]] const std::string& reason() const noexcept { return reason_; }
    [[nodiscard]] int httpStatus() const noexcept { return httpStatus_; }
    /// Extra fields for the response body (an object; may be empty).
    [[nodiscard]] const nlohmann::json& extra() const noexcept { return extra_; }

  private:
    std::string reason_;
    int httpStatus_;
    nlohmann::json extra_;
};

/// The HTTP status of `reason` in REASONS; 400 for a reason not in the list. Never throws.
int httpStatusFor(std::string_view reason) noexcept;

/// Throws AuthorityError(reason, httpStatusFor(reason), message, extra).
[[noreturn]] void fail(std::string_view reason, std::string message,
                       nlohmann::json extra = nlohmann::json::object());

}  // namespace cardbridge::authority
