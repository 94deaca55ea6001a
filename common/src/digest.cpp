#include "cardbridge/common/digest.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <fstream>
#include <memory>
#include <vector>

#include "cardbridge/common/error.hpp"
#include "cardbridge/common/openssl.hpp"

namespace cardbridge {

namespace {
using EvpMacPtr = std::unique_ptr<EVP_MAC, OpenSslDeleter<EVP_MAC_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, OpenSslDeleter<EVP_MD_CTX_free>>;
using EvpMacCtxPtr = std::unique_ptr<EVP_MAC_CTX, OpenSslDeleter<EVP_MAC_CTX_free>>;

ByteView charBytes(std::string_view text) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}
}  // namespace

Bytes sha256(ByteView data) {
    Bytes digest(EVP_MAX_MD_SIZE);
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
        throwOpenSsl("EVP_Digest(SHA-256)");
    }
    digest.resize(length);
    return digest;
}

std::string sha256Hex(ByteView data) {
    return toLowerHex(sha256(data));
}

std::string sha256Hex(std::string_view text) {
    return sha256Hex(charBytes(text));
}

std::string sha256FileHex(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw FatalError("cannot read " + file.string());
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx) throwOpenSsl("EVP_MD_CTX_new");
    if (EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) throwOpenSsl("EVP_DigestInit_ex(SHA-256)");
    std::vector<char> chunk(64 * 1024);
    while (in) {
        in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        const auto n = static_cast<std::size_t>(in.gcount());
        if (n > 0 && EVP_DigestUpdate(ctx.get(), chunk.data(), n) != 1) throwOpenSsl("EVP_DigestUpdate");
    }
    if (in.bad()) throw FatalError("cannot read " + file.string());
    Bytes digest(EVP_MAX_MD_SIZE);
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(ctx.get(), digest.data(), &length) != 1) throwOpenSsl("EVP_DigestFinal_ex");
    digest.resize(length);
    return toLowerHex(digest);
}

Bytes hmacSha256(ByteView key, ByteView data) {
    EvpMacPtr mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
    if (!mac) throwOpenSsl("EVP_MAC_fetch(HMAC)");
    EvpMacCtxPtr ctx(EVP_MAC_CTX_new(mac.get()));
    if (!ctx) throwOpenSsl("EVP_MAC_CTX_new");
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_construct_end()};
    if (EVP_MAC_init(ctx.get(), key.data(), key.size(), params) != 1) throwOpenSsl("EVP_MAC_init");
    if (EVP_MAC_update(ctx.get(), data.data(), data.size()) != 1) throwOpenSsl("EVP_MAC_update");
    Bytes out(32);
    std::size_t written = 0;
    if (EVP_MAC_final(ctx.get(), out.data(), &written, out.size()) != 1) throwOpenSsl("EVP_MAC_final");
    out.resize(written);
    return out;
}

bool constantTimeEquals(ByteView a, ByteView b) noexcept {
    if (a.size() != b.size()) return false;
    return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool constantTimeEquals(std::string_view a, std::string_view b) noexcept {
    return constantTimeEquals(charBytes(a), charBytes(b));
}

}  // namespace cardbridge
