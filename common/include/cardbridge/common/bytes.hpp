// Byte buffers and their hexadecimal form.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cardbridge {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

/// Upper-case hex without separators, e.g. "3BFD13".
std::string toHex(ByteView bytes);

/// Lower-case hex without separators, e.g. "3bfd13".
std::string toLowerHex(ByteView bytes);

/// The value of one hex digit (either case), or -1 when `c` is not one.
int hexDigitValue(char c) noexcept;

/// Parses hex; spaces, colons and dashes between byte pairs are ignored. Throws InputError on bad input.
Bytes fromHex(std::string_view text);

/// Bytes of a string (no terminator).
inline Bytes toBytes(std::string_view s) {
    return Bytes(s.begin(), s.end());
}

/// Appends `tail` to `out`.
inline void append(Bytes& out, ByteView tail) {
    out.insert(out.end(), tail.begin(), tail.end());
}

}  // namespace cardbridge
