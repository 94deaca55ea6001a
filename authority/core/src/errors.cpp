#include "cardbridge/authority/core/errors.hpp"

#include <utility>

namespace cardbridge::authority {

AuthorityError::AuthorityError(std::string_view reason, int httpStatus, std::string message,
                               nlohmann::json extra)
    : InputError(std::move(message)), reason_(reason), httpStatus_(httpStatus), extra_(std::move(extra)) {
    if (!extra_.is_object()) extra_ = nlohmann::json::object();
}

int httpStatusFor(std::string_view r) noexcept {
    for (const auto& entry : REASONS) {
        if (entry.reason == r) return entry.httpStatus;
    }
    return 400;
}

void fail(std::string_view r, std::string message, nlohmann::json extra) {
    throw AuthorityError(r, httpStatusFor(r), std::move(message), std::move(extra));
}

}  // namespace cardbridge::authority
