#include "cardbridge/vcard/piv_keys.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "cardbridge/common/secret.hpp"
#include "cardbridge/common/tlv.hpp"

namespace cardbridge::vcard {

namespace {

using BnPtr = std::unique_ptr<BIGNUM, OpenSslDeleter<BN_clear_free>>;
using BnCtxPtr = std::unique_ptr<BN_CTX, OpenSslDeleter<BN_CTX_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, OpenSslDeleter<OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, OpenSslDeleter<OSSL_PARAM_free>>;
using EcGroupPtr = std::unique_ptr<EC_GROUP, OpenSslDeleter<EC_GROUP_free>>;
using EcPointPtr = std::unique_ptr<EC_POINT, OpenSslDeleter<EC_POINT_free>>;

// Hostile or inconsistent input is the caller's fault: drop OpenSSL's queue and report InputError.
[[noreturn]] void throwInput(const std::string& what) {
    ERR_clear_error();
    throw InputError(what);
}

BnPtr bn(ByteView bytes) {
    BnPtr out(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
    if (!out) throwOpenSsl("BN_bin2bn");
    return out;
}

BnPtr newBn() {
    BnPtr out(BN_new());
    if (!out) throwOpenSsl("BN_new");
    return out;
}

Bytes bnBytes(const BIGNUM* n, std::size_t width = 0) {
    auto len = static_cast<std::size_t>(BN_num_bytes(n));
    Bytes out(std::max(len, width));
    if (BN_bn2binpad(n, out.data(), static_cast<int>(out.size())) < 0) throwOpenSsl("BN_bn2binpad");
    return out;
}

BnPtr getBnParam(EVP_PKEY* key, const char* name) {
    BIGNUM* raw = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) throwOpenSsl(name);
    return BnPtr(raw);
}

EvpPkeyPtr fromData(const char* type, OSSL_PARAM_BLD* bld, int selection) {
    ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
    if (!params) throwOpenSsl("OSSL_PARAM_BLD_to_param");
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) throwOpenSsl("EVP_PKEY_fromdata_init");
    EVP_PKEY* raw = nullptr;
    if (EVP_PKEY_fromdata(ctx.get(), &raw, selection, params.get()) != 1)
        throwInput("key parameters rejected");
    return EvpPkeyPtr(raw);
}

Bytes p256Point(const BIGNUM* scalar) {
    EcGroupPtr group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
    BnCtxPtr bnCtx(BN_CTX_new());
    if (!group || !bnCtx) throwOpenSsl("EC_GROUP_new_by_curve_name");
    EcPointPtr point(EC_POINT_new(group.get()));
    if (!point || EC_POINT_mul(group.get(), point.get(), scalar, nullptr, nullptr, bnCtx.get()) != 1)
        throwOpenSsl("EC_POINT_mul");
    Bytes out(65);
    if (EC_POINT_point2oct(group.get(), point.get(), POINT_CONVERSION_UNCOMPRESSED, out.data(), out.size(),
                           bnCtx.get()) != out.size())
        throwOpenSsl("EC_POINT_point2oct");
    return out;
}

EvpPkeyPtr p256PublicKey(ByteView point) {
    ParamBldPtr bld(OSSL_PARAM_BLD_new());
    if (!bld ||
        OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1)
        throwOpenSsl("OSSL_PARAM_BLD");
    return fromData("EC", bld.get(), EVP_PKEY_PUBLIC_KEY);
}

}  // namespace

EvpPkeyPtr loadPrivateKeyPem(std::string_view pem) {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) throwOpenSsl("BIO_new_mem_buf");
    EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key) throwInput("not a PEM private key (or it is encrypted)");
    return key;
}

std::string privateKeyToPem(EVP_PKEY* key) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PKCS8PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
        throwOpenSsl("PEM_write_bio_PKCS8PrivateKey");
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
}

std::optional<PivAlgorithm> pivAlgorithmOf(EVP_PKEY* key) {
    int id = EVP_PKEY_get_base_id(key);
    if (id == EVP_PKEY_RSA) {
        BnPtr e = getBnParam(key, OSSL_PKEY_PARAM_RSA_E);
        if (!BN_is_word(e.get(), RSA_F4)) return std::nullopt;
        int bits = EVP_PKEY_get_bits(key);
        if (bits == 1024) return PivAlgorithm::Rsa1024;
        if (bits == 2048) return PivAlgorithm::Rsa2048;
        return std::nullopt;
    }
    if (id == EVP_PKEY_EC) {
        char group[64] = {};
        std::size_t len = 0;
        if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) != 1)
            return std::nullopt;
        if (std::string_view(group, len) == "prime256v1" || std::string_view(group, len) == "P-256")
            return PivAlgorithm::EccP256;
    }
    return std::nullopt;
}

std::string algorithmName(PivAlgorithm alg) {
    switch (alg) {
        case PivAlgorithm::TripleDes:
            return "TDES";
        case PivAlgorithm::Rsa1024:
            return "RSA1024";
        case PivAlgorithm::Rsa2048:
            return "RSA2048";
        case PivAlgorithm::EccP256:
            return "ECCP256";
    }
    return "unknown";
}

EvpPkeyPtr generateKey(PivAlgorithm alg) {
    EVP_PKEY* raw = nullptr;
    switch (alg) {
        case PivAlgorithm::Rsa1024:
            raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{1024});
            break;
        case PivAlgorithm::Rsa2048:
            raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048});
            break;
        case PivAlgorithm::EccP256:
            raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
            break;
        case PivAlgorithm::TripleDes:
            throw InputError("cannot generate a 3DES key pair");
    }
    if (raw == nullptr) throwOpenSsl("EVP_PKEY_Q_keygen");
    return EvpPkeyPtr(raw);
}

EvpPkeyPtr rsaFromCrt(ByteView pBytes, ByteView qBytes, ByteView dpBytes, ByteView dqBytes,
                      ByteView qinvBytes) {
    BnPtr p = bn(pBytes), q = bn(qBytes), dp = bn(dpBytes), dq = bn(dqBytes), qinv = bn(qinvBytes);
    BnPtr n = newBn(), e = newBn(), d = newBn(), p1 = newBn(), q1 = newBn(), phi = newBn(), check = newBn();
    BnCtxPtr ctx(BN_CTX_new());
    if (!ctx || BN_set_word(e.get(), RSA_F4) != 1) throwOpenSsl("BN");
    if (BN_is_zero(p.get()) || BN_is_zero(q.get()) || BN_is_one(p.get()) || BN_is_one(q.get()))
        throwInput("RSA factors must be > 1");
    if (BN_mul(n.get(), p.get(), q.get(), ctx.get()) != 1 || BN_sub(p1.get(), p.get(), BN_value_one()) != 1 ||
        BN_sub(q1.get(), q.get(), BN_value_one()) != 1 ||
        BN_mul(phi.get(), p1.get(), q1.get(), ctx.get()) != 1)
        throwOpenSsl("BN arithmetic");
    if (BN_mod_inverse(d.get(), e.get(), phi.get(), ctx.get()) == nullptr)
        throwInput("e has no inverse mod phi");
    // The CRT values must agree with p and q, otherwise signatures would silently be wrong.
    if (BN_mod(check.get(), d.get(), p1.get(), ctx.get()) != 1 || BN_cmp(check.get(), dp.get()) != 0)
        throwInput("dP does not match p");
    if (BN_mod(check.get(), d.get(), q1.get(), ctx.get()) != 1 || BN_cmp(check.get(), dq.get()) != 0)
        throwInput("dQ does not match q");
    if (BN_mod_inverse(check.get(), q.get(), p.get(), ctx.get()) == nullptr ||
        BN_cmp(check.get(), qinv.get()) != 0)
        throwInput("qInv does not match p and q");
    ParamBldPtr bld(OSSL_PARAM_BLD_new());
    if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_D, d.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR1, p.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR2, q.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT1, dp.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT2, dq.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qinv.get()) != 1)
        throwOpenSsl("OSSL_PARAM_BLD");
    return fromData("RSA", bld.get(), EVP_PKEY_KEYPAIR);
}

EvpPkeyPtr ecP256FromPrivate(ByteView scalar) {
    BnPtr s = bn(scalar);
    EcGroupPtr group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
    if (!group) throwOpenSsl("EC_GROUP_new_by_curve_name");
    if (BN_is_zero(s.get()) || BN_cmp(s.get(), EC_GROUP_get0_order(group.get())) >= 0)
        throwInput("EC private key out of range");
    Bytes point = p256Point(s.get());
    ParamBldPtr bld(OSSL_PARAM_BLD_new());
    if (!bld ||
        OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, s.get()) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1)
        throwOpenSsl("OSSL_PARAM_BLD");
    return fromData("EC", bld.get(), EVP_PKEY_KEYPAIR);
}

Bytes publicKeyTlvs(EVP_PKEY* key) {
    Bytes out;
    if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
        appendTlv(out, 0x81, bnBytes(getBnParam(key, OSSL_PKEY_PARAM_RSA_N).get()));
        appendTlv(out, 0x82, bnBytes(getBnParam(key, OSSL_PKEY_PARAM_RSA_E).get()));
        return out;
    }
    unsigned char* point = nullptr;
    std::size_t len = EVP_PKEY_get1_encoded_public_key(key, &point);
    if (len == 0 || point == nullptr) throwOpenSsl("EVP_PKEY_get1_encoded_public_key");
    appendTlv(out, 0x86, ByteView(point, len));
    OPENSSL_free(point);
    return out;
}

Bytes rsaRawPrivate(EVP_PKEY* key, ByteView input) {
    auto size = static_cast<std::size_t>(EVP_PKEY_get_size(key));
    if (input.size() != size) throwInput("RSA input must be as long as the modulus");
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(key, nullptr));
    if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING) != 1)
        throwOpenSsl("EVP_PKEY_decrypt_init");
    Bytes out(size);
    std::size_t outLen = out.size();
    if (EVP_PKEY_decrypt(ctx.get(), out.data(), &outLen, input.data(), input.size()) != 1)
        throwInput("RSA input rejected (not below the modulus?)");
    // A raw result is as long as the modulus; left-pad in case a provider strips leading zeros.
    if (outLen < size) out.insert(out.begin(), size - outLen, 0);
    out.resize(size);
    return out;
}

Bytes ecdsaSignDigest(EVP_PKEY* key, ByteView digest) {
    if (digest.empty() || digest.size() > 64) throwInput("ECDSA input must be 1-64 bytes");
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(key, nullptr));
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1) throwOpenSsl("EVP_PKEY_sign_init");
    std::size_t len = 0;
    if (EVP_PKEY_sign(ctx.get(), nullptr, &len, digest.data(), digest.size()) != 1)
        throwOpenSsl("EVP_PKEY_sign");
    Bytes out(len);
    if (EVP_PKEY_sign(ctx.get(), out.data(), &len, digest.data(), digest.size()) != 1)
        throwOpenSsl("EVP_PKEY_sign");
    out.resize(len);
    return out;
}

Bytes ecdhSharedSecret(EVP_PKEY* key, ByteView peerPoint) {
    if (peerPoint.size() != 65 || peerPoint[0] != 0x04)
        throwInput("peer point must be 65 bytes uncompressed");
    EvpPkeyPtr peer = p256PublicKey(peerPoint);
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(key, nullptr));
    if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1) throwOpenSsl("EVP_PKEY_derive_init");
    if (EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1) throwInput("peer point rejected");
    std::size_t len = 0;
    if (EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1) throwOpenSsl("EVP_PKEY_derive");
    Bytes out(len);
    if (EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1) throwOpenSsl("EVP_PKEY_derive");
    out.resize(len);
    return out;
}

Bytes tripleDesEcb(ByteView key, ByteView data, bool encrypt) {
    if (key.size() != 24) throw InputError("3DES key must be 24 bytes");
    if (data.empty() || data.size() % 8 != 0) throw InputError("3DES data must be whole 8-byte blocks");
    EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    if (!ctx ||
        EVP_CipherInit_ex(ctx.get(), EVP_des_ede3_ecb(), nullptr, key.data(), nullptr, encrypt ? 1 : 0) !=
            1 ||
        EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1)
        throwOpenSsl("EVP_CipherInit_ex(des-ede3-ecb)");
    Bytes out(data.size() + 8);
    int len = 0;
    int tail = 0;
    if (EVP_CipherUpdate(ctx.get(), out.data(), &len, data.data(), static_cast<int>(data.size())) != 1 ||
        EVP_CipherFinal_ex(ctx.get(), out.data() + len, &tail) != 1)
        throwOpenSsl("EVP_CipherUpdate(des-ede3-ecb)");
    out.resize(static_cast<std::size_t>(len + tail));
    return out;
}

}  // namespace cardbridge::vcard
