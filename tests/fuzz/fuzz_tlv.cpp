// BER-TLV (common/tlv): walks every level of arbitrary bytes the way the PIV code does, and checks that
// what the reader returns stays inside the input and re-encodes to the same value.
#include <cstdlib>

#include "cardbridge/common/tlv.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace cardbridge;

void walk(ByteView data, int depth) {
    TlvReader reader(data);
    Tlv tlv;
    std::size_t consumed = 0;
    while (reader.next(tlv)) {
        consumed += tlv.encodedSize;
        if (consumed > data.size() || tlv.value.size() > tlv.encodedSize) std::abort();
        if (tlv.value.data() < data.data() ||
            tlv.value.data() + tlv.value.size() > data.data() + data.size()) {
            std::abort();
        }
        // Re-encoding a value of up to 64 KiB gives the same value back.
        if (tlv.value.size() <= 0xFFFF) {
            const Bytes again = makeTlv(tlv.tag, tlv.value);
            const Tlv reparsed = parseTlv(again);
            if (reparsed.tag != tlv.tag || !std::equal(reparsed.value.begin(), reparsed.value.end(),
                                                       tlv.value.begin(), tlv.value.end())) {
                std::abort();
            }
        }
        // Constructed tags (bit 6 of the first tag byte) nest; try every value as nested data.
        if (depth < 8) fuzz::expectTyped([&] { walk(tlv.value, depth + 1); });
    }
    if (consumed != data.size() || reader.remaining() != 0) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteView input = fuzz::bytes(data, size);
    fuzz::expectTyped([&] { walk(input, 0); });
    fuzz::expectTyped([&] { (void)parseTlv(input); });
    for (const std::uint32_t tag : {0x53u, 0x70u, 0x71u, 0x5FC102u, 0x7F49u, 0xC1u}) {
        fuzz::expectTyped([&] { (void)findTlv(input, tag); });
    }
    return 0;
}
