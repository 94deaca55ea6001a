// Hashes, HMAC and AES-256-GCM for the authority core (OpenSSL EVP; errors via throwOpenSsl).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cardbridge/common/bytes.hpp"
#include "cardbridge/common/secret.hpp"

namespace cardbridge::authority::crypto {

/// SHA-256, upper-case hex. Throws OpenSslError.
std::string sha256Hex(ByteView data);

/// HMAC-SHA-256(key, data), lower-case hex. Throws OpenSslError.
std::string hmacHex(const Secret& key, std::string_view data);

/// AES-256-GCM output.
struct Sealed {
    Bytes ciphertext;
    Bytes tag;  ///< 16 bytes
};

/// Encrypts with a 32-byte key and 12-byte nonce, authenticating `aad`. Throws OpenSslError.
Sealed seal(const Secret& key, ByteView nonce, ByteView aad, ByteView plaintext);

/// Decrypts; nullopt when the tag does not verify (tampered data, wrong key, wrong AAD). Throws OpenSslError
/// on other OpenSSL failures.
std::optional<Bytes> open(const Secret& key, ByteView nonce, ByteView aad, ByteView ciphertext, ByteView tag);

/// Constant-time equality of two strings of equal length (false when lengths differ).
bool constantTimeEquals(std::string_view a, std::string_view b) noexcept;

}  // namespace cardbridge::authority::crypto
