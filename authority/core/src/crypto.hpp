// AES-256-GCM for attachments at rest (OpenSSL EVP; errors via throwOpenSsl). Hashes: common/digest.hpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cardbridge/common/bytes.hpp"
#include "cardbridge/common/secret.hpp"

namespace cardbridge::authority::crypto {

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

}  // namespace cardbridge::authority::crypto
