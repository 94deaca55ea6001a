// validateHandler: the whole form, typed errors per field, normalised output; 证件类型 names and codes.
#include <gtest/gtest.h>

#include <algorithm>

#include "cardbridge/rules/form.hpp"

namespace cardbridge::rules {
namespace {

constexpr std::chrono::year_month_day TODAY{std::chrono::year{2025}, std::chrono::October,
                                            std::chrono::day{15}};

bool hasError(const ValidatedHandler& v, std::string_view field, ErrorCode code) {
    return std::find(v.errors.begin(), v.errors.end(), FieldError{std::string(field), code}) !=
           v.errors.end();
}

TEST(IdType, NamesAndCodesRoundTrip) {
    ASSERT_EQ(ALL_ID_TYPES.size(), 6U);
    for (IdType t : ALL_ID_TYPES) {
        EXPECT_EQ(parseIdType(idTypeName(t)), t);
        EXPECT_EQ(parseIdType(idTypeCode(t)), t);
    }
    EXPECT_EQ(idTypeName(IdType::ResidentId), "居民身份证");
    EXPECT_EQ(idTypeCode(IdType::HmtResidencePermit), "hmt_residence_permit");
    EXPECT_EQ(idTypeCode(IdType::ForeignPermanentResident), "foreign_permanent_resident");
    EXPECT_EQ(parseIdType(" 护照 "), IdType::Passport);
    EXPECT_EQ(parseIdType("驾驶证"), std::nullopt);
    EXPECT_EQ(parseIdType("RESIDENT_ID"), std::nullopt);
}

TEST(ErrorCodes, StableNames) {
    EXPECT_EQ(errorCodeName(ErrorCode::Required), "required");
    EXPECT_EQ(errorCodeName(ErrorCode::Length), "length");
    EXPECT_EQ(errorCodeName(ErrorCode::Format), "format");
    EXPECT_EQ(errorCodeName(ErrorCode::Checksum), "checksum");
    EXPECT_EQ(errorCodeName(ErrorCode::Date), "date");
    EXPECT_EQ(errorCodeName(ErrorCode::Region), "region");
    EXPECT_EQ(errorCodeName(ErrorCode::UnknownType), "unknown_type");
}

TEST(ValidateHandler, ValidFormIsNormalised) {
    const HandlerForm input{" 深圳市某某科技有限公司（南山分公司） ", " 买买提・艾力 ", "resident_id",
                            "11010519491231002x", "+86 138-1234-5678"};
    const auto v = validateHandler(input, TODAY);
    EXPECT_TRUE(v.ok());
    EXPECT_TRUE(v.errors.empty());
    EXPECT_EQ(v.idType, IdType::ResidentId);
    EXPECT_EQ(v.form.organization, "深圳市某某科技有限公司（南山分公司）");
    EXPECT_EQ(v.form.name, "买买提\u00b7艾力");
    EXPECT_EQ(v.form.idType, "居民身份证");
    EXPECT_EQ(v.form.idNumber, "11010519491231002X");
    EXPECT_EQ(v.form.phone, "13812345678");
}

TEST(ValidateHandler, EveryFieldReportsItsOwnError) {
    const HandlerForm input{"某", "", "居民身份证", "11010519491231002Y", "12345"};
    const auto v = validateHandler(input, TODAY);
    EXPECT_FALSE(v.ok());
    EXPECT_EQ(v.errors.size(), 4U);
    EXPECT_TRUE(hasError(v, FIELD_ORGANIZATION, ErrorCode::Length));
    EXPECT_TRUE(hasError(v, FIELD_NAME, ErrorCode::Required));
    EXPECT_TRUE(hasError(v, FIELD_ID_NUMBER, ErrorCode::Format));
    EXPECT_TRUE(hasError(v, FIELD_PHONE, ErrorCode::Format));
    // Refused fields keep the input as given.
    EXPECT_EQ(v.form.phone, "12345");
    EXPECT_EQ(v.errors.front().codeName(), "length");
}

TEST(ValidateHandler, UnknownAndMissingIdType) {
    HandlerForm input{"某某公司", "张三", "驾驶证", "440305199001011234", "13812345678"};
    auto v = validateHandler(input, TODAY);
    EXPECT_TRUE(hasError(v, FIELD_ID_TYPE, ErrorCode::UnknownType));
    EXPECT_EQ(v.errors.size(), 1U);
    EXPECT_FALSE(v.idType.has_value());

    input.idType = " ";
    input.idNumber = "";
    v = validateHandler(input, TODAY);
    EXPECT_TRUE(hasError(v, FIELD_ID_TYPE, ErrorCode::Required));
    EXPECT_TRUE(hasError(v, FIELD_ID_NUMBER, ErrorCode::Required));
}

TEST(ValidateHandler, BirthDateJudgedAgainstInjectedToday) {
    const HandlerForm input{"某某公司", "张三", "居民身份证",
                            "11010520251016001" + std::string(1, *gb11643CheckChar("11010520251016001")),
                            "13812345678"};
    EXPECT_TRUE(hasError(validateHandler(input, TODAY), FIELD_ID_NUMBER, ErrorCode::Date));
    const std::chrono::year_month_day later{std::chrono::year{2025}, std::chrono::October,
                                            std::chrono::day{16}};
    EXPECT_TRUE(validateHandler(input, later).ok());
}

}  // namespace
}  // namespace cardbridge::rules
