// PIN policy for new PIV PINs: 6–8 digits, not trivially weak.
#pragma once

#include <optional>
#include <string_view>

#include "cardbridge/card/errors.hpp"
#include "cardbridge/common/secret.hpp"

namespace cardbridge::card {

/// Why a PIN was refused.
enum class PinPolicyViolation {
    TooShort,    ///< fewer than 6 characters
    TooLong,     ///< more than 8 characters
    NotDigits,   ///< a character other than 0-9
    AllSame,     ///< e.g. 111111
    Sequential,  ///< an ascending or descending run, e.g. 123456, 987654 (no wrap-around past 9/0)
};

inline constexpr std::size_t PIN_MIN_LENGTH = 6;
inline constexpr std::size_t PIN_MAX_LENGTH = 8;

/// Stable name of a violation, e.g. "Sequential".
std::string_view toString(PinPolicyViolation violation) noexcept;

/// The first violation of `pin` (checked in the order length, digits, all-same, sequential), or nothing
/// when acceptable. Never throws.
std::optional<PinPolicyViolation> checkPinPolicy(const Secret& pin) noexcept;

/// A new PIN violated the policy; code() is PinPolicy.
class PinPolicyError : public CardInputError {
  public:
    explicit PinPolicyError(PinPolicyViolation violation);
    [[nodiscard]] PinPolicyViolation violation() const noexcept { return violation_; }

  private:
    PinPolicyViolation violation_;
};

/// Throws PinPolicyError when `pin` violates the policy.
void enforcePinPolicy(const Secret& pin);

}  // namespace cardbridge::card
