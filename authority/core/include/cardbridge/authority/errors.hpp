// AuthorityError: every refusal of the authority's domain service, with a stable reason for the wire.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "cardbridge/common/error.hpp"

namespace cardbridge::authority {

/// Stable reason strings (docs/authority-api.md, "Reasons"). The HTTP layer sends `reason`, the status
/// and the extra fields; what() is for the log only.
namespace reason {
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
inline constexpr std::string_view ALREADY_RELEASED = "ALREADY_RELEASED";
inline constexpr std::string_view NOT_RELEASED = "NOT_RELEASED";
inline constexpr std::string_view REASON_REQUIRED = "REASON_REQUIRED";
inline constexpr std::string_view REVIEWER_EXISTS = "REVIEWER_EXISTS";
inline constexpr std::string_view CARD_UNKNOWN = "CARD_UNKNOWN";
}  // namespace reason

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

/// Looks up the HTTP status documented for `reason`; 400 for an unknown reason. Never throws.
int httpStatusFor(std::string_view reason) noexcept;

/// Throws AuthorityError(reason, httpStatusFor(reason), message, extra).
[[noreturn]] void fail(std::string_view reason, std::string message,
                       nlohmann::json extra = nlohmann::json::object());

}  // namespace cardbridge::authority
