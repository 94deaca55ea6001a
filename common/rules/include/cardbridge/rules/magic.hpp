// Attachment type by magic bytes (never by the file name), and the size limit.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "cardbridge/common/bytes.hpp"

namespace cardbridge::rules {

/// Largest accepted attachment: 1024 KB = 1,048,576 bytes, inclusive (a file of exactly 1,048,576 bytes
/// is accepted; DESIGN.md §5 says "≤ 1024 KB").
inline constexpr std::size_t MAX_ATTACHMENT_BYTES = 1048576;

/// True if an attachment of `size` bytes is within the limit (1 ≤ size ≤ MAX_ATTACHMENT_BYTES).
constexpr bool attachmentSizeAllowed(std::size_t size) noexcept {
    return size > 0 && size <= MAX_ATTACHMENT_BYTES;
}

/// The MIME type decided by the leading bytes: "image/jpeg" (FF D8 FF), "image/png"
/// (89 50 4E 47 0D 0A 1A 0A), "image/gif" (GIF87a / GIF89a), "image/bmp" ("BM" plus a plausible
/// BITMAPFILEHEADER: file size field within the content, known DIB header size, pixel offset after the
/// headers), "application/pdf" (%PDF- at offset 0); nullopt for anything else, including truncated headers.
std::optional<std::string_view> detectMimeType(ByteView content) noexcept;

/// The usual file extension for a MIME type returned by detectMimeType ("jpg", "png", "gif", "bmp",
/// "pdf"); empty for anything else.
std::string_view extensionForMimeType(std::string_view mimeType) noexcept;

}  // namespace cardbridge::rules
