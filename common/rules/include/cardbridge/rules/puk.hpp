// PUK custody: the authority derives each card's PUK per epoch from a master key it alone holds, so a
// PUK that crossed the network is replaced (next epoch) right after use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cardbridge/common/secret.hpp"

namespace cardbridge::rules {

/// Digits in a derived PUK (PIV PUKs are 8 characters).
inline constexpr std::size_t PUK_DIGITS = 8;

/// Smallest accepted master key, in bytes (256 bits).
inline constexpr std::size_t MIN_PUK_MASTER_KEY_BYTES = 32;

/// Domain-separation label of the derivation.
inline constexpr std::string_view PUK_LABEL = "cardbridge-puk-v1";

/// PUK of `cardSerial` at `epoch`: block₀ = HMAC-SHA-256(masterKey, "cardbridge-puk-v1" ‖ 0x00 ‖ serial ‖
/// 0x00 ‖ epoch as 8-byte big-endian); successive 4-byte big-endian chunks are read and values
/// ≥ 4,200,000,000 (a multiple of 10^8) rejected, so value mod 10^8 has no modulo bias; the first
/// accepted value, zero-padded to 8 digits, is the PUK. If all 8 chunks are rejected (p ≈ 6·10⁻¹⁴),
/// block_{i+1} = HMAC-SHA-256(masterKey, block_i) continues the stream. Throws InputError if the master key
/// is shorter than MIN_PUK_MASTER_KEY_BYTES or the serial is empty or contains NUL; OpenSslError.
Secret derivePuk(const Secret& masterKey, std::string_view cardSerial, std::uint64_t epoch);

}  // namespace cardbridge::rules
