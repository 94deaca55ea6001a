// The test certificate factory itself: signatures verify, chains link, SM2 works, files are private.
#include <gtest/gtest.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cardbridge/common/openssl.hpp"
#include "temp_dir.hpp"
#include "test_certs.hpp"

using namespace cardbridge;
using cardbridge::test::CertSpec;
using cardbridge::test::KeyKind;
using cardbridge::test::TempDir;

namespace {

X509Ptr parse(const Bytes& der) {
    const unsigned char* p = der.data();
    return X509Ptr(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

// OpenSSL 3.0 verifies SM2 signatures with an empty id unless the certificate carries one.
void setSm2Id(X509* cert) {
    ASN1_OCTET_STRING* id = ASN1_OCTET_STRING_new();
    ASSERT_NE(id, nullptr);
    ASSERT_EQ(ASN1_OCTET_STRING_set(id, reinterpret_cast<const unsigned char*>(test::SM2_DEFAULT_ID.data()),
                                    static_cast<int>(test::SM2_DEFAULT_ID.size())),
              1);
    X509_set0_distinguishing_id(cert, id);  // takes ownership
}

EvpPkeyPtr readKey(const std::string& pem) {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    return EvpPkeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

// Verifies `leaf` against `root` with OpenSSL's full chain verification at the current time.
bool chainVerifies(const test::TestCert& root, const test::TestCert& leaf, bool sm2Issuer) {
    X509Ptr rootCert = parse(root.der);
    X509Ptr leafCert = parse(leaf.der);
    if (sm2Issuer) {  // the id is an input of SM2 verification only; with RSA or ECDSA it is an error
        setSm2Id(leafCert.get());
        setSm2Id(rootCert.get());
    }
    std::unique_ptr<X509_STORE, OpenSslDeleter<X509_STORE_free>> store(X509_STORE_new());
    std::unique_ptr<X509_STORE_CTX, OpenSslDeleter<X509_STORE_CTX_free>> ctx(X509_STORE_CTX_new());
    X509_STORE_add_cert(store.get(), rootCert.get());
    X509_STORE_CTX_init(ctx.get(), store.get(), leafCert.get(), nullptr);
    const bool ok = X509_verify_cert(ctx.get()) == 1;
    if (!ok) ADD_FAILURE() << X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
    return ok;
}

}  // namespace

TEST(TestCerts, KeyMatchesCertificateAndPemMatchesDer) {
    for (KeyKind kind :
         {KeyKind::Rsa1024, KeyKind::Rsa2048, KeyKind::EcP256, KeyKind::EcP384, KeyKind::Sm2}) {
        CertSpec spec;
        spec.key = kind;
        auto tc = test::makeCertificate(spec);
        X509Ptr cert = parse(tc.der);
        ASSERT_TRUE(cert);
        EvpPkeyPtr key = readKey(tc.keyPem);
        ASSERT_TRUE(key);
        EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
        EXPECT_EQ(tc.keyPem.rfind("-----BEGIN PRIVATE KEY-----", 0), 0u);
        BioPtr bio(BIO_new_mem_buf(tc.certPem.data(), static_cast<int>(tc.certPem.size())));
        X509Ptr fromPem(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
        ASSERT_TRUE(fromPem);
        EXPECT_EQ(X509_cmp(fromPem.get(), cert.get()), 0);
    }
}

TEST(TestCerts, ChainsVerifyForEveryIssuerKind) {
    for (KeyKind caKind : {KeyKind::Rsa2048, KeyKind::EcP256, KeyKind::Sm2}) {
        CertSpec caSpec;
        caSpec.key = caKind;
        caSpec.isCa = true;
        caSpec.commonName = "测试CA";
        auto ca = test::makeCertificate(caSpec);
        CertSpec leafSpec;
        leafSpec.issuer = &ca;
        leafSpec.key = KeyKind::Sm2;
        auto leaf = test::makeCertificate(leafSpec);
        EXPECT_TRUE(chainVerifies(ca, leaf, caKind == KeyKind::Sm2)) << static_cast<int>(caKind);
        // Signed by the CA, not by itself.
        X509Ptr leafCert = parse(leaf.der);
        if (caKind == KeyKind::Sm2) setSm2Id(leafCert.get());
        EvpPkeyPtr caKey = readKey(ca.keyPem);
        EvpPkeyPtr leafKey = readKey(leaf.keyPem);
        EXPECT_EQ(X509_verify(leafCert.get(), caKey.get()), 1);
        EXPECT_NE(X509_verify(leafCert.get(), leafKey.get()), 1);
        ERR_clear_error();
    }
}

TEST(TestCerts, ReusesAGivenKey) {
    CertSpec spec;
    spec.keyPem = test::makePrivateKeyPem(KeyKind::Sm2);
    auto a = test::makeCertificate(spec);
    auto b = test::makeCertificate(spec);
    EXPECT_NE(a.der, b.der);  // different random serials
    X509Ptr certB = parse(b.der);
    EvpPkeyPtr key = readKey(spec.keyPem);
    EXPECT_EQ(X509_check_private_key(certB.get(), key.get()), 1);
}

TEST(TestCerts, OpensslCliVerifiesTheSm2Chain) {
    if (std::system("openssl version > /dev/null 2>&1") != 0) GTEST_SKIP() << "no openssl CLI";
    CertSpec caSpec;
    caSpec.key = KeyKind::Sm2;
    caSpec.isCa = true;
    auto ca = test::makeCertificate(caSpec);
    CertSpec leafSpec;
    leafSpec.key = KeyKind::Sm2;
    leafSpec.issuer = &ca;
    auto leaf = test::makeCertificate(leafSpec);
    const TempDir tempDir("cardbridge-test-certs");
    const auto& dir = tempDir.path();
    test::writeFile(dir / "ca.pem", ca.certPem);
    test::writeFile(dir / "leaf.pem", leaf.certPem);
    auto verify = [&dir](const std::string& options) {
        const std::string cmd = "openssl verify " + options + " -CAfile '" + (dir / "ca.pem").string() +
                                "' '" + (dir / "leaf.pem").string() + "' > '" + (dir / "out.txt").string() +
                                "' 2>&1";
        const int rc = std::system(cmd.c_str());
        std::ifstream in(dir / "out.txt");
        std::stringstream out;
        out << in.rdbuf();
        return std::make_pair(rc, out.str());
    };
    const auto withId = verify("-vfyopt distid:" + std::string(test::SM2_DEFAULT_ID));
    EXPECT_EQ(withId.first, 0) << withId.second;
    EXPECT_NE(withId.second.find(": OK"), std::string::npos) << withId.second;
    // Proves the signature used the GM/T id, not OpenSSL 3.0's empty default.
    const auto withoutId = verify("");
    EXPECT_NE(withoutId.first, 0) << withoutId.second;
}

TEST(TestCerts, WriteFileIsOwnerOnly) {
    const TempDir tempDir("cardbridge-test-certs");
    const auto& dir = tempDir.path();
    const auto path = dir / "key.pem";
    test::writeFile(path, "first");
    test::writeFile(path, "second");
    std::ifstream in(path, std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    EXPECT_EQ(content.str(), "second");
    const auto perms = std::filesystem::status(path).permissions();
    EXPECT_EQ(perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
              std::filesystem::perms::none);
    EXPECT_THROW(test::writeFile(dir / "missing" / "x", "y"), std::runtime_error);
}
