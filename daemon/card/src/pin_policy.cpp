#include "cardbridge/card/pin_policy.hpp"

#include <string>

namespace cardbridge::card {

std::string_view toString(PinPolicyViolation violation) noexcept {
    switch (violation) {
        case PinPolicyViolation::TooShort:
            return "TooShort";
        case PinPolicyViolation::TooLong:
            return "TooLong";
        case PinPolicyViolation::NotDigits:
            return "NotDigits";
        case PinPolicyViolation::AllSame:
            return "AllSame";
        case PinPolicyViolation::Sequential:
            return "Sequential";
    }
    return "Unknown";
}

std::optional<PinPolicyViolation> checkPinPolicy(const Secret& pin) noexcept {
    const std::string_view digits = pin.view();
    if (digits.size() < PIN_MIN_LENGTH) return PinPolicyViolation::TooShort;
    if (digits.size() > PIN_MAX_LENGTH) return PinPolicyViolation::TooLong;
    for (char c : digits) {
        if (c < '0' || c > '9') return PinPolicyViolation::NotDigits;
    }
    bool same = true, ascending = true, descending = true;
    for (std::size_t i = 1; i < digits.size(); ++i) {
        const int step = digits[i] - digits[i - 1];
        same = same && step == 0;
        ascending = ascending && step == 1;
        descending = descending && step == -1;
    }
    if (same) return PinPolicyViolation::AllSame;
    if (ascending || descending) return PinPolicyViolation::Sequential;
    return std::nullopt;
}

PinPolicyError::PinPolicyError(PinPolicyViolation violation)
    : CardInputError(CardErrorCode::PinPolicy,
                     "new PIN violates the PIN policy: " + std::string(toString(violation))),
      violation_(violation) {}

void enforcePinPolicy(const Secret& pin) {
    if (auto violation = checkPinPolicy(pin)) throw PinPolicyError(*violation);
}

}  // namespace cardbridge::card
