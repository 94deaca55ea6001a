#include "cardbridge/rules/magic.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

namespace cardbridge::rules {
namespace {

bool startsWith(ByteView content, std::initializer_list<std::uint8_t> prefix) noexcept {
    return content.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), content.begin());
}

std::uint32_t le32(ByteView b, std::size_t at) noexcept {
    return std::uint32_t{b[at]} | (std::uint32_t{b[at + 1]} << 8U) | (std::uint32_t{b[at + 2]} << 16U) |
           (std::uint32_t{b[at + 3]} << 24U);
}

// BITMAPFILEHEADER (14 bytes: "BM", bfSize, 2 reserved words, bfOffBits) followed by a DIB header whose
// first field is its own size. "BM" alone is two ASCII letters any text file may start with, so the header
// must also be plausible.
bool plausibleBmp(ByteView content) noexcept {
    constexpr std::size_t FILE_HEADER = 14;
    if (content.size() < FILE_HEADER + 4 || !startsWith(content, {'B', 'M'})) return false;
    const std::uint32_t fileSize = le32(content, 2);
    const std::uint32_t pixelOffset = le32(content, 10);
    const std::uint32_t dibSize = le32(content, 14);
    // Known DIB headers: CORE (12), OS/2 v2 (16, 64), INFO (40), V2 (52), V3 (56), V4 (108), V5 (124).
    constexpr std::array<std::uint32_t, 8> DIB_SIZES = {12, 16, 40, 52, 56, 64, 108, 124};
    if (std::find(DIB_SIZES.begin(), DIB_SIZES.end(), dibSize) == DIB_SIZES.end()) return false;
    // The size field may be smaller than the content (trailing padding) but not larger (truncated file).
    if (fileSize < FILE_HEADER + dibSize || fileSize > content.size()) return false;
    return pixelOffset >= FILE_HEADER + dibSize && pixelOffset <= fileSize;
}

}  // namespace

std::optional<std::string_view> detectMimeType(ByteView content) noexcept {
    if (startsWith(content, {0xFF, 0xD8, 0xFF})) return "image/jpeg";
    if (startsWith(content, {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A})) return "image/png";
    if (startsWith(content, {'G', 'I', 'F', '8', '7', 'a'}) ||
        startsWith(content, {'G', 'I', 'F', '8', '9', 'a'})) {
        return "image/gif";
    }
    if (plausibleBmp(content)) return "image/bmp";
    // ISO 32000 lets readers find the header within the first 1024 bytes; we require it at offset 0, which
    // every conforming writer produces, so no other format can hide a PDF header further in.
    if (startsWith(content, {'%', 'P', 'D', 'F', '-'})) return "application/pdf";
    return std::nullopt;
}

std::string_view extensionForMimeType(std::string_view mimeType) noexcept {
    if (mimeType == "image/jpeg") return "jpg";
    if (mimeType == "image/png") return "png";
    if (mimeType == "image/gif") return "gif";
    if (mimeType == "image/bmp") return "bmp";
    if (mimeType == "application/pdf") return "pdf";
    return {};
}

}  // namespace cardbridge::rules
