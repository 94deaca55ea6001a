// The minted root and leaf: chain verifies (OpenSSL API and the openssl CLI), the root's name constraints
// and pathLen 0 as parsed extensions, the leaf's SANs, P-256 keys, and constraints that really bite.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "cardbridge/common/certificate.hpp"
#include "cardbridge/localtls/local_tls.hpp"
#include "local_tls_internal.hpp"
#include "temp_dir.hpp"

namespace cardbridge::localtls {
namespace {

using Clock = std::chrono::system_clock;
using FractionalDays = std::chrono::duration<double, std::ratio<86400>>;

struct X509StackFree {
    void operator()(STACK_OF(X509) * s) const noexcept { sk_X509_free(s); }
};

X509Ptr readCert(const std::filesystem::path& path, std::size_t index = 0) {
    const auto pem = detail::readSmallFile(path);
    if (!pem) return nullptr;
    auto certs = detail::parseCertificates(*pem);
    return index < certs.size() ? std::move(certs[index]) : nullptr;
}

Bytes asn1Bytes(const ASN1_STRING* s) {
    const unsigned char* data = ASN1_STRING_get0_data(s);
    return Bytes(data, data + ASN1_STRING_length(s));
}

struct GeneralNameValue {
    int type;
    Bytes value;
    friend bool operator==(const GeneralNameValue&, const GeneralNameValue&) = default;
};

GeneralNameValue valueOf(const GENERAL_NAME* name) {
    if (name->type == GEN_DNS) return {GEN_DNS, asn1Bytes(name->d.dNSName)};
    if (name->type == GEN_IPADD) return {GEN_IPADD, asn1Bytes(name->d.iPAddress)};
    return {name->type, {}};
}

class MintTest : public ::testing::Test {
  protected:
    void SetUp() override {
        files_ = ensureLocalTls(dir_.path(), now_);
        root_ = readCert(files_.rootCertPath);
        leaf_ = readCert(files_.leafChainPath, 0);
        ASSERT_TRUE(root_);
        ASSERT_TRUE(leaf_);
    }

    test::TempDir dir_;
    Clock::time_point now_ = Clock::now();
    LocalTlsFiles files_;
    X509Ptr root_;
    X509Ptr leaf_;
};

TEST_F(MintTest, ReportsMintedFilesWithTheirNames) {
    EXPECT_TRUE(files_.minted);
    EXPECT_FALSE(files_.reason.empty());
    EXPECT_EQ(files_.rootCertPath, dir_.path() / "local-root.pem");
    EXPECT_EQ(files_.leafChainPath, dir_.path() / "localhost.pem");
    EXPECT_EQ(files_.leafKeyPath, dir_.path() / "localhost.key");
    EXPECT_EQ(files_.rootSha256Fingerprint, detail::sha256Fingerprint(root_.get()));
    EXPECT_EQ(files_.rootSha256Fingerprint.size(), 64u);
    EXPECT_EQ(files_.leafNotAfter, detail::notAfter(leaf_.get()));
}

TEST_F(MintTest, ChainFileIsLeafThenRoot) {
    const auto pem = detail::readSmallFile(files_.leafChainPath);
    ASSERT_TRUE(pem);
    const auto chain = detail::parseCertificates(*pem);
    ASSERT_EQ(chain.size(), 2u);
    EXPECT_EQ(X509_cmp(chain[1].get(), root_.get()), 0);
    EXPECT_NE(X509_cmp(chain[0].get(), root_.get()), 0);
}

TEST_F(MintTest, ChainVerifiesWithTheRootAsOnlyAnchor) {
    EXPECT_EQ(detail::verifyLeaf(leaf_.get(), root_.get(), now_), X509_V_OK);

    // Plain OpenSSL, no helper of ours: a store with just the root, default verification.
    std::unique_ptr<X509_STORE, OpenSslDeleter<X509_STORE_free>> store(X509_STORE_new());
    ASSERT_EQ(X509_STORE_add_cert(store.get(), root_.get()), 1);
    std::unique_ptr<X509_STORE_CTX, OpenSslDeleter<X509_STORE_CTX_free>> ctx(X509_STORE_CTX_new());
    ASSERT_EQ(X509_STORE_CTX_init(ctx.get(), store.get(), leaf_.get(), nullptr), 1);
    EXPECT_EQ(X509_verify_cert(ctx.get()), 1)
        << X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
}

TEST_F(MintTest, OpenSslCommandLineVerifiesTheChain) {
    const auto result =
        detail::runProcess({"openssl", "verify", "-x509_strict", "-purpose", "sslserver", "-CAfile",
                            files_.rootCertPath.string(), files_.leafChainPath.string()});
    ASSERT_TRUE(result.started) << result.err;
    EXPECT_EQ(result.exitCode, 0) << result.out << result.err;
    EXPECT_NE(result.out.find(": OK"), std::string::npos) << result.out;
}

TEST_F(MintTest, OpenSslCommandLineRejectsTheChainAgainstAnotherRoot) {
    test::TempDir other;
    const LocalTlsFiles otherFiles = ensureLocalTls(other.path(), now_);
    const auto result = detail::runProcess(
        {"openssl", "verify", "-CAfile", otherFiles.rootCertPath.string(), files_.leafChainPath.string()});
    ASSERT_TRUE(result.started) << result.err;
    EXPECT_NE(result.exitCode, 0) << result.out;
}

TEST_F(MintTest, RootIsCaWithPathLenZeroAndCriticalConstraints) {
    int critical = -1;
    std::unique_ptr<BASIC_CONSTRAINTS, OpenSslDeleter<BASIC_CONSTRAINTS_free>> bc(
        static_cast<BASIC_CONSTRAINTS*>(
            X509_get_ext_d2i(root_.get(), NID_basic_constraints, &critical, nullptr)));
    ASSERT_TRUE(bc);
    EXPECT_EQ(critical, 1);
    EXPECT_NE(bc->ca, 0);
    ASSERT_NE(bc->pathlen, nullptr);
    EXPECT_EQ(ASN1_INTEGER_get(bc->pathlen), 0);

    std::unique_ptr<ASN1_BIT_STRING, OpenSslDeleter<ASN1_BIT_STRING_free>> ku(
        static_cast<ASN1_BIT_STRING*>(X509_get_ext_d2i(root_.get(), NID_key_usage, &critical, nullptr)));
    ASSERT_TRUE(ku);
    EXPECT_EQ(critical, 1);
    EXPECT_EQ(X509_get_key_usage(root_.get()), static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));

    EXPECT_NE(X509_get0_subject_key_id(root_.get()), nullptr);
    EXPECT_NE(X509_get0_authority_key_id(root_.get()), nullptr);
    EXPECT_NE(X509_get0_subject_key_id(leaf_.get()), nullptr);
    ASSERT_NE(X509_get0_authority_key_id(leaf_.get()), nullptr);
    EXPECT_EQ(
        ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(leaf_.get()), X509_get0_subject_key_id(root_.get())),
        0);
}

TEST_F(MintTest, RootNameConstraintsPermitExactlyTheLoopbackNames) {
    int critical = -1;
    std::unique_ptr<NAME_CONSTRAINTS, OpenSslDeleter<NAME_CONSTRAINTS_free>> nc(
        static_cast<NAME_CONSTRAINTS*>(
            X509_get_ext_d2i(root_.get(), NID_name_constraints, &critical, nullptr)));
    ASSERT_TRUE(nc);
    EXPECT_EQ(critical, 1);
    EXPECT_EQ(nc->excludedSubtrees, nullptr);
    ASSERT_NE(nc->permittedSubtrees, nullptr);
    std::vector<GeneralNameValue> permitted;
    for (int i = 0; i < sk_GENERAL_SUBTREE_num(nc->permittedSubtrees); ++i)
        permitted.push_back(valueOf(sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, i)->base));

    const Bytes ipv4{127, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF};
    Bytes ipv6(32, 0);
    ipv6[15] = 1;
    std::fill(ipv6.begin() + 16, ipv6.end(), 0xFF);
    const std::vector<GeneralNameValue> expected{
        {GEN_DNS, toBytes("localhost")}, {GEN_IPADD, ipv4}, {GEN_IPADD, ipv6}};
    EXPECT_EQ(permitted, expected);
}

TEST_F(MintTest, LeafIsServerOnlyWithTheThreeSans) {
    EXPECT_EQ(X509_check_ca(leaf_.get()), 0);
    EXPECT_EQ(X509_get_key_usage(leaf_.get()), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));
    EXPECT_EQ(X509_get_extended_key_usage(leaf_.get()), static_cast<uint32_t>(XKU_SSL_SERVER));

    std::unique_ptr<GENERAL_NAMES, OpenSslDeleter<GENERAL_NAMES_free>> sans(
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf_.get(), NID_subject_alt_name, nullptr, nullptr)));
    ASSERT_TRUE(sans);
    std::vector<GeneralNameValue> names;
    for (int i = 0; i < sk_GENERAL_NAME_num(sans.get()); ++i)
        names.push_back(valueOf(sk_GENERAL_NAME_value(sans.get(), i)));
    Bytes ipv6(16, 0);
    ipv6[15] = 1;
    const std::vector<GeneralNameValue> expected{
        {GEN_DNS, toBytes("localhost")}, {GEN_IPADD, Bytes{127, 0, 0, 1}}, {GEN_IPADD, ipv6}};
    EXPECT_EQ(names, expected);
    EXPECT_TRUE(detail::coversLoopbackNames(leaf_.get()));
}

TEST_F(MintTest, KeysAreP256AndSignaturesSha256) {
    for (X509* cert : {root_.get(), leaf_.get()}) {
        const Certificate parsed = Certificate::fromDer(Bytes([&] {
            unsigned char* der = nullptr;
            const int len = i2d_X509(cert, &der);
            Bytes out(der, der + len);
            OPENSSL_free(der);
            return out;
        }()));
        EXPECT_EQ(parsed.publicKey().algorithm, "EC");
        EXPECT_EQ(parsed.publicKey().curve, "P-256");
        EXPECT_EQ(parsed.signatureAlgorithm(), "ecdsa-with-SHA256");
    }
    const EvpPkeyPtr key = detail::readPrivateKeyFile(files_.leafKeyPath);
    ASSERT_TRUE(key);
    std::array<char, 64> group{};
    ASSERT_EQ(EVP_PKEY_get_group_name(key.get(), group.data(), group.size(), nullptr), 1);
    EXPECT_STREQ(group.data(), "prime256v1");
}

TEST_F(MintTest, ValidityPeriodsAreAsDocumented) {
    const auto rootLife = detail::notAfter(root_.get()) - now_;
    const auto leafLife = detail::notAfter(leaf_.get()) - now_;
    EXPECT_NEAR(FractionalDays(rootLife).count(), ROOT_VALIDITY.count(), 0.01);
    EXPECT_NEAR(FractionalDays(leafLife).count(), LEAF_VALIDITY.count(), 0.01);
    EXPECT_LT(leafLife, rootLife);
}

TEST_F(MintTest, RootSubjectNamesTheProject) {
    const std::string subject = [&] {
        std::array<char, 256> text{};
        X509_NAME_oneline(X509_get_subject_name(root_.get()), text.data(), static_cast<int>(text.size()));
        return std::string(text.data());
    }();
    EXPECT_NE(subject.find("/O=cardbridge"), std::string::npos) << subject;
    EXPECT_NE(subject.find("/CN=cardbridge local root "), std::string::npos) << subject;
}

TEST(NameConstraints, LeafForAnotherDnsNameIsRejected) {
    const auto now = Clock::now();
    const detail::CertAndKey root = detail::mintRoot("constraint test root", now);
    const detail::CertAndKey leaf = detail::mintLeaf(root, {"example.com"}, {}, now);
    EXPECT_EQ(detail::verifyLeaf(leaf.cert.get(), root.cert.get(), now), X509_V_ERR_PERMITTED_VIOLATION);
}

TEST(NameConstraints, LeafForAnotherIpIsRejected) {
    const auto now = Clock::now();
    const detail::CertAndKey root = detail::mintRoot("constraint test root", now);
    const detail::CertAndKey leaf = detail::mintLeaf(root, {}, {"10.0.0.1"}, now);
    EXPECT_EQ(detail::verifyLeaf(leaf.cert.get(), root.cert.get(), now), X509_V_ERR_PERMITTED_VIOLATION);
}

TEST(NameConstraints, LeafSneakingAnExtraNameIsRejected) {
    const auto now = Clock::now();
    const detail::CertAndKey root = detail::mintRoot("constraint test root", now);
    const detail::CertAndKey leaf = detail::mintLeaf(root, {"localhost", "bank.example"}, {"127.0.0.1"}, now);
    EXPECT_EQ(detail::verifyLeaf(leaf.cert.get(), root.cert.get(), now), X509_V_ERR_PERMITTED_VIOLATION);
}

TEST(NameConstraints, SameCodeAcceptsTheLoopbackLeaf) {
    const auto now = Clock::now();
    const detail::CertAndKey root = detail::mintRoot("constraint test root", now);
    const detail::CertAndKey leaf = detail::mintLeaf(root, {"localhost"}, {"127.0.0.1", "::1"}, now);
    EXPECT_EQ(detail::verifyLeaf(leaf.cert.get(), root.cert.get(), now), X509_V_OK);
}

TEST(NameConstraints, RootCannotSignASubCa) {
    // pathLen 0: an intermediate under the root is refused even for permitted names.
    const auto now = Clock::now();
    const detail::CertAndKey root = detail::mintRoot("pathlen test root", now);
    detail::CertAndKey sub = detail::mintRoot("sub", now);
    // Re-sign the sub-CA's certificate under the root: same extensions, issuer = root, no stale AKI.
    const int aki = X509_get_ext_by_NID(sub.cert.get(), NID_authority_key_identifier, -1);
    ASSERT_GE(aki, 0);
    X509_EXTENSION_free(X509_delete_ext(sub.cert.get(), aki));
    ASSERT_EQ(X509_set_issuer_name(sub.cert.get(), X509_get_subject_name(root.cert.get())), 1);
    ASSERT_GT(X509_sign(sub.cert.get(), root.key.get(), EVP_sha256()), 0);
    const detail::CertAndKey leaf = detail::mintLeaf(sub, {"localhost"}, {"127.0.0.1", "::1"}, now);

    std::unique_ptr<X509_STORE, OpenSslDeleter<X509_STORE_free>> store(X509_STORE_new());
    ASSERT_EQ(X509_STORE_add_cert(store.get(), root.cert.get()), 1);
    std::unique_ptr<STACK_OF(X509), X509StackFree> untrusted(sk_X509_new_null());
    ASSERT_GT(sk_X509_push(untrusted.get(), sub.cert.get()), 0);
    std::unique_ptr<X509_STORE_CTX, OpenSslDeleter<X509_STORE_CTX_free>> ctx(X509_STORE_CTX_new());
    ASSERT_EQ(X509_STORE_CTX_init(ctx.get(), store.get(), leaf.cert.get(), untrusted.get()), 1);
    EXPECT_NE(X509_verify_cert(ctx.get()), 1);
    EXPECT_EQ(X509_STORE_CTX_get_error(ctx.get()), X509_V_ERR_PATH_LENGTH_EXCEEDED);
}

}  // namespace
}  // namespace cardbridge::localtls
