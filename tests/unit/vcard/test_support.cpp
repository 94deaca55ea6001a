#include "test_support.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>

#include <fstream>
#include <memory>

#include "cardbridge/common/tlv.hpp"

namespace vcardtest {

CardState testState() {
    return freshCardState(12345678, fromHex("00112233445566778899AABBCCDDEEFF"));
}

Card::Card(CardState state) : store(std::move(state)), applet(store, random) {}

ResponseApdu Card::send(std::string_view hex) {
    return send(fromHex(hex));
}

ResponseApdu Card::send(const Bytes& raw) {
    return ResponseApdu::parse(applet.process(raw));
}

ResponseApdu Card::transmit(std::uint8_t ins, std::uint8_t p1, std::uint8_t p2, const Bytes& data,
                            std::optional<std::size_t> le) {
    std::size_t offset = 0;
    while (data.size() - offset > 255) {
        CommandApdu chunk{0x10,
                          ins,
                          p1,
                          p2,
                          Bytes(data.begin() + static_cast<std::ptrdiff_t>(offset),
                                data.begin() + static_cast<std::ptrdiff_t>(offset + 255)),
                          std::nullopt};
        ResponseApdu r = send(chunk.encode());
        if (!r.ok()) return r;
        offset += 255;
    }
    CommandApdu last{0x00, ins, p1, p2, Bytes(data.begin() + static_cast<std::ptrdiff_t>(offset), data.end()),
                     le};
    ResponseApdu r = send(last.encode());
    Bytes all = r.data;
    while (r.sw1 == 0x61) {
        r = send(CommandApdu{0x00, 0xC0, 0x00, 0x00, {}, r.sw2 == 0 ? 256 : r.sw2}.encode());
        append(all, r.data);
    }
    r.data = all;
    return r;
}

void Card::select() {
    ASSERT_EQ(swHex(send("00 A4 04 00 09 A0 00 00 03 08 00 00 10 00 00")), "9000");
}

void Card::verifyPin(std::string_view pin) {
    Bytes apdu = fromHex("00 20 00 80 08");
    append(apdu, pad8(pin));
    ASSERT_EQ(swHex(send(apdu)), "9000");
}

void Card::authenticateMgmt(const Bytes& key) {
    ResponseApdu step1 = send("00 87 03 9B 04 7C 02 80 00");
    ASSERT_EQ(swHex(step1), "9000");
    ASSERT_EQ(step1.data.size(), 12u);
    Bytes witness = des3(key, Bytes(step1.data.begin() + 4, step1.data.end()), false);
    Bytes challenge = fromHex("0102030405060708");
    Bytes apdu = fromHex("00 87 03 9B 16 7C 14 80 08");
    append(apdu, witness);
    append(apdu, fromHex("81 08"));
    append(apdu, challenge);
    ResponseApdu step2 = send(apdu);
    ASSERT_EQ(swHex(step2), "9000");
    Bytes expected = fromHex("7C 0A 82 08");
    append(expected, des3(key, challenge, true));
    ASSERT_EQ(step2.data, expected);
}

Bytes pad8(std::string_view text) {
    Bytes out = toBytes(text);
    out.resize(8, 0xFF);
    return out;
}

Bytes des3(const Bytes& key, const Bytes& block, bool encrypt) {
    EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    EVP_CipherInit_ex(ctx.get(), EVP_des_ede3_ecb(), nullptr, key.data(), nullptr, encrypt ? 1 : 0);
    EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
    Bytes out(block.size() + 8);
    int len = 0, tail = 0;
    EVP_CipherUpdate(ctx.get(), out.data(), &len, block.data(), static_cast<int>(block.size()));
    EVP_CipherFinal_ex(ctx.get(), out.data() + len, &tail);
    out.resize(static_cast<std::size_t>(len + tail));
    return out;
}

EvpPkeyPtr makeRsa(int bits) {
    return EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits)));
}

EvpPkeyPtr makeP256() {
    return EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
}

std::string toPem(EVP_PKEY* key) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_PKCS8PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
}

std::string selfSignedPem(EVP_PKEY* key, const std::string& cn) {
    X509Ptr cert(X509_new());
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 42);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400L * 30);
    X509_set_pubkey(cert.get(), key);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()),
                               -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    X509_sign(cert.get(), key, EVP_sha256());
    BioPtr bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509(bio.get(), cert.get());
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
}

void writeFile(const std::string& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary);
    out << content;
}

std::string swHex(const ResponseApdu& r) {
    return toHex(Bytes{r.sw1, r.sw2});
}

}  // namespace vcardtest
