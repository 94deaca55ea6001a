// ISO/IEC 7816-4 command and response APDUs (short form).
#pragma once

#include <cstdint>
#include <optional>

#include "cardbridge/common/bytes.hpp"

namespace cardbridge {

/// A command APDU. `le` absent means "no response data expected" (case 1/3).
struct CommandApdu {
    std::uint8_t cla = 0;
    std::uint8_t ins = 0;
    std::uint8_t p1 = 0;
    std::uint8_t p2 = 0;
    Bytes data;
    std::optional<std::size_t> le;  ///< 1..256; 256 encodes as 00

    /// Short-form encoding. Throws InputError if data > 255 bytes or le outside 1..256.
    [[nodiscard]] Bytes encode() const;
    /// Parses a short-form APDU of any case. Throws InputError when malformed (e.g. Lc disagrees).
    static CommandApdu parse(ByteView raw);
};

/// A response APDU: data ‖ SW1 SW2.
struct ResponseApdu {
    Bytes data;
    std::uint8_t sw1 = 0;
    std::uint8_t sw2 = 0;

    [[nodiscard]] std::uint16_t sw() const noexcept { return static_cast<std::uint16_t>((sw1 << 8) | sw2); }
    [[nodiscard]] bool ok() const noexcept { return sw1 == 0x90 && sw2 == 0x00; }
    [[nodiscard]] Bytes encode() const;
    /// Splits data and status word. Throws InputError if shorter than 2 bytes.
    static ResponseApdu parse(ByteView raw);
    static ResponseApdu status(std::uint16_t sw) {
        return {{}, static_cast<std::uint8_t>(sw >> 8), static_cast<std::uint8_t>(sw & 0xFF)};
    }
};

}  // namespace cardbridge
