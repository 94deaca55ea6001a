// inspectLocalTls for doctor: stable codes in order, each check turning into a problem when it should.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "cardbridge/localtls/local_tls.hpp"
#include "local_tls_internal.hpp"
#include "temp_dir.hpp"

namespace cardbridge::localtls {
namespace {

using Clock = std::chrono::system_clock;
namespace fs = std::filesystem;

const Finding* find(const std::vector<Finding>& findings, std::string_view code) {
    for (const auto& f : findings)
        if (f.code == code) return &f;
    return nullptr;
}

std::vector<std::string> problems(const std::vector<Finding>& findings) {
    std::vector<std::string> out;
    for (const auto& f : findings)
        if (f.status != FindingStatus::Ok) out.push_back(f.code);
    return out;
}

class InspectTest : public ::testing::Test {
  protected:
    void SetUp() override { files_ = ensureLocalTls(dir_.path(), now_); }

    test::TempDir dir_;
    Clock::time_point now_ = Clock::now();
    LocalTlsFiles files_;
};

TEST_F(InspectTest, FreshSetIsAllOkWithStableCodesInOrder) {
    const auto findings = inspectLocalTls(dir_.path(), now_);
    std::vector<std::string> codes;
    for (const auto& f : findings) {
        codes.push_back(f.code);
        EXPECT_EQ(f.status, FindingStatus::Ok) << f.code << ": " << f.messageEn;
        EXPECT_FALSE(f.messageZh.empty());
        EXPECT_FALSE(f.messageEn.empty());
    }
    const std::vector<std::string> expected{"tls.files",  "tls.key_permissions", "tls.key_match",
                                            "tls.chain",  "tls.root_profile",    "tls.leaf_names",
                                            "tls.expiry", "tls.renewal"};
    EXPECT_EQ(codes, expected);
}

TEST_F(InspectTest, MissingFolderIsOneFilesProblem) {
    const auto findings = inspectLocalTls(dir_.path() / "nowhere", now_);
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].code, FINDING_FILES);
    EXPECT_EQ(findings[0].status, FindingStatus::Problem);
    EXPECT_NE(findings[0].messageEn.find("localhost.key"), std::string::npos) << findings[0].messageEn;
    EXPECT_FALSE(fs::exists(dir_.path() / "nowhere")) << "inspect changes nothing";
}

TEST_F(InspectTest, CorruptKeyIsAFilesProblem) {
    detail::writeFileAtomically(files_.leafKeyPath, "-----BEGIN PRIVATE KEY-----\ngarbage\n", 0600);
    const auto findings = inspectLocalTls(dir_.path(), now_);
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].status, FindingStatus::Problem);
    EXPECT_NE(findings[0].messageEn.find("corrupt"), std::string::npos) << findings[0].messageEn;
}

TEST_F(InspectTest, GroupReadableKeyIsAPermissionsProblem) {
    fs::permissions(files_.leafKeyPath, fs::perms::group_read, fs::perm_options::add);
    EXPECT_EQ(problems(inspectLocalTls(dir_.path(), now_)), std::vector<std::string>{"tls.key_permissions"});
}

TEST_F(InspectTest, ForeignChainIsAChainAndKeyProblem) {
    test::TempDir other;
    const LocalTlsFiles foreign = ensureLocalTls(other.path(), now_);
    fs::copy_file(foreign.leafChainPath, files_.leafChainPath, fs::copy_options::overwrite_existing);
    const auto found = problems(inspectLocalTls(dir_.path(), now_));
    EXPECT_EQ(found, (std::vector<std::string>{"tls.key_match", "tls.chain"}));
}

TEST_F(InspectTest, RootWithoutConstraintsIsAProfileProblem) {
    // A leaf for the loopback names under an unconstrained CA: everything else checks out.
    detail::CertAndKey root = detail::mintRoot("x", now_);
    const int index = X509_get_ext_by_NID(root.cert.get(), NID_name_constraints, -1);
    ASSERT_GE(index, 0);
    X509_EXTENSION_free(X509_delete_ext(root.cert.get(), index));
    ASSERT_GT(X509_sign(root.cert.get(), root.key.get(), EVP_sha256()), 0);
    const detail::CertAndKey leaf = detail::mintLeaf(root, {"localhost"}, {"127.0.0.1", "::1"}, now_);

    const std::string rootPem = detail::certificatePem(root.cert.get());
    detail::writeFileAtomically(files_.rootCertPath, rootPem, 0644);
    detail::writeFileAtomically(files_.leafChainPath, detail::certificatePem(leaf.cert.get()) + rootPem,
                                0644);
    detail::StagedFile(files_.leafKeyPath, leaf.key.get()).commit();
    EXPECT_EQ(problems(inspectLocalTls(dir_.path(), now_)), std::vector<std::string>{"tls.root_profile"});
}

TEST_F(InspectTest, LeafWithoutLoopbackNamesIsANamesProblem) {
    const detail::CertAndKey root = detail::mintRoot("x", now_);
    const detail::CertAndKey leaf = detail::mintLeaf(root, {"localhost"}, {"127.0.0.1"}, now_);  // no ::1
    const std::string rootPem = detail::certificatePem(root.cert.get());
    detail::writeFileAtomically(files_.rootCertPath, rootPem, 0644);
    detail::writeFileAtomically(files_.leafChainPath, detail::certificatePem(leaf.cert.get()) + rootPem,
                                0644);
    detail::StagedFile(files_.leafKeyPath, leaf.key.get()).commit();
    EXPECT_EQ(problems(inspectLocalTls(dir_.path(), now_)), std::vector<std::string>{"tls.leaf_names"});
}

TEST_F(InspectTest, RenewalDueBeforeExpiry) {
    const auto findings = inspectLocalTls(dir_.path(), files_.leafNotAfter - std::chrono::days(5));
    EXPECT_EQ(problems(findings), std::vector<std::string>{"tls.renewal"});
    EXPECT_NE(find(findings, FINDING_RENEWAL)->messageEn.find("5 days left"), std::string::npos)
        << find(findings, FINDING_RENEWAL)->messageEn;
}

TEST_F(InspectTest, ExpiredIsAnExpiryProblem) {
    const auto findings = inspectLocalTls(dir_.path(), files_.leafNotAfter + std::chrono::hours(1));
    EXPECT_EQ(problems(findings), (std::vector<std::string>{"tls.expiry", "tls.renewal"}));
}

TEST_F(InspectTest, NotYetValidIsAnExpiryProblem) {
    const auto findings = inspectLocalTls(dir_.path(), now_ - std::chrono::days(1));
    EXPECT_EQ(find(findings, FINDING_EXPIRY)->status, FindingStatus::Problem);
}

TEST(FindingStatusNames, AreStable) {
    EXPECT_EQ(toString(FindingStatus::Ok), "ok");
    EXPECT_EQ(toString(FindingStatus::Problem), "problem");
    EXPECT_EQ(toString(FindingStatus::Unknown), "unknown");
}

}  // namespace
}  // namespace cardbridge::localtls
