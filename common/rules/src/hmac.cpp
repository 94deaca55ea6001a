#include "hmac.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <memory>

#include "cardbridge/common/openssl.hpp"

namespace cardbridge::rules::detail {
namespace {
using EvpMacPtr = std::unique_ptr<EVP_MAC, OpenSslDeleter<EVP_MAC_free>>;
using EvpMacCtxPtr = std::unique_ptr<EVP_MAC_CTX, OpenSslDeleter<EVP_MAC_CTX_free>>;
}  // namespace

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

}  // namespace cardbridge::rules::detail
