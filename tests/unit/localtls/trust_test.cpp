// Trust checks: a system-style store (file bundle), the NSS database through the real certutil, and the
// parser of certutil's listing.
#include <gtest/gtest.h>
#include <openssl/x509.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "cardbridge/common/error.hpp"
#include "cardbridge/localtls/local_tls.hpp"
#include "local_tls_internal.hpp"
#include "temp_dir.hpp"

namespace cardbridge::localtls {
namespace {

using Clock = std::chrono::system_clock;
namespace fs = std::filesystem;

bool haveCertutil() {
    return detail::runProcess({"certutil", "-H"}).started;
}

std::string mintedRootPem(const fs::path& dir) {
    const LocalTlsFiles files = ensureLocalTls(dir, Clock::now());
    return detail::readSmallFile(files.rootCertPath).value_or("");
}

TEST(CertutilList, ParsesNicknamesWithSpacesAndTrustFlags) {
    const std::string output =
        "\n"
        "Certificate Nickname                                         Trust Attributes\n"
        "                                                             SSL,S/MIME,JAR/XPI\n"
        "\n"
        "cardbridge local root 0123456789ABCDEF                       C,,  \n"
        "Some Corp Root CA - G2                                       CT,C,C\n"
        "user cert                                                    u,u,u\n";
    const auto entries = detail::parseCertutilList(output);
    ASSERT_EQ(entries.size(), 3u);
    EXPECT_EQ(entries[0].nickname, "cardbridge local root 0123456789ABCDEF");
    EXPECT_EQ(entries[0].trust, "C,,");
    EXPECT_EQ(entries[1].nickname, "Some Corp Root CA - G2");
    EXPECT_EQ(entries[1].trust, "CT,C,C");
    EXPECT_EQ(entries[2].trust, "u,u,u");
}

TEST(CertutilList, EmptyDatabaseHasNoEntries) {
    const std::string output =
        "\nCertificate Nickname                                         Trust Attributes\n"
        "                                                             SSL,S/MIME,JAR/XPI\n\n";
    EXPECT_TRUE(detail::parseCertutilList(output).empty());
}

TEST(NssNickname, IsPrefixPlusFingerprintStart) {
    EXPECT_EQ(nssNickname("0123456789ABCDEF0123456789ABCDEF"), "cardbridge local root 0123456789ABCDEF");
}

TEST(SystemTrust, StoreHoldingTheRootTrustsIt) {
    test::TempDir dir;
    const std::string rootPem = mintedRootPem(dir.path() / "a");
    const std::string otherPem = mintedRootPem(dir.path() / "b");
    const fs::path bundle = dir.path() / "bundle.crt";
    detail::writeFileAtomically(bundle, otherPem + rootPem, 0644);
    auto roots = detail::parseCertificates(rootPem);
    ASSERT_EQ(roots.size(), 1u);
    EXPECT_EQ(detail::isTrustedByStore(roots[0].get(), bundle.string(), "").state, TrustState::Trusted);

    detail::writeFileAtomically(bundle, otherPem, 0644);
    const TrustCheck check = detail::isTrustedByStore(roots[0].get(), bundle.string(), "");
    EXPECT_EQ(check.state, TrustState::NotTrusted);
    EXPECT_NE(check.detail.find(bundle.string()), std::string::npos) << check.detail;
}

TEST(SystemTrust, SameSubjectButDifferentKeyIsNotTrusted) {
    // Two roots minted with the same subject name: the store must compare certificates, not names.
    const auto now = Clock::now();
    const detail::CertAndKey a = detail::mintRoot("same name", now);
    const detail::CertAndKey b = detail::mintRoot("same name", now);
    test::TempDir dir;
    const fs::path bundle = dir.path() / "bundle.crt";
    detail::writeFileAtomically(bundle, detail::certificatePem(b.cert.get()), 0644);
    EXPECT_EQ(detail::isTrustedByStore(a.cert.get(), bundle.string(), "").state, TrustState::NotTrusted);
}

TEST(SystemTrust, FreshRootIsNotInTheSystemStore) {
    test::TempDir dir;
    const TrustCheck check = isTrustedBySystem(mintedRootPem(dir.path()));
    EXPECT_EQ(check.state, TrustState::NotTrusted) << check.detail;
}

TEST(SystemTrust, GarbageIsAnInputError) {
    EXPECT_THROW((void)isTrustedBySystem("not a pem"), InputError);
}

class NssTrustTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!haveCertutil()) GTEST_SKIP() << "certutil (libnss3-tools) not installed";
        files_ = ensureLocalTls(dir_.path() / "state", Clock::now());
        rootPem_ = detail::readSmallFile(files_.rootCertPath).value_or("");
        ASSERT_FALSE(rootPem_.empty());
    }
    fs::path nssDb() const { return dir_.path() / "home" / ".pki" / "nssdb"; }

    test::TempDir dir_;
    LocalTlsFiles files_;
    std::string rootPem_;
};

TEST_F(NssTrustTest, MissingDatabaseIsNotTrusted) {
    const TrustCheck check = isTrustedByNss(rootPem_, nssDb());
    EXPECT_EQ(check.state, TrustState::NotTrusted);
    EXPECT_NE(check.detail.find("no NSS database"), std::string::npos) << check.detail;
}

TEST_F(NssTrustTest, TrustedAfterTrustInNssAndOtherRootsAreNot) {
    trustInNss(files_.rootCertPath, nssDb(), nssNickname(files_.rootSha256Fingerprint));
    EXPECT_TRUE(fs::exists(nssDb() / "cert9.db"));
    const TrustCheck check = isTrustedByNss(rootPem_, nssDb());
    EXPECT_EQ(check.state, TrustState::Trusted) << check.detail;

    test::TempDir other;
    EXPECT_EQ(isTrustedByNss(mintedRootPem(other.path()), nssDb()).state, TrustState::NotTrusted);
}

TEST_F(NssTrustTest, TrustingANewRootRemovesTheOldOne) {
    trustInNss(files_.rootCertPath, nssDb(), nssNickname(files_.rootSha256Fingerprint));
    test::TempDir other;
    const LocalTlsFiles renewed = ensureLocalTls(other.path(), Clock::now());
    trustInNss(renewed.rootCertPath, nssDb(), nssNickname(renewed.rootSha256Fingerprint));

    EXPECT_EQ(isTrustedByNss(detail::readSmallFile(renewed.rootCertPath).value_or(""), nssDb()).state,
              TrustState::Trusted);
    EXPECT_EQ(isTrustedByNss(rootPem_, nssDb()).state, TrustState::NotTrusted);
    const auto list = detail::runProcess({"certutil", "-L", "-d", "sql:" + nssDb().string()});
    std::size_t ours = 0;
    for (const auto& entry : detail::parseCertutilList(list.out))
        if (entry.nickname.rfind(NSS_NICKNAME_PREFIX, 0) == 0) ++ours;
    EXPECT_EQ(ours, 1u);
}

TEST_F(NssTrustTest, PresentWithoutTheCFlagIsNotTrusted) {
    fs::create_directories(nssDb());
    const std::string db = "sql:" + nssDb().string();
    ASSERT_EQ(detail::runProcess({"certutil", "-N", "-d", db, "--empty-password"}).exitCode, 0);
    ASSERT_EQ(detail::runProcess({"certutil", "-A", "-d", db, "-n", "someone else's name", "-t", ",,", "-i",
                                  files_.rootCertPath.string()})
                  .exitCode,
              0);
    const TrustCheck check = isTrustedByNss(rootPem_, nssDb());
    EXPECT_EQ(check.state, TrustState::NotTrusted);
    EXPECT_NE(check.detail.find("lacks C"), std::string::npos) << check.detail;
}

TEST_F(NssTrustTest, DoctorFindingsFollowTheDatabase) {
    auto findings = inspectLocalTrust(dir_.path() / "state", nssDb());
    ASSERT_EQ(findings.size(), 2u);
    EXPECT_EQ(findings[0].code, FINDING_TRUST_SYSTEM);
    EXPECT_EQ(findings[0].status, FindingStatus::Problem);
    EXPECT_EQ(findings[1].code, FINDING_TRUST_NSS);
    EXPECT_EQ(findings[1].status, FindingStatus::Problem);

    trustInNss(files_.rootCertPath, nssDb(), nssNickname(files_.rootSha256Fingerprint));
    findings = inspectLocalTrust(dir_.path() / "state", nssDb());
    ASSERT_EQ(findings.size(), 2u);
    EXPECT_EQ(findings[1].status, FindingStatus::Ok) << findings[1].messageEn;
}

TEST(NssTrust, MissingCertutilIsUnknown) {
    test::TempDir dir;
    const std::string rootPem = mintedRootPem(dir.path() / "state");
    fs::create_directories(dir.path() / "db");
    detail::writeFileAtomically(dir.path() / "db" / "cert9.db", "", 0600);
    const char* savedPath = std::getenv("PATH");
    const std::string saved = savedPath ? savedPath : "";
    ::setenv("PATH", dir.path().c_str(), 1);  // no certutil there
    const TrustCheck check = isTrustedByNss(rootPem, dir.path() / "db");
    ::setenv("PATH", saved.c_str(), 1);
    EXPECT_EQ(check.state, TrustState::Unknown);
    EXPECT_NE(check.detail.find("libnss3-tools"), std::string::npos) << check.detail;
}

TEST(NssTrust, TrustInNssRejectsANonCertificate) {
    test::TempDir dir;
    const fs::path bogus = dir.path() / "bogus.pem";
    detail::writeFileAtomically(bogus, "hello", 0644);
    EXPECT_THROW(trustInNss(bogus, dir.path() / "db", "cardbridge local root x"), InputError);
}

}  // namespace
}  // namespace cardbridge::localtls
