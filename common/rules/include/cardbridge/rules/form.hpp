// The 经办人信息 (handler) form rules of docs domain.md: pure functions that normalise each field and
// return typed field errors instead of throwing. Shared by the authority (the decision) and the web UI.
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cardbridge::rules {

/// Stable field names, as in the wire form handler{organization, name, idType, idNumber, phone}.
inline constexpr std::string_view FIELD_ORGANIZATION = "organization";
inline constexpr std::string_view FIELD_NAME = "name";
inline constexpr std::string_view FIELD_ID_TYPE = "idType";
inline constexpr std::string_view FIELD_ID_NUMBER = "idNumber";
inline constexpr std::string_view FIELD_PHONE = "phone";
inline constexpr std::string_view FIELD_USCC = "uscc";

/// Why a field was refused; the stable wire code is errorCodeName().
enum class ErrorCode {
    Required,     ///< empty after trimming
    Length,       ///< too short or too long (counted in Unicode code points)
    Format,       ///< wrong characters or shape (including invalid UTF-8)
    Checksum,     ///< the check character does not match (GB 11643-1999 / GB 32100-2015)
    Date,         ///< the birth date in an ID number is not a real date or lies in the future
    Region,       ///< the region (province) prefix of an ID number is not a valid code
    UnknownType,  ///< the 证件类型 is not one of the six accepted types
};

/// The stable ASCII code of an error: "required", "length", "format", "checksum", "date", "region",
/// "unknown_type".
std::string_view errorCodeName(ErrorCode code) noexcept;

/// One refused field.
struct FieldError {
    std::string field;  ///< one of the FIELD_* names
    ErrorCode code;
    [[nodiscard]] std::string_view codeName() const noexcept { return errorCodeName(code); }
    bool operator==(const FieldError&) const = default;
};
using FieldErrors = std::vector<FieldError>;

/// Outcome of checking one field: the canonical value when ok(), otherwise the error.
struct FieldResult {
    std::string value;
    std::optional<ErrorCode> error;
    [[nodiscard]] bool ok() const noexcept { return !error.has_value(); }
};

/// 证件类型: the six accepted identity documents.
enum class IdType {
    ResidentId,                ///< 居民身份证 (GB 11643-1999)
    HkMacaoPermit,             ///< 港澳居民来往内地通行证
    TaiwanPermit,              ///< 台湾居民来往大陆通行证
    Passport,                  ///< 护照
    ForeignPermanentResident,  ///< 外国人永久居留身份证 (2017 and 2023 formats)
    HmtResidencePermit,  ///< 港澳台居民居住证 (GB 11643-1999 layout, region 810000/820000/830000)
};

/// Every IdType, in the order the form lists them.
inline constexpr std::array<IdType, 6> ALL_ID_TYPES = {IdType::ResidentId,
                                                       IdType::HkMacaoPermit,
                                                       IdType::TaiwanPermit,
                                                       IdType::Passport,
                                                       IdType::ForeignPermanentResident,
                                                       IdType::HmtResidencePermit};

/// The Chinese name, which is the wire value (e.g. "居民身份证").
std::string_view idTypeName(IdType type) noexcept;
/// The stable ASCII code (e.g. "resident_id", "hk_macao_permit", "taiwan_permit", "passport",
/// "foreign_permanent_resident", "hmt_residence_permit").
std::string_view idTypeCode(IdType type) noexcept;
/// Parses either the Chinese name or the ASCII code (surrounding whitespace ignored); nullopt otherwise.
std::optional<IdType> parseIdType(std::string_view text);

// ---- text normalisation (UTF-8 in, UTF-8 out) ----

/// Number of Unicode code points, or nullopt if `utf8` is not valid UTF-8.
std::optional<std::size_t> codePointCount(std::string_view utf8);

/// NFC (ICU Normalizer2), then trims and collapses every run of Unicode white space to one U+0020.
/// Returns nullopt for invalid UTF-8.
std::optional<std::string> normalizeText(std::string_view utf8);

/// 机构名称 as displayed and stored: normalizeText(). Full-width brackets are kept (they are the official
/// spelling); compare with organizationKey(). nullopt for invalid UTF-8.
std::optional<std::string> normalizeOrganization(std::string_view utf8);

/// 机构名称 comparison key: normalizeOrganization() plus full-width ASCII (U+FF01–U+FF5E) folded to ASCII
/// and U+3000 to a space, so "某公司（深圳）" and "某公司(深圳)" have the same key. nullopt for invalid
/// UTF-8.
std::optional<std::string> organizationKey(std::string_view utf8);

/// 经办人姓名 as stored and compared: normalizeText() plus look-alike separators (U+2022 •, U+2027 ‧,
/// U+2219 ∙, U+22C5 ⋅, U+30FB ・, U+FF65 ･, U+FF0E ．) mapped to U+00B7 ·. nullopt for invalid UTF-8.
std::optional<std::string> normalizeName(std::string_view utf8);

/// True when two organisation names are the same after organizationKey().
bool sameOrganization(std::string_view a, std::string_view b);
/// True when two handler names are the same after normalizeName().
bool sameName(std::string_view a, std::string_view b);

// ---- single fields ----

/// 机构名称: required, 2–100 code points after normalisation, no control characters.
FieldResult checkOrganization(std::string_view text);

/// 经办人姓名: required, 1–50 code points after normalisation; letters, combining marks, spaces, `·`,
/// and the Latin-name punctuation - ' ’ . only.
FieldResult checkName(std::string_view text);

/// ID number for `type`, checked as of `today` (the caller's Asia/Shanghai date). The value is upper-cased
/// with full-width ASCII folded and spaces removed (a lower-case x check character becomes X).
FieldResult checkIdNumber(IdType type, std::string_view text, std::chrono::year_month_day today);

/// Mainland mobile number (`^1[3-9]\d{9}$`); +86 / 0086 / 86 prefixes, spaces and dashes are stripped.
/// The value is the canonical 11 digits.
FieldResult checkPhone(std::string_view text);

/// 统一社会信用代码 (GB 32100-2015): 18 characters of 0-9A-HJ-NPQRTUWXY with a valid check character.
/// The value is upper-cased.
FieldResult checkUscc(std::string_view text);

// ---- building blocks (also used by tests and the UI) ----

/// GB 11643-1999 MOD 11-2 check character for the first 17 digits ('0'–'9' or 'X'); nullopt if
/// `first17` is not 17 ASCII digits.
std::optional<char> gb11643CheckChar(std::string_view first17);

/// GB 32100-2015 check character for the first 17 characters; nullopt if `first17` is not 17 characters
/// of the code alphabet.
std::optional<char> gb32100CheckChar(std::string_view first17);

/// True if `code` (two digits) is a mainland province-level code of GB/T 2260 (11–65), as used by
/// GB 11643-1999 resident IDs.
bool isMainlandProvinceCode(int code) noexcept;

/// "138****5678" for an 11-digit number; otherwise the first 3 and last 4 characters around stars when
/// the input has at least 8 characters, else all stars.
std::string maskPhone(std::string_view phone);

/// First 4 and last 4 characters with the middle starred ("4403**********1234") when the input has at
/// least 12 characters; shorter numbers show only the last 4 (or nothing when ≤ 4 characters).
std::string maskIdNumber(std::string_view idNumber);

/// The last four characters (the whole input when shorter), for display next to a keyed hash.
std::string lastFour(std::string_view idNumber);

// ---- the whole form ----

/// The handler form as received on the wire (idType is the Chinese name or the ASCII code).
struct HandlerForm {
    std::string organization;
    std::string name;
    std::string idType;
    std::string idNumber;
    std::string phone;
    bool operator==(const HandlerForm&) const = default;
};

/// validateHandler's result: the normalised form (idType as the Chinese wire name), the parsed type and
/// every field error (at most one per field). Fields with errors keep their input unchanged.
struct ValidatedHandler {
    HandlerForm form;
    std::optional<IdType> idType;
    FieldErrors errors;
    [[nodiscard]] bool ok() const noexcept { return errors.empty(); }
};

/// Validates and normalises every field of the handler form as of `today` (Asia/Shanghai date).
ValidatedHandler validateHandler(const HandlerForm& form, std::chrono::year_month_day today);

}  // namespace cardbridge::rules
