// Attachment type by magic bytes, on both sides: the authority's rule (common/rules magic) and the daemon's
// pre-check (daemon/unlock attachment). Checked: the daemon never refuses a file the authority accepts (its
// check is a subset-free pre-filter: same type or laxer), and every type detected has an extension.
#include <cstdlib>

#include "cardbridge/daemon/unlock/attachment.hpp"
#include "cardbridge/rules/magic.hpp"
#include "fuzz_support.hpp"

using namespace cardbridge;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteView content = fuzz::bytes(data, size);
    const auto authority = rules::detectMimeType(content);
    const auto daemon = daemon::unlock::sniffAttachmentType(content);
    if (authority) {
        if (rules::extensionForMimeType(*authority).empty()) std::abort();
        if (!daemon || *daemon != *authority)
            std::abort();  // the daemon would refuse what the authority takes
    }
    (void)rules::attachmentSizeAllowed(size);
    return 0;
}
