// GENERAL AUTHENTICATE with slot keys (RSA raw, ECDSA P-256, ECDH), PIN policies, GENERATE, IMPORT KEY,
// key metadata. Signatures are checked with OpenSSL against the public key, not against the card's code.
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "cardbridge/common/tlv.hpp"
#include "test_support.hpp"

using namespace vcardtest;

namespace {

Bytes sha256(std::string_view text) {
    Bytes out(32);
    SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), out.data());
    return out;
}

// EMSA-PKCS1-v1_5 encoding of a SHA-256 digest, as OpenSC pads before a raw RSA operation.
Bytes pkcs1Sha256(const Bytes& digest, std::size_t modulusBytes) {
    Bytes t = fromHex("3031300D060960864801650304020105000420");
    append(t, digest);
    Bytes em{0x00, 0x01};
    em.resize(modulusBytes - t.size() - 1, 0xFF);
    em.push_back(0x00);
    append(em, t);
    return em;
}

bool verifySha256(EVP_PKEY* publicKey, const Bytes& digest, const Bytes& signature, bool rsa) {
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(publicKey, nullptr));
    if (EVP_PKEY_verify_init(ctx.get()) != 1) return false;
    if (rsa && (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1 ||
                EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) != 1))
        return false;
    return EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), digest.data(), digest.size()) == 1;
}

Bytes generalAuthenticate(std::uint8_t dataTag, const Bytes& input) {
    Bytes inner = fromHex("82 00");
    appendTlv(inner, dataTag, input);
    return makeTlv(0x7C, inner);
}

// Unwraps 7C { 82 <output> }.
Bytes authOutput(const ResponseApdu& r) {
    Tlv outer = parseTlv(r.data);
    auto out = findTlv(outer.value, 0x82);
    return out ? Bytes(out->begin(), out->end()) : Bytes{};
}

void putKey(CardState& state, std::uint8_t slot, EVP_PKEY* key, PivAlgorithm alg) {
    SlotKey k;
    k.algorithm = alg;
    k.pkcs8Pem = toPem(key);
    state.keys[slot] = k;
}

Bytes bnParam(EVP_PKEY* key, const char* name, std::size_t width = 0) {
    BIGNUM* bn = nullptr;
    EVP_PKEY_get_bn_param(key, name, &bn);
    Bytes out(std::max(width, static_cast<std::size_t>(BN_num_bytes(bn))));
    BN_bn2binpad(bn, out.data(), static_cast<int>(out.size()));
    BN_clear_free(bn);
    return out;
}

EvpPkeyPtr p256Public(ByteView point) {
    std::unique_ptr<OSSL_PARAM_BLD, OpenSslDeleter<OSSL_PARAM_BLD_free>> bld(OSSL_PARAM_BLD_new());
    OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
    std::unique_ptr<OSSL_PARAM, OpenSslDeleter<OSSL_PARAM_free>> params(OSSL_PARAM_BLD_to_param(bld.get()));
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY* raw = nullptr;
    EVP_PKEY_fromdata_init(ctx.get());
    EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get());
    return EvpPkeyPtr(raw);
}

}  // namespace

TEST(VcardKeys, RsaSignatureWithChainedInputVerifies) {
    EvpPkeyPtr key = makeRsa(2048);
    CardState state = testState();
    putKey(state, 0x9A, key.get(), PivAlgorithm::Rsa2048);
    Card card(state);
    card.select();
    Bytes digest = sha256("hello");
    Bytes data = generalAuthenticate(0x81, pkcs1Sha256(digest, 256));
    EXPECT_EQ(swHex(card.transmit(0x87, 0x07, 0x9A, data)), "6982");  // PIN not verified
    card.verifyPin();
    ResponseApdu r = card.transmit(0x87, 0x07, 0x9A, data);  // 10 87 … then 00 87 …, response over 61xx
    ASSERT_EQ(swHex(r), "9000");
    Bytes signature = authOutput(r);
    ASSERT_EQ(signature.size(), 256u);
    EXPECT_TRUE(verifySha256(key.get(), digest, signature, true));
    EXPECT_FALSE(verifySha256(key.get(), sha256("other"), signature, true));
    // Algorithm byte must match the key.
    EXPECT_EQ(swHex(card.transmit(0x87, 0x11, 0x9A, data)), "6A80");
}

TEST(VcardKeys, EcdsaP256InSignatureSlotNeedsFreshVerifyEachTime) {
    EvpPkeyPtr key = makeP256();
    CardState state = testState();
    putKey(state, 0x9C, key.get(), PivAlgorithm::EccP256);
    Card card(state);
    card.select();
    Bytes digest = sha256("document");
    Bytes data = generalAuthenticate(0x81, digest);
    card.verifyPin();
    ResponseApdu r = card.transmit(0x87, 0x11, 0x9C, data);
    ASSERT_EQ(swHex(r), "9000");
    Bytes signature = authOutput(r);
    EXPECT_EQ(signature[0], 0x30);  // DER SEQUENCE{r,s}
    EXPECT_TRUE(verifySha256(key.get(), digest, signature, false));
    EXPECT_EQ(swHex(card.transmit(0x87, 0x11, 0x9C, data)), "6982");  // PIN always: used up
    card.verifyPin();
    EXPECT_EQ(swHex(card.transmit(0x87, 0x11, 0x9C, data)), "9000");
}

TEST(VcardKeys, CardAuthSlotNeedsNoPinAndEcdhWorks) {
    EvpPkeyPtr key = makeP256();
    EvpPkeyPtr peer = makeP256();
    CardState state = testState();
    putKey(state, 0x9E, key.get(), PivAlgorithm::EccP256);
    putKey(state, 0x9D, key.get(), PivAlgorithm::EccP256);
    Card card(state);
    card.select();
    Bytes digest = sha256("challenge");
    ResponseApdu r = card.transmit(0x87, 0x11, 0x9E, generalAuthenticate(0x81, digest));
    ASSERT_EQ(swHex(r), "9000");
    EXPECT_TRUE(verifySha256(key.get(), digest, authOutput(r), false));

    unsigned char* point = nullptr;
    std::size_t len = EVP_PKEY_get1_encoded_public_key(peer.get(), &point);
    Bytes peerPoint(point, point + len);
    OPENSSL_free(point);
    EXPECT_EQ(swHex(card.transmit(0x87, 0x11, 0x9D, generalAuthenticate(0x85, peerPoint))), "6982");
    card.verifyPin();
    ResponseApdu shared = card.transmit(0x87, 0x11, 0x9D, generalAuthenticate(0x85, peerPoint));
    ASSERT_EQ(swHex(shared), "9000");
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(peer.get(), nullptr));
    EVP_PKEY_derive_init(ctx.get());
    EVP_PKEY_derive_set_peer(ctx.get(), key.get());
    Bytes expected(32);
    std::size_t outLen = expected.size();
    EVP_PKEY_derive(ctx.get(), expected.data(), &outLen);
    EXPECT_EQ(authOutput(shared), expected);
}

TEST(VcardKeys, EmptySlotAndBadTemplate) {
    Card card;
    card.select();
    card.verifyPin();
    EXPECT_EQ(swHex(card.transmit(0x87, 0x07, 0x9A, generalAuthenticate(0x81, Bytes(256, 1)))), "6A88");
    EXPECT_EQ(swHex(card.send("00 87 07 9A 04 7D 02 81 00")), "6A80");
}

TEST(VcardKeys, GenerateP256ReturnsUsablePublicKey) {
    Card card;
    card.select();
    EXPECT_EQ(swHex(card.send("00 47 00 9A 05 AC 03 80 01 11")), "6982");
    card.authenticateMgmt(defaultMgmtKey());
    EXPECT_EQ(swHex(card.send("00 47 00 9B 05 AC 03 80 01 11")), "6B00");
    EXPECT_EQ(swHex(card.send("00 47 00 9A 05 AC 03 80 01 99")), "6A80");
    ResponseApdu r = card.transmit(0x47, 0x00, 0x9A, fromHex("AC 03 80 01 11"));
    ASSERT_EQ(swHex(r), "9000");
    Tlv outer = parseTlv(r.data);
    ASSERT_EQ(outer.tag, 0x7F49u);
    auto point = findTlv(outer.value, 0x86);
    ASSERT_TRUE(point);
    ASSERT_EQ(point->size(), 65u);
    EvpPkeyPtr pub = p256Public(*point);
    ASSERT_TRUE(pub);
    card.verifyPin();
    Bytes digest = sha256("generated");
    ResponseApdu sig = card.transmit(0x87, 0x11, 0x9A, generalAuthenticate(0x81, digest));
    EXPECT_TRUE(verifySha256(pub.get(), digest, authOutput(sig), false));
    EXPECT_EQ(card.store.stored().keys.at(0x9A).origin, 1);
}

TEST(VcardKeys, GenerateRsa2048ResponseIsChained) {
    Card card;
    card.select();
    card.authenticateMgmt(defaultMgmtKey());
    ResponseApdu first = card.send("00 47 00 9D 05 AC 03 80 01 07 00");
    EXPECT_EQ(first.sw1, 0x61);
    EXPECT_EQ(first.data.size(), 256u);
    ResponseApdu rest = card.send("00 C0 00 00 00");
    EXPECT_EQ(swHex(rest), "9000");
    Bytes all = first.data;
    append(all, rest.data);
    Tlv outer = parseTlv(all);
    EXPECT_EQ(outer.tag, 0x7F49u);
    EXPECT_EQ(findTlv(outer.value, 0x81)->size(), 256u);
    EXPECT_EQ(toHex(*findTlv(outer.value, 0x82)), "010001");
}

TEST(VcardKeys, ImportRsaCrtAndEcThenSign) {
    EvpPkeyPtr rsa = makeRsa(1024);
    EvpPkeyPtr ec = makeP256();
    Card card;
    card.select();
    Bytes rsaData;
    appendTlv(rsaData, 0x01, bnParam(rsa.get(), OSSL_PKEY_PARAM_RSA_FACTOR1));
    appendTlv(rsaData, 0x02, bnParam(rsa.get(), OSSL_PKEY_PARAM_RSA_FACTOR2));
    appendTlv(rsaData, 0x03, bnParam(rsa.get(), OSSL_PKEY_PARAM_RSA_EXPONENT1));
    appendTlv(rsaData, 0x04, bnParam(rsa.get(), OSSL_PKEY_PARAM_RSA_EXPONENT2));
    appendTlv(rsaData, 0x05, bnParam(rsa.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1));
    append(rsaData, fromHex("AA 01 01"));  // PIN policy never
    EXPECT_EQ(swHex(card.transmit(0xFE, 0x06, 0x9D, rsaData, std::nullopt)), "6982");
    card.authenticateMgmt(defaultMgmtKey());
    EXPECT_EQ(swHex(card.transmit(0xFE, 0x07, 0x9D, rsaData, std::nullopt)), "6A80");  // 1024-bit as 2048
    ASSERT_EQ(swHex(card.transmit(0xFE, 0x06, 0x9D, rsaData, std::nullopt)), "9000");
    Bytes tampered = rsaData;
    tampered[tampered.size() - 10] ^= 0x01;  // corrupt qInv
    EXPECT_EQ(swHex(card.transmit(0xFE, 0x06, 0x82, tampered, std::nullopt)), "6A80");

    Bytes ecData = makeTlv(0x06, bnParam(ec.get(), OSSL_PKEY_PARAM_PRIV_KEY, 32));
    ASSERT_EQ(swHex(card.transmit(0xFE, 0x11, 0x82, ecData, std::nullopt)), "9000");

    Bytes digest = sha256("imported");
    ResponseApdu rsaSig =
        card.transmit(0x87, 0x06, 0x9D, generalAuthenticate(0x81, pkcs1Sha256(digest, 128)));
    ASSERT_EQ(swHex(rsaSig), "9000");  // policy "never": no PIN needed
    EXPECT_TRUE(verifySha256(rsa.get(), digest, authOutput(rsaSig), true));
    card.verifyPin();
    ResponseApdu ecSig = card.transmit(0x87, 0x11, 0x82, generalAuthenticate(0x81, digest));
    EXPECT_TRUE(verifySha256(ec.get(), digest, authOutput(ecSig), false));

    ResponseApdu meta = card.send("00 F7 00 82 00");
    ASSERT_EQ(swHex(meta), "9000");
    EXPECT_EQ(toHex(Bytes(meta.data.begin(), meta.data.begin() + 10)), "01011102020201030102");
}
