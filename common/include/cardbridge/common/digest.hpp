// SHA-256, HMAC-SHA-256 and constant-time comparison: the project's one home for them (OpenSSL 3 EVP).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "cardbridge/common/bytes.hpp"

namespace cardbridge {

/// SHA-256 of `data`, 32 bytes. Throws OpenSslError.
Bytes sha256(ByteView data);

/// SHA-256 of `data`, 64 lower-case hex digits. Throws OpenSslError.
std::string sha256Hex(ByteView data);

/// SHA-256 of the characters of `text`, 64 lower-case hex digits. Throws OpenSslError.
std::string sha256Hex(std::string_view text);

/// SHA-256 of the file's bytes, read in chunks (a database backup of gigabytes never sits in memory),
/// 64 lower-case hex digits. Throws FatalError when the file cannot be read, OpenSslError.
std::string sha256FileHex(const std::filesystem::path& file);

/// HMAC-SHA-256(key, data) through EVP_MAC, 32 bytes. Throws OpenSslError.
Bytes hmacSha256(ByteView key, ByteView data);

/// True when `a` and `b` have the same size and bytes; the time taken does not depend on where they
/// differ (CRYPTO_memcmp), only on the size. False on a size mismatch. Never throws.
bool constantTimeEquals(ByteView a, ByteView b) noexcept;

/// constantTimeEquals over the characters of two strings. Never throws.
bool constantTimeEquals(std::string_view a, std::string_view b) noexcept;

}  // namespace cardbridge
