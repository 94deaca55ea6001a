// gzip (common/gzip) as PIV certificates use it: arbitrary bytes inflate within the bound or throw
// InputError; a zip bomb never passes the bound.
#include <cstdlib>

#include "cardbridge/common/gzip.hpp"
#include "fuzz_support.hpp"

using namespace cardbridge;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    constexpr std::size_t LIMIT = 64 * 1024;
    fuzz::expectTyped([&] {
        const Bytes out = gzipDecompress(fuzz::bytes(data, size), LIMIT);
        if (out.size() > LIMIT) std::abort();
    });
    fuzz::expectTyped([&] {
        const Bytes out = gzipDecompress(fuzz::bytes(data, size), 16);
        if (out.size() > 16) std::abort();
    });
    return 0;
}
