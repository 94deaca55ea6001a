// Reviewer passwords: scrypt (RFC 7914) with a random salt, encoded with its parameters. (SHA-256 and
// constant-time comparison: cardbridge/common/digest.hpp.)
#pragma once

#include <string>
#include <string_view>

namespace cardbridge::authority {

/// scrypt cost: N = 2^log2N, r, p. Defaults N = 2^15, r = 8, p = 1 (32 MiB, ~0.1 s): RFC 7914 §2 and
/// OWASP's password storage cheat sheet.
struct ScryptParams {
    int log2N = 15;
    int r = 8;
    int p = 1;
};

/// "scrypt$<log2N>$<r>$<p>$<salt hex>$<key hex>" with a 16-byte random salt and a 32-byte key. Throws
/// InputError on an empty password, OpenSslError when scrypt fails.
std::string hashPassword(std::string_view password, const ScryptParams& params = {});

/// Recomputes the key with the encoded salt and parameters and compares in constant time. False for a
/// malformed encoding or parameters outside log2N 10..20, r 1..16, p 1..4. Never throws.
bool verifyPassword(std::string_view password, std::string_view encoded) noexcept;

}  // namespace cardbridge::authority
