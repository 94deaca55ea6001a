// Internal: strict UTF-8 decoding/encoding and ICU NFC, the only place ICU is used.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cardbridge::rules::detail {

/// Code points of strictly valid UTF-8 (no overlongs, surrogates or values > U+10FFFF); nullopt otherwise.
std::optional<std::u32string> decodeUtf8(std::string_view utf8);

/// UTF-8 of valid code points.
std::string encodeUtf8(std::u32string_view text);

/// Unicode NFC (ICU Normalizer2::getNFCInstance). Throws FatalError if ICU fails.
std::u32string toNfc(const std::u32string& text);

/// White space to trim and collapse: Unicode White_Space plus ZERO WIDTH SPACE and BOM.
bool isSpace(char32_t c) noexcept;

/// Control, format, unassigned, private-use or surrogate code point (general category C*).
bool isOtherCategory(char32_t c) noexcept;

/// Letter (L*) or combining mark (M*).
bool isLetterOrMark(char32_t c) noexcept;

/// NFC, trim, collapse white-space runs to one U+0020.
std::u32string normalizeSpacesNfc(const std::u32string& text);

}  // namespace cardbridge::rules::detail
