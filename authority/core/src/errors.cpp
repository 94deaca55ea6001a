#include "cardbridge/authority/errors.hpp"

#include <array>
#include <utility>

namespace cardbridge::authority {

AuthorityError::AuthorityError(std::string_view reason, int httpStatus, std::string message,
                               nlohmann::json extra)
    : InputError(std::move(message)), reason_(reason), httpStatus_(httpStatus), extra_(std::move(extra)) {
    if (!extra_.is_object()) extra_ = nlohmann::json::object();
}

int httpStatusFor(std::string_view r) noexcept {
    struct Entry {
        std::string_view reason;
        int status;
    };
    static constexpr std::array<Entry, 36> TABLE = {{
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
        {reason::ALREADY_RELEASED, 409},
        {reason::NOT_RELEASED, 409},
        {reason::REASON_REQUIRED, 400},
        {reason::REVIEWER_EXISTS, 409},
        {reason::CARD_UNKNOWN, 404},
        {"", 400},
        {"", 400},
        {"", 400},
    }};
    for (const auto& entry : TABLE) {
        if (!entry.reason.empty() && entry.reason == r) return entry.status;
    }
    return 400;
}

void fail(std::string_view r, std::string message, nlohmann::json extra) {
    throw AuthorityError(r, httpStatusFor(r), std::move(message), std::move(extra));
}

}  // namespace cardbridge::authority
