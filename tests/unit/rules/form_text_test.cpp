// 机构名称 and 经办人姓名: trimming, NFC, full-width folding, middle dots, lengths in code points.
#include <gtest/gtest.h>

#include <string>

#include "cardbridge/rules/form.hpp"

namespace cardbridge::rules {
namespace {

std::string repeat(std::string_view unit, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += unit;
    return out;
}

TEST(Organization, FullWidthBracketsEqualHalfWidth) {
    EXPECT_TRUE(
        sameOrganization("深圳市某某科技有限公司（南山分公司）", "深圳市某某科技有限公司(南山分公司)"));
    EXPECT_EQ(*organizationKey("某公司（深圳）"), "某公司(深圳)");
    EXPECT_FALSE(sameOrganization("某公司(深圳)", "某公司(广州)"));
}

TEST(Organization, FullWidthAsciiAndSpacesAreFolded) {
    EXPECT_TRUE(sameOrganization("ＡＢＣ　科技  有限公司", " ABC 科技 有限公司 "));
    // Case is not folded: "ABC" and "abc" are different registered names.
    EXPECT_FALSE(sameOrganization("ABC有限公司", "abc有限公司"));
}

TEST(Organization, DisplayFormKeepsOfficialBrackets) {
    const auto r = checkOrganization("  深圳市某某科技有限公司（南山分公司） \t");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value, "深圳市某某科技有限公司（南山分公司）");
}

TEST(Organization, LengthIsCountedInCodePoints) {
    // 100 Chinese characters are 300 bytes but 100 characters: accepted.
    EXPECT_TRUE(checkOrganization(repeat("中", 100)).ok());
    EXPECT_EQ(checkOrganization(repeat("中", 101)).error, ErrorCode::Length);
    EXPECT_TRUE(checkOrganization("中国").ok());
    EXPECT_EQ(checkOrganization(" 中 ").error, ErrorCode::Length);
    EXPECT_EQ(checkOrganization("   \u3000 ").error, ErrorCode::Required);
    EXPECT_EQ(codePointCount("中a"), 2U);
}

TEST(Organization, ControlCharactersAndBadUtf8AreFormat) {
    EXPECT_EQ(checkOrganization("某某\x01公司").error, ErrorCode::Format);
    EXPECT_EQ(checkOrganization("某某\xE4\xB8公司").error, ErrorCode::Format);  // truncated sequence
    EXPECT_EQ(checkOrganization("\xC0\xAF\xC0\xAF").error, ErrorCode::Format);  // overlong '/'
    EXPECT_EQ(codePointCount("\xED\xA0\x80"), std::nullopt);                    // UTF-16 surrogate
}

TEST(Name, NfcMakesDecomposedAccentsEqual) {
    // "e" + U+0301 COMBINING ACUTE ACCENT equals U+00E9 "é".
    EXPECT_TRUE(sameName("Rene\u0301 Dupont", "Ren\u00e9 Dupont"));
    EXPECT_EQ(*normalizeName("Rene\u0301"), "Ren\u00e9");
    EXPECT_EQ(codePointCount(*normalizeName("e\u0301")), 1U);
    EXPECT_FALSE(sameName("Rene Dupont", "Ren\u00e9 Dupont"));
}

TEST(Name, MiddleDotLookAlikesBecomeU00B7) {
    const std::string canonical = "买买提\u00b7艾力";
    for (const char* lookAlike :
         {"\u2022", "\u30fb", "\uff65", "\u2027", "\u2219", "\u22c5", "\uff0e", "\u0387"}) {
        const std::string name = std::string("买买提") + lookAlike + "艾力";
        EXPECT_EQ(*normalizeName(name), canonical) << lookAlike;
        EXPECT_TRUE(checkName(name).ok());
    }
    // ASCII '.' is kept: it is real punctuation in Latin names.
    EXPECT_EQ(*normalizeName("John F. Smith"), "John F. Smith");
    EXPECT_FALSE(sameName("买买提.艾力", canonical));
}

TEST(Name, TrimmedAndLengthChecked) {
    const auto r = checkName("  张三 ");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value, "张三");
    EXPECT_TRUE(checkName("张").ok());
    EXPECT_TRUE(checkName(repeat("张", 50)).ok());
    EXPECT_EQ(checkName(repeat("张", 51)).error, ErrorCode::Length);
    EXPECT_EQ(checkName(" \u3000 ").error, ErrorCode::Required);
}

TEST(Name, DigitsSymbolsAndControlsAreFormat) {
    EXPECT_EQ(checkName("张三1").error, ErrorCode::Format);
    EXPECT_EQ(checkName("张三<script>").error, ErrorCode::Format);
    EXPECT_EQ(checkName("张\u200e三").error, ErrorCode::Format);  // LEFT-TO-RIGHT MARK (Cf)
    EXPECT_TRUE(checkName("Mary-Jane O'Neil").ok());
    EXPECT_TRUE(checkName("Anne-Marie O\u2019Connor").ok());
}

}  // namespace
}  // namespace cardbridge::rules
