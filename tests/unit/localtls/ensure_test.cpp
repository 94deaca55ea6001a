// ensureLocalTls on disk: no root key anywhere, owner-only permissions, idempotence, renewal and
// re-minting over broken, mismatched or exposed files.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>

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

unsigned modeOf(const fs::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return 0xFFFFFFFFu;
    return static_cast<unsigned>(st.st_mode & 07777);
}

std::string readAll(const fs::path& path) {
    return detail::readSmallFile(path, 16 * 1024 * 1024).value_or("");
}

std::size_t countOccurrences(const std::string& text, const std::string& needle) {
    std::size_t count = 0;
    for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++count;
    return count;
}

X509Ptr certAt(const fs::path& path, std::size_t index = 0) {
    auto certs = detail::parseCertificates(readAll(path));
    return index < certs.size() ? std::move(certs[index]) : nullptr;
}

class EnsureTest : public ::testing::Test {
  protected:
    fs::path stateDir() const { return dir_.path() / "state" / "cardbridge"; }

    test::TempDir dir_;
    Clock::time_point now_ = Clock::now();
};

TEST_F(EnsureTest, NoPrivateKeyOfTheRootExistsOnDisk) {
    // Mint, renew once (a second root is minted and its key destroyed too), then look at every file.
    const LocalTlsFiles first = ensureLocalTls(stateDir(), now_);
    const LocalTlsFiles renewed = ensureLocalTls(stateDir(), first.leafNotAfter - std::chrono::days(10));
    ASSERT_TRUE(renewed.minted);
    const X509Ptr leaf = certAt(renewed.leafChainPath, 0);
    const X509Ptr root = certAt(renewed.rootCertPath);
    ASSERT_TRUE(leaf);
    ASSERT_TRUE(root);

    std::vector<EvpPkeyPtr> keys;
    std::size_t pemKeyBlocks = 0;
    std::size_t files = 0;
    for (const auto& entry : fs::recursive_directory_iterator(dir_.path())) {
        if (!entry.is_regular_file()) continue;
        ++files;
        const std::string content = readAll(entry.path());
        pemKeyBlocks += countOccurrences(content, "PRIVATE KEY-----") / 2;  // BEGIN and END lines
        BioPtr bio(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
        ASSERT_TRUE(bio);
        while (EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr))
            keys.emplace_back(key);
        (void)openSslErrors("");
    }
    EXPECT_EQ(files, 3u) << "only the root, the chain and the key; no temp or old files";
    EXPECT_EQ(pemKeyBlocks, 1u);
    ASSERT_EQ(keys.size(), 1u);
    EXPECT_EQ(EVP_PKEY_eq(keys.front().get(), X509_get0_pubkey(leaf.get())), 1);
    EXPECT_NE(EVP_PKEY_eq(keys.front().get(), X509_get0_pubkey(root.get())), 1);
}

TEST_F(EnsureTest, StateDirIsOwnerOnlyAndKeyIs0600) {
    const LocalTlsFiles files = ensureLocalTls(stateDir(), now_);
    EXPECT_EQ(modeOf(stateDir()), 0700u);
    EXPECT_EQ(modeOf(files.leafKeyPath), 0600u);
    EXPECT_EQ(modeOf(files.rootCertPath), 0644u);
    EXPECT_EQ(modeOf(files.leafChainPath), 0644u);
}

TEST_F(EnsureTest, ExistingWideStateDirIsTightened) {
    fs::create_directories(stateDir());
    fs::permissions(stateDir(), fs::perms::all);
    ASSERT_EQ(modeOf(stateDir()), 0777u);
    (void)ensureLocalTls(stateDir(), now_);
    EXPECT_EQ(modeOf(stateDir()), 0700u);
}

TEST_F(EnsureTest, SecondCallWithSameTimeMintsNothing) {
    const LocalTlsFiles first = ensureLocalTls(stateDir(), now_);
    const std::string keyBefore = readAll(first.leafKeyPath);
    const LocalTlsFiles second = ensureLocalTls(stateDir(), now_);
    EXPECT_TRUE(first.minted);
    EXPECT_FALSE(second.minted);
    EXPECT_TRUE(second.reason.empty());
    EXPECT_EQ(second.rootSha256Fingerprint, first.rootSha256Fingerprint);
    EXPECT_EQ(second.leafNotAfter, first.leafNotAfter);
    EXPECT_EQ(readAll(second.leafKeyPath), keyBefore);
}

TEST_F(EnsureTest, OutsideTheRenewalWindowNothingIsMinted) {
    const LocalTlsFiles first = ensureLocalTls(stateDir(), now_);
    const LocalTlsFiles later =
        ensureLocalTls(stateDir(), first.leafNotAfter - RENEWAL_WINDOW - std::chrono::days(1));
    EXPECT_FALSE(later.minted);
    EXPECT_EQ(later.rootSha256Fingerprint, first.rootSha256Fingerprint);
}

TEST_F(EnsureTest, InsideTheRenewalWindowANewRootAndLeafAreMinted) {
    const LocalTlsFiles first = ensureLocalTls(stateDir(), now_);
    const auto renewalTime = first.leafNotAfter - std::chrono::days(10);
    const LocalTlsFiles renewed = ensureLocalTls(stateDir(), renewalTime);
    EXPECT_TRUE(renewed.minted);
    EXPECT_NE(renewed.rootSha256Fingerprint, first.rootSha256Fingerprint);
    EXPECT_GT(renewed.leafNotAfter, first.leafNotAfter);
    EXPECT_NE(renewed.reason.find("Renewal due"), std::string::npos) << renewed.reason;
    // And the renewed set is stable at that time.
    EXPECT_FALSE(ensureLocalTls(stateDir(), renewalTime).minted);
}

TEST_F(EnsureTest, CorruptedLeafFileIsReplaced) {
    const LocalTlsFiles first = ensureLocalTls(stateDir(), now_);
    detail::writeFileAtomically(first.leafChainPath, "-----BEGIN CERTIFICATE-----\nnot base64\n", 0644);
    const LocalTlsFiles again = ensureLocalTls(stateDir(), now_);
    EXPECT_TRUE(again.minted);
    EXPECT_NE(again.rootSha256Fingerprint, first.rootSha256Fingerprint);
    EXPECT_TRUE(certAt(again.leafChainPath));
}

TEST_F(EnsureTest, KeyThatDoesNotMatchTheLeafIsReplaced) {
    const LocalTlsFiles first = ensureLocalTls(stateDir(), now_);
    const EvpPkeyPtr stranger = detail::generateP256Key();
    detail::StagedFile(first.leafKeyPath, stranger.get()).commit();
    const LocalTlsFiles again = ensureLocalTls(stateDir(), now_);
    EXPECT_TRUE(again.minted);
    EXPECT_NE(again.reason.find("does not match"), std::string::npos) << again.reason;
    const X509Ptr leaf = certAt(again.leafChainPath);
    const EvpPkeyPtr key = detail::readPrivateKeyFile(again.leafKeyPath);
    ASSERT_TRUE(leaf && key);
    EXPECT_EQ(X509_check_private_key(leaf.get(), key.get()), 1);
}

TEST_F(EnsureTest, LeafFromAnotherRootIsReplaced) {
    const LocalTlsFiles mine = ensureLocalTls(stateDir(), now_);
    test::TempDir otherDir;
    const LocalTlsFiles other = ensureLocalTls(otherDir.path(), now_);
    // A consistent leaf + key, but signed by a root that is not ours.
    fs::copy_file(other.leafChainPath, mine.leafChainPath, fs::copy_options::overwrite_existing);
    fs::copy_file(other.leafKeyPath, mine.leafKeyPath, fs::copy_options::overwrite_existing);
    const LocalTlsFiles again = ensureLocalTls(stateDir(), now_);
    EXPECT_TRUE(again.minted);
    const X509Ptr leaf = certAt(again.leafChainPath);
    const X509Ptr root = certAt(again.rootCertPath);
    ASSERT_TRUE(leaf && root);
    EXPECT_EQ(detail::verifyLeaf(leaf.get(), root.get(), now_), X509_V_OK);
}

TEST_F(EnsureTest, MissingRootFileIsReplaced) {
    const LocalTlsFiles first = ensureLocalTls(stateDir(), now_);
    fs::remove(first.rootCertPath);
    const LocalTlsFiles again = ensureLocalTls(stateDir(), now_);
    EXPECT_TRUE(again.minted);
    EXPECT_TRUE(fs::exists(again.rootCertPath));
}

TEST_F(EnsureTest, KeyReadableByOthersIsReplacedWithAFreshOwnerOnlyKey) {
    const LocalTlsFiles first = ensureLocalTls(stateDir(), now_);
    const std::string exposedKey = readAll(first.leafKeyPath);
    fs::permissions(first.leafKeyPath, fs::perms::others_read | fs::perms::group_read, fs::perm_options::add);
    const LocalTlsFiles again = ensureLocalTls(stateDir(), now_);
    EXPECT_TRUE(again.minted);
    EXPECT_EQ(modeOf(again.leafKeyPath), 0600u);
    EXPECT_NE(readAll(again.leafKeyPath), exposedKey);
}

TEST_F(EnsureTest, ExpiredSetIsReplaced) {
    const LocalTlsFiles first = ensureLocalTls(stateDir(), now_);
    const LocalTlsFiles again = ensureLocalTls(stateDir(), first.leafNotAfter + std::chrono::days(3));
    EXPECT_TRUE(again.minted);
    EXPECT_GT(again.leafNotAfter, first.leafNotAfter + std::chrono::days(300));
}

TEST_F(EnsureTest, UnwritableStateDirThrowsFatalError) {
    const fs::path blocker = dir_.path() / "file";
    detail::writeFileAtomically(blocker, "x", 0600);
    EXPECT_THROW((void)ensureLocalTls(blocker / "state", now_), FatalError);
}

}  // namespace
}  // namespace cardbridge::localtls
