#include "cardbridge/daemon/unlock/attachment.hpp"

#include <algorithm>
#include <array>

namespace cardbridge::daemon::unlock {

bool isAttachmentKind(std::string_view kind) noexcept {
    return kind == "application_form" || kind == "business_license" || kind == "handler_id";
}

std::optional<std::string> sniffAttachmentType(ByteView bytes) noexcept {
    struct Magic {
        std::string_view prefix;
        const char* type;
    };
    static constexpr std::array<Magic, 6> MAGIC{{
        {"\xFF\xD8\xFF", "image/jpeg"},
        {"\x89PNG\r\n\x1A\n", "image/png"},
        {"GIF87a", "image/gif"},
        {"GIF89a", "image/gif"},
        {"BM", "image/bmp"},
        {"%PDF-", "application/pdf"},
    }};
    for (const Magic& m : MAGIC) {
        if (bytes.size() < m.prefix.size()) continue;
        if (std::equal(m.prefix.begin(), m.prefix.end(), bytes.begin(),
                       [](char a, std::uint8_t b) { return static_cast<std::uint8_t>(a) == b; })) {
            return std::string(m.type);
        }
    }
    return std::nullopt;
}

}  // namespace cardbridge::daemon::unlock
