// Renewal while running: the daily check (on a fake clock) renews a leaf that entered the renewal window,
// the TLS context hands the new leaf to the next handshake without a restart, and the new root is
// trusted where the old one was (NSS database through the real certutil, a system anchor file).
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "cardbridge/localtls/local_tls.hpp"
#include "cardbridge/localtls/renewal.hpp"
#include "local_tls_internal.hpp"
#include "temp_dir.hpp"

namespace cardbridge::localtls {
namespace {

using Clock = std::chrono::system_clock;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

bool haveCertutil() {
    return detail::runProcess({"certutil", "-H"}).started;
}

std::string serialHex(X509* cert) {
    BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
    char* hex = BN_bn2hex(bn);
    std::string out = hex;
    OPENSSL_free(hex);
    BN_free(bn);
    return out;
}

std::string leafSerialIn(const fs::path& chain) {
    auto certs = detail::parseCertificates(detail::readSmallFile(chain).value_or(""));
    return certs.empty() ? "" : serialHex(certs.front().get());
}

// One TLS handshake over a memory BIO pair against `serverCtx`: the serial of the leaf it presents.
std::string servedSerial(SSL_CTX* serverCtx) {
    SSL_CTX* clientCtx = SSL_CTX_new(TLS_client_method());
    SSL* client = SSL_new(clientCtx);
    SSL* server = SSL_new(serverCtx);
    BIO* clientBio = nullptr;
    BIO* serverBio = nullptr;
    BIO_new_bio_pair(&clientBio, 0, &serverBio, 0);
    SSL_set_bio(client, clientBio, clientBio);
    SSL_set_bio(server, serverBio, serverBio);
    SSL_set_connect_state(client);
    SSL_set_accept_state(server);
    bool done = false;
    for (int i = 0; i < 20 && !done; ++i) {
        const int c = SSL_do_handshake(client);
        const int s = SSL_do_handshake(server);
        done = c == 1 && s == 1;
    }
    std::string serial;
    if (X509* peer = SSL_get1_peer_certificate(client)) {
        serial = serialHex(peer);
        X509_free(peer);
    }
    SSL_free(client);
    SSL_free(server);
    SSL_CTX_free(clientCtx);
    return serial;
}

TEST(LocalTlsRenewal, DailyCheckRenewsALeafThatEnteredTheWindowAndNewHandshakesGetIt) {
    test::TempDir dir("cb-renewal");
    const auto start = Clock::now();
    const LocalTlsFiles first = ensureLocalTls(dir.path(), start);
    const std::string oldSerial = leafSerialIn(first.leafChainPath);

    // The server as cardbridged sets it up: files loaded into the context, then the identity installed.
    ServerIdentity identity;
    identity.load(first.leafChainPath, first.leafKeyPath);
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    ASSERT_EQ(SSL_CTX_use_certificate_chain_file(ctx, first.leafChainPath.c_str()), 1);
    ASSERT_EQ(SSL_CTX_use_PrivateKey_file(ctx, first.leafKeyPath.c_str(), SSL_FILETYPE_PEM), 1);
    identity.install(ctx);
    EXPECT_EQ(servedSerial(ctx), oldSerial);

    std::atomic<Clock::duration> offset{Clock::duration::zero()};
    TrustTargets noStores;
    noStores.nssDb.clear();
    noStores.systemAnchor.clear();
    std::atomic<int> renewed{0};
    RenewalTimer timer(
        dir.path(), noStores, identity, [&] { return start + offset.load(); }, 20ms,
        [&](const Renewal&) { ++renewed; });
    timer.start();

    // Days pass with the leaf outside the window: checks run, nothing is minted.
    offset = std::chrono::duration_cast<Clock::duration>(std::chrono::days(300));
    const auto quiet = std::chrono::steady_clock::now() + 5s;
    while (timer.checks() < 3 && std::chrono::steady_clock::now() < quiet) std::this_thread::sleep_for(5ms);
    ASSERT_GE(timer.checks(), 3u);
    EXPECT_EQ(renewed.load(), 0);
    EXPECT_EQ(servedSerial(ctx), oldSerial);

    // 340 days in, 25 days are left: inside the 30-day window. The next daily check renews.
    offset = std::chrono::duration_cast<Clock::duration>(std::chrono::days(340));
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (renewed.load() == 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(5ms);
    timer.stop();
    ASSERT_EQ(renewed.load(), 1);

    const std::string newSerial = leafSerialIn(dir.path() / LEAF_CHAIN_FILE);
    EXPECT_NE(newSerial, oldSerial);
    EXPECT_EQ(identity.leafSerialHex(), newSerial);
    EXPECT_EQ(servedSerial(ctx), newSerial) << "a new connection still gets the old leaf";
    SSL_CTX_free(ctx);
}

TEST(LocalTlsRenewal, NewRootGoesWhereTheOldOneWasTrustedAndTheOldOneLeaves) {
    if (!haveCertutil()) GTEST_SKIP() << "certutil (libnss3-tools) not installed";
    test::TempDir dir("cb-renewal");
    const fs::path state = dir.path() / "state";
    const auto start = Clock::now();
    const LocalTlsFiles first = ensureLocalTls(state, start);
    const std::string oldRoot = detail::readSmallFile(first.rootCertPath).value_or("");

    TrustTargets targets;
    targets.nssDb = dir.path() / "nssdb";
    targets.systemAnchor = dir.path() / "anchors" / "cardbridge-local-root.crt";
    targets.systemUpdate = {"true"};  // stands in for update-ca-certificates
    trustInNss(first.rootCertPath, targets.nssDb, nssNickname(first.rootSha256Fingerprint));
    fs::create_directories(targets.systemAnchor.parent_path());
    fs::copy_file(first.rootCertPath, targets.systemAnchor);
    ASSERT_EQ(isTrustedByNss(oldRoot, targets.nssDb).state, TrustState::Trusted);

    const Renewal renewal = renewLocalTls(state, start + std::chrono::days(340), targets);
    ASSERT_TRUE(renewal.files.minted);
    EXPECT_TRUE(renewal.problems.empty()) << renewal.problems.front();
    const std::string newRoot = detail::readSmallFile(renewal.files.rootCertPath).value_or("");
    ASSERT_NE(newRoot, oldRoot);
    EXPECT_EQ(isTrustedByNss(newRoot, targets.nssDb).state, TrustState::Trusted);
    EXPECT_EQ(isTrustedByNss(oldRoot, targets.nssDb).state, TrustState::NotTrusted);
    EXPECT_EQ(detail::readSmallFile(targets.systemAnchor).value_or(""), newRoot);
    EXPECT_EQ(renewal.retrusted, (std::vector<std::string>{"nss", "system"}));
}

TEST(LocalTlsRenewal, StoresThatDidNotTrustTheOldRootAreLeftAlone) {
    test::TempDir dir("cb-renewal");
    const fs::path state = dir.path() / "state";
    const auto start = Clock::now();
    ensureLocalTls(state, start);
    TrustTargets targets;
    targets.nssDb = dir.path() / "nssdb";  // no database there
    targets.systemAnchor = dir.path() / "anchors" / "cardbridge-local-root.crt";
    targets.systemUpdate = {"false"};

    const Renewal renewal = renewLocalTls(state, start + std::chrono::days(340), targets);
    ASSERT_TRUE(renewal.files.minted);
    EXPECT_TRUE(renewal.retrusted.empty());
    EXPECT_TRUE(renewal.problems.empty());
    EXPECT_FALSE(fs::exists(targets.systemAnchor));
    EXPECT_FALSE(fs::exists(targets.nssDb));
}

}  // namespace
}  // namespace cardbridge::localtls
