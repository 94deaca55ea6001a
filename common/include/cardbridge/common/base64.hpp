// Base64 (RFC 4648 §4, the standard alphabet with padding): the project's one home for it, on OpenSSL.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cardbridge/common/bytes.hpp"

namespace cardbridge {

/// Padded base64 of `data` without line breaks (EVP_EncodeBlock). Never fails for inputs below 1.5 GiB;
/// throws InputError above.
std::string base64Encode(ByteView data);

/// Strict decoding: the length is a multiple of 4, only the standard alphabet, padding ('=', at most two)
/// only at the end and required, no whitespace or line breaks. nullopt when malformed. Never throws.
std::optional<Bytes> base64Decode(std::string_view text);

}  // namespace cardbridge
