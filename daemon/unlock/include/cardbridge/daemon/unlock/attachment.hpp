// What the daemon checks of an attachment before it forwards it: its kind and, by its first bytes, its type
// (reference/domain.md "Attachments"). The authority decides again; this spares the user a useless upload.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "cardbridge/common/bytes.hpp"

namespace cardbridge::daemon::unlock {

/// The authority's limit: 1024 KB.
inline constexpr std::size_t MAX_ATTACHMENT_BYTES = 1024 * 1024;

/// True for application_form, business_license and handler_id.
[[nodiscard]] bool isAttachmentKind(std::string_view kind) noexcept;

/// The MIME type of `bytes` by magic bytes: JPEG FF D8 FF, PNG 89 50 4E 47 0D 0A 1A 0A, GIF87a/GIF89a,
/// BMP "BM", PDF "%PDF-"; nothing for anything else (also for an empty file).
[[nodiscard]] std::optional<std::string> sniffAttachmentType(ByteView bytes) noexcept;

}  // namespace cardbridge::daemon::unlock
