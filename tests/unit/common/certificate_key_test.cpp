// Public key algorithm and size, signature algorithm, key usage, extended key usage, CA flag.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "cardbridge/common/certificate.hpp"
#include "test_certs.hpp"

using namespace cardbridge;
using cardbridge::test::CertSpec;
using cardbridge::test::KeyKind;

namespace {

using Names = std::vector<std::string>;

bool contains(const Bytes& haystack, const Bytes& needle) {
    return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) != haystack.end();
}

Certificate mint(const CertSpec& spec) {
    return Certificate::fromDer(test::makeCertificate(spec).der);
}

CertSpec withKey(KeyKind kind) {
    CertSpec spec;
    spec.key = kind;
    return spec;
}

}  // namespace

TEST(CertificateKey, Rsa2048) {
    Certificate cert = mint(withKey(KeyKind::Rsa2048));
    EXPECT_EQ(cert.publicKey().algorithm, "RSA");
    EXPECT_EQ(cert.publicKey().curve, "");
    EXPECT_EQ(cert.publicKey().bits, 2048);
    EXPECT_EQ(cert.signatureAlgorithm(), "sha256WithRSAEncryption");
    EXPECT_EQ(cert.signatureAlgorithmOid(), "1.2.840.113549.1.1.11");
}

TEST(CertificateKey, Rsa1024) {
    Certificate cert = mint(withKey(KeyKind::Rsa1024));
    EXPECT_EQ(cert.publicKey().algorithm, "RSA");
    EXPECT_EQ(cert.publicKey().bits, 1024);
}

TEST(CertificateKey, EcP256AndP384) {
    Certificate p256 = mint(withKey(KeyKind::EcP256));
    EXPECT_EQ(p256.publicKey().algorithm, "EC");
    EXPECT_EQ(p256.publicKey().curve, "P-256");
    EXPECT_EQ(p256.publicKey().bits, 256);
    EXPECT_EQ(p256.signatureAlgorithm(), "ecdsa-with-SHA256");
    EXPECT_EQ(p256.signatureAlgorithmOid(), "1.2.840.10045.4.3.2");

    Certificate p384 = mint(withKey(KeyKind::EcP384));
    EXPECT_EQ(p384.publicKey().algorithm, "EC");
    EXPECT_EQ(p384.publicKey().curve, "P-384");
    EXPECT_EQ(p384.publicKey().bits, 384);
}

TEST(CertificateKey, Sm2KeySignedSm2WithSm3) {
    auto tc = test::makeCertificate(withKey(KeyKind::Sm2));
    // What is on the wire: id-ecPublicKey with the SM2 curve OID 1.2.156.10197.1.301, signed with
    // SM2-with-SM3 1.2.156.10197.1.501.
    ASSERT_TRUE(contains(tc.der, fromHex("06072A8648CE3D0201 06082A811CCF5501822D")));
    ASSERT_TRUE(contains(tc.der, fromHex("06082A811CCF55018375")));
    Certificate cert = Certificate::fromDer(tc.der);
    EXPECT_EQ(cert.publicKey().algorithm, "SM2");
    EXPECT_EQ(cert.publicKey().curve, "SM2");
    EXPECT_EQ(cert.publicKey().bits, 256);
    EXPECT_EQ(cert.signatureAlgorithm(), "SM2-with-SM3");
    EXPECT_EQ(cert.signatureAlgorithmOid(), "1.2.156.10197.1.501");
}

TEST(CertificateKey, SignatureAlgorithmIsTheIssuers) {
    CertSpec caSpec = withKey(KeyKind::Sm2);
    caSpec.isCa = true;
    auto sm2Ca = test::makeCertificate(caSpec);
    CertSpec leafSpec = withKey(KeyKind::Rsa2048);
    leafSpec.issuer = &sm2Ca;
    Certificate leaf = mint(leafSpec);
    EXPECT_EQ(leaf.publicKey().algorithm, "RSA");
    EXPECT_EQ(leaf.signatureAlgorithm(), "SM2-with-SM3");

    caSpec.key = KeyKind::EcP256;
    auto ecCa = test::makeCertificate(caSpec);
    leafSpec.key = KeyKind::Sm2;
    leafSpec.issuer = &ecCa;
    Certificate sm2Leaf = mint(leafSpec);
    EXPECT_EQ(sm2Leaf.publicKey().algorithm, "SM2");
    EXPECT_EQ(sm2Leaf.signatureAlgorithm(), "ecdsa-with-SHA256");
}

TEST(CertificateKey, KeyUsageNamesInBitOrder) {
    CertSpec spec;
    spec.keyUsage = Names{"keyAgreement", "digitalSignature", "nonRepudiation", "keyEncipherment"};
    EXPECT_EQ(mint(spec).keyUsage(),
              (Names{"digitalSignature", "nonRepudiation", "keyEncipherment", "keyAgreement"}));

    spec.keyUsage = Names{"decipherOnly", "keyAgreement", "dataEncipherment"};  // decipherOnly is bit 8
    EXPECT_EQ(mint(spec).keyUsage(), (Names{"dataEncipherment", "keyAgreement", "decipherOnly"}));

    spec.keyUsage = Names{"encipherOnly", "keyAgreement"};
    EXPECT_EQ(mint(spec).keyUsage(), (Names{"keyAgreement", "encipherOnly"}));
}

TEST(CertificateKey, DefaultEndEntityKeyUsageAndAbsentExtensions) {
    Certificate cert = mint(CertSpec{});
    EXPECT_EQ(cert.keyUsage(), (Names{"digitalSignature", "nonRepudiation"}));
    EXPECT_TRUE(cert.extendedKeyUsage().empty());
    EXPECT_FALSE(cert.isCa());
    EXPECT_EQ(cert.version(), 3);

    CertSpec bare;
    bare.keyUsage = Names{};
    EXPECT_TRUE(mint(bare).keyUsage().empty());
}

TEST(CertificateKey, ExtendedKeyUsageNamesAndUnknownOids) {
    CertSpec spec;
    spec.extendedKeyUsage = {"clientAuth", "emailProtection", "1.3.6.1.4.1.311.20.2.2", "1.2.156.99999.7"};
    EXPECT_EQ(mint(spec).extendedKeyUsage(),
              (Names{"clientAuth", "emailProtection", "msSmartcardLogin", "1.2.156.99999.7"}));

    spec.extendedKeyUsage = {"serverAuth", "codeSigning", "timeStamping", "OCSPSigning"};
    EXPECT_EQ(mint(spec).extendedKeyUsage(),
              (Names{"serverAuth", "codeSigning", "timeStamping", "OCSPSigning"}));
}

TEST(CertificateKey, CaCertificate) {
    CertSpec spec;
    spec.isCa = true;
    Certificate ca = mint(spec);
    EXPECT_TRUE(ca.isCa());
    EXPECT_EQ(ca.keyUsage(), (Names{"keyCertSign", "cRLSign"}));
}
