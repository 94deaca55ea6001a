#include "cardbridge/rules/form.hpp"

#include <algorithm>
#include <cstdint>

#include "unicode.hpp"

namespace cardbridge::rules {
namespace {

using detail::decodeUtf8;
using detail::encodeUtf8;
using std::chrono::day;
using std::chrono::month;
using std::chrono::year;
using std::chrono::year_month_day;

constexpr char32_t MIDDLE_DOT = 0x00B7;

struct IdTypeInfo {
    IdType type;
    std::string_view name;
    std::string_view code;
};

constexpr std::array<IdTypeInfo, 6> ID_TYPES = {{
    {IdType::ResidentId, "居民身份证", "resident_id"},
    {IdType::HkMacaoPermit, "港澳居民来往内地通行证", "hk_macao_permit"},
    {IdType::TaiwanPermit, "台湾居民来往大陆通行证", "taiwan_permit"},
    {IdType::Passport, "护照", "passport"},
    {IdType::ForeignPermanentResident, "外国人永久居留身份证", "foreign_permanent_resident"},
    {IdType::HmtResidencePermit, "港澳台居民居住证", "hmt_residence_permit"},
}};

const IdTypeInfo& infoOf(IdType type) noexcept {
    for (const auto& info : ID_TYPES) {
        if (info.type == type) return info;
    }
    return ID_TYPES[0];
}

// Full-width ASCII block U+FF01–U+FF5E maps to U+0021–U+007E; U+3000 IDEOGRAPHIC SPACE to a space.
char32_t foldFullWidth(char32_t c) noexcept {
    if (c >= 0xFF01 && c <= 0xFF5E) return c - 0xFF01 + 0x21;
    if (c == 0x3000) return U' ';
    return c;
}

// Separators people type between the parts of a name instead of U+00B7 MIDDLE DOT (the character the
// Ministry of Public Security prints on ID cards, e.g. 买买提·艾力). U+0387 GREEK ANO TELEIA is already
// mapped to U+00B7 by NFC. ASCII '.' is kept: it is real punctuation in Latin names ("John F. Smith").
bool isMiddleDotLookAlike(char32_t c) noexcept {
    switch (c) {
        case 0x2022:  // BULLET
        case 0x2027:  // HYPHENATION POINT
        case 0x2219:  // BULLET OPERATOR
        case 0x22C5:  // DOT OPERATOR
        case 0x30FB:  // KATAKANA MIDDLE DOT (Japanese IMEs)
        case 0xFF65:  // HALFWIDTH KATAKANA MIDDLE DOT
        case 0xFF0E:  // FULLWIDTH FULL STOP (Chinese IMEs in full-width mode); no name holds a full stop
            return true;
        default:
            return false;
    }
}

bool isDigit(char c) noexcept {
    return c >= '0' && c <= '9';
}
bool isUpper(char c) noexcept {
    return c >= 'A' && c <= 'Z';
}
bool allDigits(std::string_view s) noexcept {
    return std::all_of(s.begin(), s.end(), isDigit);
}

FieldResult fail(ErrorCode code) {
    return FieldResult{{}, code};
}
FieldResult pass(std::string value) {
    return FieldResult{std::move(value), std::nullopt};
}

// Identifier text: full-width ASCII folded, white space removed, ASCII letters upper-cased. nullopt when
// anything but ASCII remains (or the UTF-8 is invalid).
std::optional<std::string> identifierText(std::string_view text) {
    const auto decoded = decodeUtf8(text);
    if (!decoded) return std::nullopt;
    std::string out;
    for (char32_t c : *decoded) {
        c = foldFullWidth(c);
        if (detail::isSpace(c)) continue;
        if (c >= 0x80) return std::nullopt;
        auto ch = static_cast<char>(c);
        if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
        out.push_back(ch);
    }
    return out;
}

int twoDigits(std::string_view s) noexcept {
    return (s[0] - '0') * 10 + (s[1] - '0');
}

// GB 11643-1999 layout shared by 居民身份证 and 港澳台居民居住证: 6-digit region, YYYYMMDD, 3-digit
// sequence, MOD 11-2 check character. `mainland` selects the region rule.
FieldResult checkGb11643(const std::string& id, bool mainland, year_month_day today) {
    if (id.size() != 18 || !allDigits(std::string_view(id).substr(0, 17)) ||
        !(isDigit(id[17]) || id[17] == 'X')) {
        return fail(ErrorCode::Format);
    }
    if (mainland) {
        if (!isMainlandProvinceCode(twoDigits(id))) return fail(ErrorCode::Region);
    } else {
        // 港澳台居民居住证: 810000 Hong Kong, 820000 Macao, 830000 Taiwan.
        const std::string_view region = std::string_view(id).substr(0, 6);
        if (region != "810000" && region != "820000" && region != "830000") return fail(ErrorCode::Region);
    }
    const auto number = [&](std::size_t pos, std::size_t len) {
        int v = 0;
        for (std::size_t i = pos; i < pos + len; ++i) v = v * 10 + (id[i] - '0');
        return v;
    };
    const year_month_day birth{year{number(6, 4)}, month{static_cast<unsigned>(number(10, 2))},
                               day{static_cast<unsigned>(number(12, 2))}};
    if (!birth.ok() || birth > today) return fail(ErrorCode::Date);
    if (gb11643CheckChar(std::string_view(id).substr(0, 17)) != id[17]) return fail(ErrorCode::Checksum);
    return pass(id);
}

constexpr std::string_view USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY";

}  // namespace

std::string_view errorCodeName(ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::Required:
            return "required";
        case ErrorCode::Length:
            return "length";
        case ErrorCode::Format:
            return "format";
        case ErrorCode::Checksum:
            return "checksum";
        case ErrorCode::Date:
            return "date";
        case ErrorCode::Region:
            return "region";
        case ErrorCode::UnknownType:
            return "unknown_type";
    }
    return "format";
}

std::string_view idTypeName(IdType type) noexcept {
    return infoOf(type).name;
}

std::string_view idTypeCode(IdType type) noexcept {
    return infoOf(type).code;
}

std::optional<IdType> parseIdType(std::string_view text) {
    const auto normalized = normalizeText(text);
    if (!normalized) return std::nullopt;
    for (const auto& info : ID_TYPES) {
        if (*normalized == info.name || *normalized == info.code) return info.type;
    }
    return std::nullopt;
}

std::optional<std::size_t> codePointCount(std::string_view utf8) {
    const auto decoded = decodeUtf8(utf8);
    if (!decoded) return std::nullopt;
    return decoded->size();
}

std::optional<std::string> normalizeText(std::string_view utf8) {
    const auto decoded = decodeUtf8(utf8);
    if (!decoded) return std::nullopt;
    return encodeUtf8(detail::normalizeSpacesNfc(*decoded));
}

std::optional<std::string> normalizeOrganization(std::string_view utf8) {
    return normalizeText(utf8);
}

std::optional<std::string> organizationKey(std::string_view utf8) {
    const auto decoded = decodeUtf8(utf8);
    if (!decoded) return std::nullopt;
    std::u32string folded = *decoded;
    for (char32_t& c : folded) c = foldFullWidth(c);
    // Folding may create new white-space runs (U+3000), so collapse after it.
    return encodeUtf8(detail::normalizeSpacesNfc(folded));
}

std::optional<std::string> normalizeName(std::string_view utf8) {
    const auto decoded = decodeUtf8(utf8);
    if (!decoded) return std::nullopt;
    std::u32string text = detail::normalizeSpacesNfc(*decoded);
    for (char32_t& c : text) {
        if (isMiddleDotLookAlike(c)) c = MIDDLE_DOT;
    }
    return encodeUtf8(text);
}

bool sameOrganization(std::string_view a, std::string_view b) {
    const auto ka = organizationKey(a);
    const auto kb = organizationKey(b);
    return ka && kb && *ka == *kb;
}

bool sameName(std::string_view a, std::string_view b) {
    const auto na = normalizeName(a);
    const auto nb = normalizeName(b);
    return na && nb && *na == *nb;
}

FieldResult checkOrganization(std::string_view text) {
    const auto normalized = normalizeOrganization(text);
    if (!normalized) return fail(ErrorCode::Format);
    if (normalized->empty()) return fail(ErrorCode::Required);
    const auto points = *decodeUtf8(*normalized);
    if (std::any_of(points.begin(), points.end(), detail::isOtherCategory)) return fail(ErrorCode::Format);
    if (points.size() < 2 || points.size() > 100) return fail(ErrorCode::Length);
    return pass(*normalized);
}

FieldResult checkName(std::string_view text) {
    const auto normalized = normalizeName(text);
    if (!normalized) return fail(ErrorCode::Format);
    if (normalized->empty()) return fail(ErrorCode::Required);
    const auto points = *decodeUtf8(*normalized);
    const auto allowed = [](char32_t c) {
        return detail::isLetterOrMark(c) || c == U' ' || c == MIDDLE_DOT || c == U'-' || c == U'\'' ||
               c == 0x2019 || c == U'.';
    };
    if (!std::all_of(points.begin(), points.end(), allowed)) return fail(ErrorCode::Format);
    if (points.size() > 50) return fail(ErrorCode::Length);
    return pass(*normalized);
}

FieldResult checkIdNumber(IdType type, std::string_view text, year_month_day today) {
    const auto id = identifierText(text);
    if (!id) return fail(ErrorCode::Format);
    if (id->empty()) return fail(ErrorCode::Required);
    const std::string& s = *id;
    switch (type) {
        case IdType::ResidentId:
            return checkGb11643(s, true, today);
        case IdType::HmtResidencePermit:
            return checkGb11643(s, false, today);
        case IdType::HkMacaoPermit:
            // ^[HM]\d{8}(\d{2})?$
            if ((s.size() == 9 || s.size() == 11) && (s[0] == 'H' || s[0] == 'M') &&
                allDigits(std::string_view(s).substr(1))) {
                return pass(s);
            }
            return fail(ErrorCode::Format);
        case IdType::TaiwanPermit:
            // ^\d{8}$ (the 8-digit card in use since 2008)
            if (s.size() == 8 && allDigits(s)) return pass(s);
            return fail(ErrorCode::Format);
        case IdType::ForeignPermanentResident:
            // 2023 format: 18 characters starting with 9, MOD 11-2 check as GB 11643-1999.
            if (s.size() == 18 && s[0] == '9' && allDigits(std::string_view(s).substr(0, 17)) &&
                (isDigit(s[17]) || s[17] == 'X')) {
                if (gb11643CheckChar(std::string_view(s).substr(0, 17)) != s[17]) {
                    return fail(ErrorCode::Checksum);
                }
                return pass(s);
            }
            // 2017 format: 3 letters (nationality) + 12 digits.
            if (s.size() == 15 && std::all_of(s.begin(), s.begin() + 3, isUpper) &&
                allDigits(std::string_view(s).substr(3))) {
                return pass(s);
            }
            return fail(ErrorCode::Format);
        case IdType::Passport:
            // 5–17 letters/digits, no checksum.
            if (!std::all_of(s.begin(), s.end(), [](char c) { return isDigit(c) || isUpper(c); })) {
                return fail(ErrorCode::Format);
            }
            if (s.size() < 5 || s.size() > 17) return fail(ErrorCode::Length);
            return pass(s);
    }
    return fail(ErrorCode::UnknownType);
}

FieldResult checkPhone(std::string_view text) {
    const auto decoded = decodeUtf8(text);
    if (!decoded) return fail(ErrorCode::Format);
    std::string digits;
    for (char32_t c : *decoded) {
        c = foldFullWidth(c);
        if (detail::isSpace(c) || c == U'-') continue;
        if (c >= 0x80) return fail(ErrorCode::Format);
        digits.push_back(static_cast<char>(c));
    }
    if (digits.empty()) return fail(ErrorCode::Required);
    std::string_view s = digits;
    if (s.starts_with("+86")) {
        s.remove_prefix(3);
    } else if (s.starts_with("0086")) {
        s.remove_prefix(4);
    } else if (s.size() == 13 && s.starts_with("86")) {
        s.remove_prefix(2);
    }
    // ^1[3-9]\d{9}$
    if (s.size() != 11 || s[0] != '1' || s[1] < '3' || s[1] > '9' || !allDigits(s)) {
        return fail(ErrorCode::Format);
    }
    return pass(std::string(s));
}

FieldResult checkUscc(std::string_view text) {
    const auto code = identifierText(text);
    if (!code) return fail(ErrorCode::Format);
    if (code->empty()) return fail(ErrorCode::Required);
    if (code->size() != 18 || !std::all_of(code->begin(), code->end(), [](char c) {
            return USCC_ALPHABET.find(c) != std::string_view::npos;
        })) {
        return fail(ErrorCode::Format);
    }
    if (gb32100CheckChar(std::string_view(*code).substr(0, 17)) != (*code)[17])
        return fail(ErrorCode::Checksum);
    return pass(*code);
}

std::optional<char> gb11643CheckChar(std::string_view first17) {
    // GB 11643-1999 §6.2 (ISO 7064 MOD 11-2): weights 2^(18-i) mod 11.
    static constexpr std::array<int, 17> WEIGHTS = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    static constexpr std::string_view CHECK = "10X98765432";
    if (first17.size() != 17 || !allDigits(first17)) return std::nullopt;
    int sum = 0;
    for (std::size_t i = 0; i < 17; ++i) sum += (first17[i] - '0') * WEIGHTS[i];
    return CHECK[static_cast<std::size_t>(sum % 11)];
}

std::optional<char> gb32100CheckChar(std::string_view first17) {
    // GB 32100-2015 §4.3: weights 3^(i-1) mod 31; check = 31 − (Σ mod 31), where 31 maps to '0'.
    static constexpr std::array<int, 17> WEIGHTS = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                                                    29, 25, 13, 8,  24, 10, 30, 28};
    if (first17.size() != 17) return std::nullopt;
    int sum = 0;
    for (std::size_t i = 0; i < 17; ++i) {
        const auto pos = USCC_ALPHABET.find(first17[i]);
        if (pos == std::string_view::npos) return std::nullopt;
        sum += static_cast<int>(pos) * WEIGHTS[i];
    }
    return USCC_ALPHABET[static_cast<std::size_t>((31 - sum % 31) % 31)];
}

bool isMainlandProvinceCode(int code) noexcept {
    // GB/T 2260 province-level codes used in GB 11643-1999 resident IDs (31 mainland divisions).
    return (code >= 11 && code <= 15) || (code >= 21 && code <= 23) || (code >= 31 && code <= 37) ||
           (code >= 41 && code <= 46) || (code >= 50 && code <= 54) || (code >= 61 && code <= 65);
}

std::string maskPhone(std::string_view phone) {
    if (phone.size() < 8) return std::string(phone.size(), '*');
    return std::string(phone.substr(0, 3)) + std::string(phone.size() - 7, '*') +
           std::string(phone.substr(phone.size() - 4));
}

std::string maskIdNumber(std::string_view idNumber) {
    const std::size_t n = idNumber.size();
    if (n >= 12) {
        return std::string(idNumber.substr(0, 4)) + std::string(n - 8, '*') +
               std::string(idNumber.substr(n - 4));
    }
    if (n > 4) return std::string(n - 4, '*') + std::string(idNumber.substr(n - 4));
    return std::string(n, '*');
}

std::string lastFour(std::string_view idNumber) {
    return std::string(idNumber.size() <= 4 ? idNumber : idNumber.substr(idNumber.size() - 4));
}

ValidatedHandler validateHandler(const HandlerForm& form, year_month_day today) {
    ValidatedHandler out;
    out.form = form;
    const auto apply = [&](std::string_view field, const FieldResult& result, std::string& target) {
        if (result.ok()) {
            target = result.value;
        } else {
            out.errors.push_back(FieldError{std::string(field), *result.error});
        }
    };
    apply(FIELD_ORGANIZATION, checkOrganization(form.organization), out.form.organization);
    apply(FIELD_NAME, checkName(form.name), out.form.name);

    const auto trimmedType = normalizeText(form.idType);
    if (!trimmedType || trimmedType->empty()) {
        out.errors.push_back(FieldError{std::string(FIELD_ID_TYPE), ErrorCode::Required});
    } else if (const auto type = parseIdType(*trimmedType)) {
        out.idType = type;
        out.form.idType = std::string(idTypeName(*type));
    } else {
        out.errors.push_back(FieldError{std::string(FIELD_ID_TYPE), ErrorCode::UnknownType});
    }
    if (out.idType) {
        apply(FIELD_ID_NUMBER, checkIdNumber(*out.idType, form.idNumber, today), out.form.idNumber);
    } else if (normalizeText(form.idNumber).value_or("x").empty()) {
        // Without a valid type the number cannot be checked; only its absence is reported.
        out.errors.push_back(FieldError{std::string(FIELD_ID_NUMBER), ErrorCode::Required});
    }
    apply(FIELD_PHONE, checkPhone(form.phone), out.form.phone);
    return out;
}

}  // namespace cardbridge::rules
