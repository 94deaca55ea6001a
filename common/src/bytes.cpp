#include "cardbridge/common/bytes.hpp"

#include "cardbridge/common/error.hpp"

namespace cardbridge {

namespace {
std::string hexWith(ByteView bytes, const char (&digits)[17]) {
    std::string out;
    out.reserve(bytes.size() * 2);
    for (std::uint8_t b : bytes) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 0x0F]);
    }
    return out;
}
}  // namespace

std::string toHex(ByteView bytes) {
    return hexWith(bytes, "0123456789ABCDEF");
}

std::string toLowerHex(ByteView bytes) {
    return hexWith(bytes, "0123456789abcdef");
}

int hexDigitValue(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

Bytes fromHex(std::string_view text) {
    Bytes out;
    out.reserve(text.size() / 2);
    int high = -1;
    for (char c : text) {
        if (c == ' ' || c == ':' || c == '-' || c == '\n' || c == '\t') {
            if (high >= 0) throw InputError("hex: separator inside a byte");
            continue;
        }
        int v = hexDigitValue(c);
        if (v < 0) throw InputError("hex: invalid character");
        if (high < 0) {
            high = v;
        } else {
            out.push_back(static_cast<std::uint8_t>((high << 4) | v));
            high = -1;
        }
    }
    if (high >= 0) throw InputError("hex: odd number of digits");
    return out;
}

}  // namespace cardbridge
