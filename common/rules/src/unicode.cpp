#include "unicode.hpp"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <cstdint>

#include "cardbridge/common/error.hpp"

namespace cardbridge::rules::detail {

std::optional<std::u32string> decodeUtf8(std::string_view utf8) {
    std::u32string out;
    out.reserve(utf8.size());
    std::size_t i = 0;
    while (i < utf8.size()) {
        const auto b0 = static_cast<std::uint8_t>(utf8[i]);
        std::size_t len = 0;
        char32_t cp = 0;
        char32_t min = 0;
        if (b0 < 0x80) {
            len = 1;
            cp = b0;
        } else if ((b0 & 0xE0U) == 0xC0U) {
            len = 2;
            cp = b0 & 0x1FU;
            min = 0x80;
        } else if ((b0 & 0xF0U) == 0xE0U) {
            len = 3;
            cp = b0 & 0x0FU;
            min = 0x800;
        } else if ((b0 & 0xF8U) == 0xF0U) {
            len = 4;
            cp = b0 & 0x07U;
            min = 0x10000;
        } else {
            return std::nullopt;
        }
        if (i + len > utf8.size()) return std::nullopt;
        for (std::size_t k = 1; k < len; ++k) {
            const auto b = static_cast<std::uint8_t>(utf8[i + k]);
            if ((b & 0xC0U) != 0x80U) return std::nullopt;
            cp = (cp << 6U) | (b & 0x3FU);
        }
        // Overlong forms, UTF-16 surrogates and values beyond U+10FFFF are not UTF-8 (RFC 3629).
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
        out.push_back(cp);
        i += len;
    }
    return out;
}

std::string encodeUtf8(std::u32string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char32_t cp : text) {
        if (cp < 0x80) {
            out.push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
            out.push_back(static_cast<char>(0xC0U | (cp >> 6U)));
            out.push_back(static_cast<char>(0x80U | (cp & 0x3FU)));
        } else if (cp < 0x10000) {
            out.push_back(static_cast<char>(0xE0U | (cp >> 12U)));
            out.push_back(static_cast<char>(0x80U | ((cp >> 6U) & 0x3FU)));
            out.push_back(static_cast<char>(0x80U | (cp & 0x3FU)));
        } else {
            out.push_back(static_cast<char>(0xF0U | (cp >> 18U)));
            out.push_back(static_cast<char>(0x80U | ((cp >> 12U) & 0x3FU)));
            out.push_back(static_cast<char>(0x80U | ((cp >> 6U) & 0x3FU)));
            out.push_back(static_cast<char>(0x80U | (cp & 0x3FU)));
        }
    }
    return out;
}

std::u32string toNfc(const std::u32string& text) {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
    if (U_FAILURE(status) || nfc == nullptr) throw FatalError("ICU: no NFC normaliser");
    const auto source = icu::UnicodeString::fromUTF32(reinterpret_cast<const UChar32*>(text.data()),
                                                      static_cast<std::int32_t>(text.size()));
    const icu::UnicodeString normalized = nfc->normalize(source, status);
    if (U_FAILURE(status)) throw FatalError("ICU: NFC normalisation failed");
    std::u32string out(static_cast<std::size_t>(normalized.countChar32()), U'\0');
    status = U_ZERO_ERROR;
    const std::int32_t written = normalized.toUTF32(reinterpret_cast<UChar32*>(out.data()),
                                                    static_cast<std::int32_t>(out.size()), status);
    if (U_FAILURE(status) && status != U_STRING_NOT_TERMINATED_WARNING) {
        throw FatalError("ICU: UTF-32 conversion failed");
    }
    out.resize(static_cast<std::size_t>(written));
    return out;
}

bool isSpace(char32_t c) noexcept {
    return c == 0x200B || c == 0xFEFF || u_isUWhiteSpace(static_cast<UChar32>(c)) != 0;
}

bool isOtherCategory(char32_t c) noexcept {
    const auto mask = U_GET_GC_MASK(static_cast<UChar32>(c));
    return (mask & U_GC_C_MASK) != 0;
}

bool isLetterOrMark(char32_t c) noexcept {
    const auto mask = U_GET_GC_MASK(static_cast<UChar32>(c));
    return (mask & (U_GC_L_MASK | U_GC_M_MASK)) != 0;
}

std::u32string normalizeSpacesNfc(const std::u32string& text) {
    const std::u32string nfc = toNfc(text);
    std::u32string out;
    out.reserve(nfc.size());
    bool pendingSpace = false;
    for (const char32_t c : nfc) {
        if (isSpace(c)) {
            pendingSpace = !out.empty();
            continue;
        }
        if (pendingSpace) out.push_back(U' ');
        pendingSpace = false;
        out.push_back(c);
    }
    return out;
}

}  // namespace cardbridge::rules::detail
