// Internal: HMAC-SHA-256 through OpenSSL 3 EVP_MAC.
#pragma once

#include "cardbridge/common/bytes.hpp"

namespace cardbridge::rules::detail {

/// HMAC-SHA-256(key, data), 32 bytes. Throws OpenSslError.
Bytes hmacSha256(ByteView key, ByteView data);

}  // namespace cardbridge::rules::detail
