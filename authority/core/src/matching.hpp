// Shared helpers of Registry and the unlock flow's parts: form validation errors, ID hashing, masking.
#pragma once

#include <string>
#include <string_view>

#include "cardbridge/common/clock.hpp"
#include "cardbridge/common/secret.hpp"
#include "cardbridge/rules/form.hpp"

namespace cardbridge::authority::detail {

/// Throws AuthorityError FORM_INVALID {field, problem, fields:[…]} when `v` has errors.
void requireValid(const rules::ValidatedHandler& v);

/// Keyed hash of an ID number: HMAC-SHA-256(idKey, "cardbridge-id-v1" ‖ 0 ‖ type code ‖ 0 ‖ number), hex.
std::string idHash(const Secret& idKey, rules::IdType type, std::string_view normalisedNumber);

/// Name comparison key: normalizeName plus ASCII case folding (Latin names are matched case-blind).
std::string nameKey(std::string_view name);

/// "**************123X" for 18-character ID types, "****123X" otherwise, from the last four only.
std::string maskFromLastFour(std::string_view idTypeName, std::string_view lastFour);

/// Trimmed card serial; throws AuthorityError FORM_INVALID {field: "cardSerial"} when empty, longer than
/// 64 characters or not printable ASCII.
std::string checkCardSerial(std::string_view serial);

/// The Asia/Shanghai date of `t` as "YYYY-MM-DD".
std::string shanghaiDateText(Seconds t);

}  // namespace cardbridge::authority::detail
