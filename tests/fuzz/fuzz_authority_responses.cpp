// The daemon's decoders of the authority's answers (daemon/unlock authority_protocol): a hostile or broken
// authority (or anything in front of it). The first byte picks the decoder and the HTTP status; the rest
// is the body. Checked: every malformed body ends as AuthorityProtocolError (or, for refusals, an
// AuthorityRefused with a reason); nothing else escapes.
#include <cstdlib>
#include <string>

#include "cardbridge/daemon/unlock/authority_protocol.hpp"
#include "fuzz_support.hpp"

using namespace cardbridge;
using namespace cardbridge::daemon::unlock;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::uint8_t selector = data[0];
    const std::string body(fuzz::text(data + 1, size - 1));
    try {
        switch (selector % 7) {
            case 0:
                (void)decodeCreated(body);
                break;
            case 1:
                (void)decodeCodeSent(body);
                break;
            case 2:
                (void)decodeStatus(body);
                break;
            case 3:
                (void)decodeAttachment(body);
                break;
            case 4:
                (void)decodeApplicationForm(body);
                break;
            case 5:
                (void)decodeCredential(body);
                break;
            default: {
                const AuthorityRefused refused = decodeRefusal(400u + selector % 200u, body);
                if (refused.reason().empty()) std::abort();
                break;
            }
        }
    } catch (const AuthorityProtocolError&) {
        // the documented answer to a body of the wrong shape
    }
    return 0;
}
