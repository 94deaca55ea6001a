// PIN policy table: length, digits, all-same and sequential runs.
#include <gtest/gtest.h>

#include <optional>

#include "cardbridge/card/pin_policy.hpp"

namespace cardbridge::card {
namespace {

struct PolicyCase {
    const char* pin;
    std::optional<PinPolicyViolation> expected;
};

class PinPolicyTable : public ::testing::TestWithParam<PolicyCase> {};

TEST_P(PinPolicyTable, ClassifiesPin) {
    EXPECT_EQ(checkPinPolicy(Secret(std::string_view(GetParam().pin))), GetParam().expected)
        << GetParam().pin;
}

INSTANTIATE_TEST_SUITE_P(
    Table, PinPolicyTable,
    ::testing::Values(
        PolicyCase{"", PinPolicyViolation::TooShort}, PolicyCase{"12345", PinPolicyViolation::TooShort},
        PolicyCase{"123456789", PinPolicyViolation::TooLong},
        PolicyCase{"12a456", PinPolicyViolation::NotDigits},
        PolicyCase{"12 456", PinPolicyViolation::NotDigits},
        PolicyCase{"\xEF\xBC\x91\xEF\xBC\x92", PinPolicyViolation::NotDigits},  // fullwidth １２
        PolicyCase{"111111", PinPolicyViolation::AllSame},
        PolicyCase{"00000000", PinPolicyViolation::AllSame},
        PolicyCase{"123456", PinPolicyViolation::Sequential},
        PolicyCase{"12345678", PinPolicyViolation::Sequential},
        PolicyCase{"987654", PinPolicyViolation::Sequential},
        PolicyCase{"3456789", PinPolicyViolation::Sequential},
        PolicyCase{"654321", PinPolicyViolation::Sequential}, PolicyCase{"135790", std::nullopt},
        PolicyCase{"123457", std::nullopt}, PolicyCase{"890123", std::nullopt},  // no wrap-around past 9
        PolicyCase{"112233", std::nullopt}, PolicyCase{"20240607", std::nullopt},
        PolicyCase{"0123450", std::nullopt}));

TEST(PinPolicy, EnforceThrowsTypedViolation) {
    try {
        enforcePinPolicy(Secret(std::string_view("987654")));
        FAIL() << "no exception";
    } catch (const PinPolicyError& e) {
        EXPECT_EQ(e.violation(), PinPolicyViolation::Sequential);
        EXPECT_EQ(e.code(), CardErrorCode::PinPolicy);
    }
    EXPECT_NO_THROW(enforcePinPolicy(Secret(std::string_view("258014"))));
}

TEST(PinPolicy, ViolationIsAnInputError) {
    EXPECT_THROW(enforcePinPolicy(Secret(std::string_view("1"))), InputError);
}

}  // namespace
}  // namespace cardbridge::card
