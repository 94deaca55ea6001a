// Command and response APDUs (common/apdu): parse arbitrary bytes; what parses re-encodes to the same bytes.
#include <algorithm>
#include <cstdlib>

#include "cardbridge/common/apdu.hpp"
#include "fuzz_support.hpp"

using namespace cardbridge;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteView input = fuzz::bytes(data, size);
    fuzz::expectTyped([&] {
        const CommandApdu command = CommandApdu::parse(input);
        const Bytes encoded = command.encode();
        const CommandApdu again = CommandApdu::parse(encoded);
        if (again.cla != command.cla || again.ins != command.ins || again.p1 != command.p1 ||
            again.p2 != command.p2 || again.data != command.data || again.le != command.le) {
            std::abort();
        }
    });
    fuzz::expectTyped([&] {
        const ResponseApdu response = ResponseApdu::parse(input);
        const Bytes encoded = response.encode();
        if (!std::equal(encoded.begin(), encoded.end(), input.begin(), input.end())) std::abort();
    });
    return 0;
}
