// ID numbers, permits, passports, phones and USCC codes (GB 11643-1999, GB 32100-2015).
#include <gtest/gtest.h>

#include <array>
#include <cctype>
#include <string>

#include "cardbridge/rules/form.hpp"

namespace cardbridge::rules {
namespace {

using namespace std::chrono_literals;
constexpr std::chrono::year_month_day TODAY{std::chrono::year{2025}, std::chrono::October,
                                            std::chrono::day{15}};

// Independent MOD 11-2 (GB 11643-1999): weights are 2^(17-i) mod 11, check = (12 - Σ mod 11) mod 11,
// with 10 written as X.
char mod112(const std::string& first17) {
    int sum = 0;
    for (std::size_t i = 0; i < 17; ++i) {
        int weight = 1;
        for (std::size_t k = 0; k < 17 - i; ++k) weight = weight * 2 % 11;
        sum += (first17[i] - '0') * weight;
    }
    const int check = (12 - sum % 11) % 11;
    return check == 10 ? 'X' : static_cast<char>('0' + check);
}

std::string withCheck(const std::string& first17) {
    return first17 + mod112(first17);
}

// Independent GB 32100-2015 check: weights 3^i mod 31.
constexpr std::string_view USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
char usccCheck(const std::string& first17) {
    int sum = 0;
    int weight = 1;
    for (std::size_t i = 0; i < 17; ++i) {
        sum += static_cast<int>(USCC_ALPHABET.find(first17[i])) * weight;
        weight = weight * 3 % 31;
    }
    return USCC_ALPHABET[static_cast<std::size_t>((31 - sum % 31) % 31)];
}

std::optional<ErrorCode> idError(IdType type, std::string_view text) {
    return checkIdNumber(type, text, TODAY).error;
}

TEST(ResidentId, PublishedExampleWithXIsValid) {
    // GB 11643-1999's classic example number (Beijing Chaoyang, born 1949-12-31, check X).
    const auto r = checkIdNumber(IdType::ResidentId, "11010519491231002X", TODAY);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value, "11010519491231002X");
    EXPECT_EQ(gb11643CheckChar("11010519491231002"), 'X');
}

TEST(ResidentId, LowerCaseXIsAcceptedAndUpperCased) {
    const auto r = checkIdNumber(IdType::ResidentId, "11010519491231002x", TODAY);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value, "11010519491231002X");
}

TEST(ResidentId, GeneratedNumbersAgreeWithIndependentCheck) {
    int checked = 0;
    for (const char* stem : {"44030519900101123", "11010520000101001", "65010219851231555",
                             "31011520240229007", "53250119700606888", "21010219601010010"}) {
        const std::string id = withCheck(stem);
        EXPECT_EQ(gb11643CheckChar(stem), id[17]) << stem;
        EXPECT_TRUE(checkIdNumber(IdType::ResidentId, id, TODAY).ok()) << id;
        // Every other check character must be refused.
        for (char c : std::string("0123456789X")) {
            if (c == id[17]) continue;
            EXPECT_EQ(idError(IdType::ResidentId, id.substr(0, 17) + c), ErrorCode::Checksum) << id << c;
            ++checked;
        }
    }
    EXPECT_EQ(checked, 60);
}

TEST(ResidentId, FullWidthDigitsAndSpacesAreNormalised) {
    const std::string id = withCheck("11010520000101001");
    // "４４０３ ０５１９ ..." typed in a full-width IME.
    std::string fullWidth;
    for (std::size_t i = 0; i < id.size(); ++i) {
        if (i == 4 || i == 10) fullWidth += ' ';
        const char c = id[i];
        fullWidth += "\xEF\xBC";
        fullWidth += static_cast<char>(0x90 + (c - '0'));  // U+FF10.. = EF BC 90..
    }
    ASSERT_NE(id[17], 'X');
    const auto r = checkIdNumber(IdType::ResidentId, fullWidth, TODAY);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value, id);
}

TEST(ResidentId, ImpossibleDateIsRefused) {
    EXPECT_EQ(idError(IdType::ResidentId, withCheck("11010519990230123")), ErrorCode::Date);  // 1999-02-30
    EXPECT_EQ(idError(IdType::ResidentId, withCheck("11010519991301123")), ErrorCode::Date);  // month 13
    EXPECT_EQ(idError(IdType::ResidentId, withCheck("11010520230229123")),
              ErrorCode::Date);  // not a leap year
    EXPECT_TRUE(checkIdNumber(IdType::ResidentId, withCheck("11010520240229123"), TODAY).ok());
}

TEST(ResidentId, FutureBirthDateIsRefusedTodayIsAccepted) {
    EXPECT_EQ(idError(IdType::ResidentId, withCheck("11010520251016123")), ErrorCode::Date);
    EXPECT_TRUE(checkIdNumber(IdType::ResidentId, withCheck("11010520251015123"), TODAY).ok());
}

TEST(ResidentId, UnknownProvinceIsRefused) {
    EXPECT_EQ(idError(IdType::ResidentId, withCheck("99010519900101123")), ErrorCode::Region);
    EXPECT_EQ(idError(IdType::ResidentId, withCheck("10010519900101123")), ErrorCode::Region);
    EXPECT_EQ(idError(IdType::ResidentId, withCheck("81000019900101123")), ErrorCode::Region);
    // An abolished county code keeps its province: only the province is validated.
    EXPECT_TRUE(checkIdNumber(IdType::ResidentId, withCheck("44039919900101123"), TODAY).ok());
    EXPECT_TRUE(isMainlandProvinceCode(65));
    EXPECT_FALSE(isMainlandProvinceCode(71));
}

TEST(ResidentId, WrongShapeIsFormat) {
    EXPECT_EQ(idError(IdType::ResidentId, "11010519491231002"), ErrorCode::Format);    // 17
    EXPECT_EQ(idError(IdType::ResidentId, "110105194912310021X"), ErrorCode::Format);  // 19
    EXPECT_EQ(idError(IdType::ResidentId, "110105491231002"), ErrorCode::Format);      // old 15-digit
    EXPECT_EQ(idError(IdType::ResidentId, "1101051949123100X2"), ErrorCode::Format);
    EXPECT_EQ(idError(IdType::ResidentId, "11010519491231002Y"), ErrorCode::Format);
    EXPECT_EQ(idError(IdType::ResidentId, "   "), ErrorCode::Required);
}

TEST(ResidencePermit, HongKongMacaoTaiwanPrefixes) {
    for (const char* region : {"810000", "820000", "830000"}) {
        const std::string id = withCheck(std::string(region) + "19800101001");
        EXPECT_TRUE(checkIdNumber(IdType::HmtResidencePermit, id, TODAY).ok()) << id;
    }
    EXPECT_EQ(idError(IdType::HmtResidencePermit, withCheck("81010019800101001")), ErrorCode::Region);
    EXPECT_EQ(idError(IdType::HmtResidencePermit, withCheck("11010519800101001")), ErrorCode::Region);
    EXPECT_EQ(idError(IdType::HmtResidencePermit, withCheck("81000019800230001")), ErrorCode::Date);
    const std::string good = withCheck("81000019800101001");
    EXPECT_EQ(idError(IdType::HmtResidencePermit, good.substr(0, 17) + (good[17] == '0' ? '1' : '0')),
              ErrorCode::Checksum);
}

TEST(Permits, HongKongMacao) {
    EXPECT_TRUE(checkIdNumber(IdType::HkMacaoPermit, "H12345678", TODAY).ok());
    EXPECT_TRUE(checkIdNumber(IdType::HkMacaoPermit, "M1234567801", TODAY).ok());
    EXPECT_EQ(checkIdNumber(IdType::HkMacaoPermit, "h12345678", TODAY).value, "H12345678");
    EXPECT_EQ(idError(IdType::HkMacaoPermit, "A12345678"), ErrorCode::Format);
    EXPECT_EQ(idError(IdType::HkMacaoPermit, "H1234567"), ErrorCode::Format);
    EXPECT_EQ(idError(IdType::HkMacaoPermit, "H123456789"), ErrorCode::Format);  // 9 digits
    EXPECT_EQ(idError(IdType::HkMacaoPermit, "H123456789012"), ErrorCode::Format);
}

TEST(Permits, Taiwan) {
    EXPECT_TRUE(checkIdNumber(IdType::TaiwanPermit, "12345678", TODAY).ok());
    EXPECT_EQ(idError(IdType::TaiwanPermit, "1234567"), ErrorCode::Format);
    EXPECT_EQ(idError(IdType::TaiwanPermit, "123456789"), ErrorCode::Format);
    EXPECT_EQ(idError(IdType::TaiwanPermit, "T2345678"), ErrorCode::Format);
}

TEST(ForeignPermanentResident, Format2023WithCheck) {
    const std::string id = withCheck("91560000200001011");
    EXPECT_TRUE(checkIdNumber(IdType::ForeignPermanentResident, id, TODAY).ok());
    EXPECT_EQ(idError(IdType::ForeignPermanentResident, id.substr(0, 17) + (id[17] == '5' ? '6' : '5')),
              ErrorCode::Checksum);
    // 18 digits not starting with 9 is not the 2023 format.
    EXPECT_EQ(idError(IdType::ForeignPermanentResident, withCheck("81560000200001011")), ErrorCode::Format);
}

TEST(ForeignPermanentResident, Format2017) {
    const auto r = checkIdNumber(IdType::ForeignPermanentResident, "usa310112345678", TODAY);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value, "USA310112345678");
    EXPECT_EQ(idError(IdType::ForeignPermanentResident, "US3101123456789"), ErrorCode::Format);
    EXPECT_EQ(idError(IdType::ForeignPermanentResident, "USA31011234567"), ErrorCode::Format);
}

TEST(Passport, LettersAndDigitsFiveToSeventeen) {
    EXPECT_TRUE(checkIdNumber(IdType::Passport, "E12345678", TODAY).ok());
    EXPECT_TRUE(checkIdNumber(IdType::Passport, "AB123", TODAY).ok());
    EXPECT_TRUE(checkIdNumber(IdType::Passport, "ABCDEFGH123456789", TODAY).ok());
    EXPECT_EQ(checkIdNumber(IdType::Passport, "e1234 5678", TODAY).value, "E12345678");
    EXPECT_EQ(idError(IdType::Passport, "AB12"), ErrorCode::Length);
    EXPECT_EQ(idError(IdType::Passport, "ABCDEFGH1234567890"), ErrorCode::Length);
    EXPECT_EQ(idError(IdType::Passport, "E1234-5678"), ErrorCode::Format);
    EXPECT_EQ(idError(IdType::Passport, "护照12345"), ErrorCode::Format);
}

TEST(Phone, PrefixesAndSeparatorsAreStripped) {
    for (const char* input : {"13812345678", "+8613812345678", "+86 138 1234 5678", "008613812345678",
                              "8613812345678", "138-1234-5678", " 138 1234 5678 "}) {
        const auto r = checkPhone(input);
        ASSERT_TRUE(r.ok()) << input;
        EXPECT_EQ(r.value, "13812345678") << input;
    }
}

TEST(Phone, InvalidNumbersAreRefused) {
    EXPECT_EQ(checkPhone("12812345678").error, ErrorCode::Format);   // second digit 2
    EXPECT_EQ(checkPhone("1381234567").error, ErrorCode::Format);    // 10 digits
    EXPECT_EQ(checkPhone("138123456789").error, ErrorCode::Format);  // 12 digits
    EXPECT_EQ(checkPhone("+85291234567").error, ErrorCode::Format);  // Hong Kong
    EXPECT_EQ(checkPhone("010-12345678").error, ErrorCode::Format);  // landline
    EXPECT_EQ(checkPhone("138abcd5678").error, ErrorCode::Format);
    EXPECT_EQ(checkPhone("").error, ErrorCode::Required);
}

TEST(Uscc, GeneratedCodesAgreeWithIndependentCheck) {
    for (const char* stem :
         {"91350100M000100Y4", "91110000600037341", "12100000400000624", "Y1440300MA5DXKRT0"}) {
        const std::string code = std::string(stem) + usccCheck(stem);
        EXPECT_EQ(gb32100CheckChar(stem), code[17]) << stem;
        const auto r = checkUscc(code);
        EXPECT_TRUE(r.ok()) << code;
        EXPECT_EQ(r.value, code);
        EXPECT_EQ(checkUscc(code.substr(0, 17) + (code[17] == '1' ? '2' : '1')).error, ErrorCode::Checksum);
    }
}

TEST(Uscc, RemainderZeroGivesCheckZero) {
    // Find a stem whose weighted sum is a multiple of 31: the check is then (31 − 0) mod 31 = 0 → '0',
    // not the out-of-range index 31.
    std::string stem = "9144030000000000";
    std::string found;
    for (char c : USCC_ALPHABET) {
        if (usccCheck(stem + c) == '0') {
            found = stem + c;
            break;
        }
    }
    ASSERT_FALSE(found.empty());
    EXPECT_EQ(gb32100CheckChar(found), '0');
    EXPECT_TRUE(checkUscc(found + "0").ok());
    EXPECT_EQ(checkUscc(found + "Y").error, ErrorCode::Checksum);
}

TEST(Uscc, ForbiddenLettersAndShapes) {
    const std::string stem = "91350100M000100Y4";
    const std::string good = stem + usccCheck(stem);
    for (char bad : std::string("IOSVZ")) {
        std::string code = good;
        code[10] = bad;
        EXPECT_EQ(checkUscc(code).error, ErrorCode::Format) << bad;
    }
    EXPECT_EQ(checkUscc(good.substr(0, 17)).error, ErrorCode::Format);
    EXPECT_EQ(checkUscc("").error, ErrorCode::Required);
    // Lower case is accepted and upper-cased.
    std::string lower = good;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(checkUscc(lower).value, good);
}

TEST(Masking, PhoneAndIdNumbers) {
    EXPECT_EQ(maskPhone("13812345678"), "138****5678");
    EXPECT_EQ(maskIdNumber("440305199001011234"), "4403**********1234");
    EXPECT_EQ(maskIdNumber("11010519491231002X"), "1101**********002X");
    EXPECT_EQ(maskIdNumber("12345678"), "****5678");  // Taiwan permit: nothing but the last four
    EXPECT_EQ(maskIdNumber("E12345678"), "*****5678");
    EXPECT_EQ(maskIdNumber("ABCD"), "****");
    EXPECT_EQ(lastFour("440305199001011234"), "1234");
    EXPECT_EQ(lastFour("11010519491231002X"), "002X");
    EXPECT_EQ(lastFour("AB1"), "AB1");
}

}  // namespace
}  // namespace cardbridge::rules
