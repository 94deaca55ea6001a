// scrypt password hashing (OpenSSL EVP_PBE_scrypt).
#include "cardbridge/authority/core/password.hpp"

#include <openssl/evp.h>

#include <charconv>
#include <vector>

#include "cardbridge/common/bytes.hpp"
#include "cardbridge/common/digest.hpp"
#include "cardbridge/common/error.hpp"
#include "cardbridge/common/openssl.hpp"
#include "cardbridge/common/secret.hpp"

namespace cardbridge::authority {

namespace {

constexpr std::size_t SALT_BYTES = 16;
constexpr std::size_t KEY_BYTES = 32;
constexpr std::uint64_t MAX_MEMORY = 256ULL * 1024 * 1024;

bool scrypt(std::string_view password, ByteView salt, const ScryptParams& params, Bytes& key) {
    key.assign(KEY_BYTES, 0);
    const auto n = std::uint64_t{1} << static_cast<unsigned>(params.log2N);
    return EVP_PBE_scrypt(password.data(), password.size(), salt.data(), salt.size(), n,
                          static_cast<std::uint64_t>(params.r), static_cast<std::uint64_t>(params.p),
                          MAX_MEMORY, key.data(), key.size()) == 1;
}

std::vector<std::string_view> split(std::string_view text, char sep) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    for (;;) {
        const std::size_t at = text.find(sep, start);
        parts.push_back(
            text.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
        if (at == std::string_view::npos) return parts;
        start = at + 1;
    }
}

bool parseInt(std::string_view text, int low, int high, int& out) {
    if (text.empty() || text.size() > 3) return false;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && end == text.data() + text.size() && out >= low && out <= high;
}

}  // namespace

std::string hashPassword(std::string_view password, const ScryptParams& params) {
    if (password.empty()) throw InputError("empty password");
    const Bytes salt = randomBytes(SALT_BYTES);
    Bytes key;
    if (!scrypt(password, salt, params, key)) throwOpenSsl("EVP_PBE_scrypt");
    std::string encoded = "scrypt$" + std::to_string(params.log2N) + "$" + std::to_string(params.r) + "$" +
                          std::to_string(params.p) + "$" + toHex(salt) + "$" + toHex(key);
    wipe(key);
    return encoded;
}

bool verifyPassword(std::string_view password, std::string_view encoded) noexcept {
    try {
        const auto parts = split(encoded, '$');
        if (parts.size() != 6 || parts[0] != "scrypt") return false;
        ScryptParams params;
        if (!parseInt(parts[1], 10, 20, params.log2N) || !parseInt(parts[2], 1, 16, params.r) ||
            !parseInt(parts[3], 1, 4, params.p)) {
            return false;
        }
        const Bytes salt = fromHex(parts[4]);
        const Bytes expected = fromHex(parts[5]);
        if (salt.size() < 8 || expected.size() != KEY_BYTES) return false;
        Bytes key;
        if (!scrypt(password, salt, params, key)) return false;
        const bool same = constantTimeEquals(key, expected);
        wipe(key);
        return same;
    } catch (...) {
        return false;
    }
}

}  // namespace cardbridge::authority
