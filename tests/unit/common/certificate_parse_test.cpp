// DER and PEM in and out, SHA-256 fingerprint, serial number, and hostile input.
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <random>
#include <string>

#include "cardbridge/common/certificate.hpp"
#include "cardbridge/common/error.hpp"
#include "cardbridge/common/openssl.hpp"
#include "test_certs.hpp"

using namespace cardbridge;
using cardbridge::test::CertSpec;
using cardbridge::test::KeyKind;

namespace {

// Independent of the code under test: EVP_Digest + printf-style hex.
std::string sha256HexIndependently(const Bytes& der) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EXPECT_EQ(EVP_Digest(der.data(), der.size(), md, &len, EVP_sha256(), nullptr), 1);
    std::string out;
    char pair[3];
    for (unsigned int i = 0; i < len; ++i) {
        std::snprintf(pair, sizeof(pair), "%02X", md[i]);
        out += pair;
    }
    return out;
}

const Bytes SIGNED_SERIAL = fromHex("020400A1B2C3");

enum class Outcome { Parsed, Refused };

// Parses or throws InputError; anything else (another exception, a crash) fails the test. A parse must
// be consistent: the certificate keeps exactly the input bytes, its fingerprint is their SHA-256, its PEM
// parses back to the same certificate, and OpenSSL alone (an independent DER reader) accepts the bytes too.
Outcome parseConsistentlyOrRefuse(const Bytes& der) {
    std::optional<Certificate> cert;
    try {
        cert = Certificate::fromDer(der);
    } catch (const InputError&) {
        return Outcome::Refused;
    }
    EXPECT_EQ(cert->der(), der);
    EXPECT_EQ(cert->sha256Fingerprint(), sha256HexIndependently(der));
    EXPECT_EQ(Certificate::fromPem(cert->toPem()).sha256Fingerprint(), cert->sha256Fingerprint());
    const unsigned char* p = der.data();
    X509Ptr x509(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    EXPECT_TRUE(x509) << "parsed bytes OpenSSL refuses";
    EXPECT_EQ(p, der.data() + der.size()) << "parsed bytes with trailing data";
    return Outcome::Parsed;
}

}  // namespace

TEST(CertificateParse, FingerprintIsSha256OfTheDer) {
    for (KeyKind kind : {KeyKind::EcP256, KeyKind::Rsa2048, KeyKind::Sm2}) {
        CertSpec spec;
        spec.key = kind;
        auto tc = test::makeCertificate(spec);
        Certificate cert = Certificate::fromDer(tc.der);
        EXPECT_EQ(cert.sha256Fingerprint(), sha256HexIndependently(tc.der));
        EXPECT_EQ(cert.sha256Fingerprint().size(), 64u);
        EXPECT_EQ(cert.der(), tc.der);
    }
}

TEST(CertificateParse, SerialNumberIsUpperCaseHexOfTheContentOctets) {
    CertSpec spec;
    spec.serialHex = "0123456789abcdef42";
    EXPECT_EQ(Certificate::fromDer(test::makeCertificate(spec).der).serialNumber(), "0123456789ABCDEF42");
    spec.serialHex = "A1B2C3";  // high bit set: the DER has a 00 sign octet, the number does not
    auto tc = test::makeCertificate(spec);
    ASSERT_NE(std::search(tc.der.begin(), tc.der.end(), SIGNED_SERIAL.begin(), SIGNED_SERIAL.end()),
              tc.der.end());
    EXPECT_EQ(Certificate::fromDer(tc.der).serialNumber(), "A1B2C3");
    spec.serialHex = "0";
    EXPECT_EQ(Certificate::fromDer(test::makeCertificate(spec).der).serialNumber(), "00");
}

TEST(CertificateParse, PemRoundTrip) {
    auto tc = test::makeCertificate(CertSpec{});
    Certificate fromPem = Certificate::fromPem(tc.certPem);
    EXPECT_EQ(fromPem.der(), tc.der);
    EXPECT_EQ(fromPem.toPem(), tc.certPem);  // byte-identical with OpenSSL's PEM_write_bio_X509
    EXPECT_EQ(Certificate::fromPem(fromPem.toPem()), Certificate::fromDer(tc.der));
    EXPECT_EQ(fromPem.toPem().rfind("-----BEGIN CERTIFICATE-----\n", 0), 0u);
}

TEST(CertificateParse, PemSkipsOtherBlocksAndTakesTheFirstCertificate) {
    auto first = test::makeCertificate(CertSpec{});
    CertSpec other;
    other.commonName = "李四";
    auto second = test::makeCertificate(other);
    const std::string bundle = "leading text\n" + first.keyPem + first.certPem + second.certPem;
    EXPECT_EQ(Certificate::fromPem(bundle).der(), first.der);
    EXPECT_THROW(Certificate::fromPem(first.keyPem), InputError);
}

TEST(CertificateParse, BadPemIsInputError) {
    auto tc = test::makeCertificate(CertSpec{});
    EXPECT_THROW(Certificate::fromPem(""), InputError);
    EXPECT_THROW(Certificate::fromPem("not pem at all"), InputError);
    EXPECT_THROW(Certificate::fromPem("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"),
                 InputError);
    std::string truncated = tc.certPem.substr(0, tc.certPem.size() / 2);
    EXPECT_THROW(Certificate::fromPem(truncated), InputError);
    std::string huge = tc.certPem + std::string(MAX_CERTIFICATE_PEM_SIZE, '\n');
    EXPECT_THROW(Certificate::fromPem(huge), InputError);
}

TEST(CertificateParse, GarbageEmptyTrailingAndOversizedDerAreInputErrors) {
    auto tc = test::makeCertificate(CertSpec{});
    EXPECT_THROW(Certificate::fromDer(Bytes{}), InputError);
    EXPECT_THROW(Certificate::fromDer(fromHex("DEADBEEF")), InputError);
    EXPECT_THROW(Certificate::fromDer(fromHex("3000")), InputError);
    EXPECT_THROW(Certificate::fromDer(fromHex("3084FFFFFFFF")), InputError);  // claims 4 GB
    Bytes trailing = tc.der;
    trailing.push_back(0x00);
    EXPECT_THROW(Certificate::fromDer(trailing), InputError);
    Bytes oversized(MAX_CERTIFICATE_DER_SIZE + 1, 0x30);
    EXPECT_THROW(Certificate::fromDer(oversized), InputError);
    EXPECT_THROW(Certificate::fromDer(toBytes(tc.certPem)), InputError);  // PEM is not DER
}

TEST(CertificateParse, EveryTruncationIsInputError) {
    auto tc = test::makeCertificate(CertSpec{});
    for (std::size_t len = 0; len < tc.der.size(); ++len) {
        Bytes prefix(tc.der.begin(), tc.der.begin() + static_cast<std::ptrdiff_t>(len));
        EXPECT_THROW(Certificate::fromDer(prefix), InputError) << "prefix of " << len << " bytes";
    }
}

TEST(CertificateParse, CorruptedBytesAreRefusedOrParsedConsistently) {
    for (KeyKind kind : {KeyKind::EcP256, KeyKind::Sm2}) {
        std::size_t parsed = 0;
        std::size_t refused = 0;
        auto tally = [&](Outcome o) { ++(o == Outcome::Parsed ? parsed : refused); };
        CertSpec spec;
        spec.key = kind;
        spec.extendedKeyUsage = {"clientAuth"};
        spec.nameStringType = test::NameStringType::Bmp;
        auto tc = test::makeCertificate(spec);
        for (std::size_t i = 0; i < tc.der.size(); ++i) {
            for (int mask : {0x01, 0x80, 0xFF}) {
                Bytes mutated = tc.der;
                mutated[i] = static_cast<std::uint8_t>(mutated[i] ^ mask);
                tally(parseConsistentlyOrRefuse(mutated));
            }
        }
        std::mt19937 rng(1234);
        for (int round = 0; round < 2000; ++round) {
            Bytes mutated = tc.der;
            for (int k = 0; k < 4; ++k)
                mutated[rng() % mutated.size()] = static_cast<std::uint8_t>(rng() & 0xFF);
            tally(parseConsistentlyOrRefuse(mutated));
        }
        // Flipping bits in the outer structure must be refused, and the signature and other unchecked
        // bytes may change freely: both outcomes occur, so a parser accepting everything (or nothing) fails.
        EXPECT_EQ(parseConsistentlyOrRefuse(tc.der), Outcome::Parsed);
        EXPECT_GT(refused, tc.der.size()) << "corrupted DER accepted too often";
        EXPECT_GT(parsed, 0U) << "no corruption of a non-structural byte parsed";
    }
}

TEST(CertificateParse, DuplicatedExtensionIsInputError) {
    auto tc = test::makeCertificate(CertSpec{});
    // Re-sign the certificate with a second key usage extension: RFC 5280 forbids duplicates.
    const unsigned char* p = tc.der.data();
    X509Ptr x509(d2i_X509(nullptr, &p, static_cast<long>(tc.der.size())));
    ASSERT_TRUE(x509);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, x509.get(), x509.get(), nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_key_usage, "keyAgreement");
    ASSERT_NE(ext, nullptr);
    ASSERT_EQ(X509_add_ext(x509.get(), ext, -1), 1);
    X509_EXTENSION_free(ext);
    BioPtr bio(BIO_new_mem_buf(tc.keyPem.data(), static_cast<int>(tc.keyPem.size())));
    EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    ASSERT_TRUE(key);
    ASSERT_GT(X509_sign(x509.get(), key.get(), EVP_sha256()), 0);
    unsigned char* der = nullptr;
    const int len = i2d_X509(x509.get(), &der);
    ASSERT_GT(len, 0);
    Bytes duplicated(der, der + len);
    OPENSSL_free(der);
    EXPECT_THROW(Certificate::fromDer(duplicated), InputError);
}

TEST(CertificateParse, CopiesAreIndependentValues) {
    auto tc = test::makeCertificate(CertSpec{});
    Certificate a = Certificate::fromDer(tc.der);
    Certificate b = a;
    EXPECT_EQ(a, b);
    EXPECT_EQ(b.subject().first("CN"), "张三");
    CertSpec other;
    other.commonName = "王五";
    b = Certificate::fromDer(test::makeCertificate(other).der);
    EXPECT_NE(a, b);
    EXPECT_EQ(a.subject().first("CN"), "张三");
}
