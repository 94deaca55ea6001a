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
