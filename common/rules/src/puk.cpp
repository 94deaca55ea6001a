#include "cardbridge/rules/puk.hpp"

#include <array>

#include "cardbridge/common/digest.hpp"
#include "cardbridge/common/error.hpp"

namespace cardbridge::rules {

Secret derivePuk(const Secret& masterKey, std::string_view cardSerial, std::uint64_t epoch) {
    if (masterKey.size() < MIN_PUK_MASTER_KEY_BYTES) throw InputError("PUK master key shorter than 256 bits");
    if (cardSerial.empty() || cardSerial.find('\0') != std::string_view::npos) {
        throw InputError("card serial empty or containing NUL");
    }
    Bytes message = toBytes(PUK_LABEL);
    message.push_back(0x00);
    append(message, toBytes(cardSerial));
    message.push_back(0x00);
    for (int shift = 56; shift >= 0; shift -= 8) message.push_back(static_cast<std::uint8_t>(epoch >> shift));

    // 4,200,000,000 = 42 · 10^8 ≤ 2^32: accepting only values below it makes value mod 10^8 uniform.
    constexpr std::uint32_t LIMIT = 4'200'000'000U;
    constexpr std::uint32_t MODULUS = 100'000'000U;
    Bytes block = hmacSha256(masterKey.bytes(), message);
    wipe(message);
    for (;;) {
        for (std::size_t i = 0; i + 4 <= block.size(); i += 4) {
            const std::uint32_t value = (std::uint32_t{block[i]} << 24U) |
                                        (std::uint32_t{block[i + 1]} << 16U) |
                                        (std::uint32_t{block[i + 2]} << 8U) | std::uint32_t{block[i + 3]};
            if (value >= LIMIT) continue;
            std::array<char, PUK_DIGITS> digits{};
            std::uint32_t rest = value % MODULUS;
            for (std::size_t d = PUK_DIGITS; d-- > 0;) {
                digits[d] = static_cast<char>('0' + rest % 10);
                rest /= 10;
            }
            Secret puk(std::string_view(digits.data(), digits.size()));
            wipe(digits.data(), digits.size());
            wipe(block);
            return puk;
        }
        // Every chunk rejected (p ≈ 6·10⁻¹⁴): continue the stream deterministically.
        Bytes next = hmacSha256(masterKey.bytes(), block);
        wipe(block);
        block = std::move(next);
    }
}

}  // namespace cardbridge::rules
