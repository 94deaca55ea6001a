// Only a cardbridge local root (loopback-only name constraints, pathLen 0) may go into the machine-wide
// stores: with --for-user the root file is the user's, and root must not spread any CA they put there.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "cardbridge/localtls/local_tls.hpp"
#include "local_tls_internal.hpp"
#include "temp_dir.hpp"

namespace cardbridge::localtls {
namespace {

namespace fs = std::filesystem;

// A self-signed CA made by the openssl program with the given extra extensions.
X509Ptr opensslCa(const fs::path& dir, const std::vector<std::string>& extensions) {
    std::vector<std::string> argv{"openssl",
                                  "req",
                                  "-x509",
                                  "-newkey",
                                  "ec",
                                  "-pkeyopt",
                                  "ec_paramgen_curve:P-256",
                                  "-nodes",
                                  "-keyout",
                                  (dir / "ca.key").string(),
                                  "-out",
                                  (dir / "ca.pem").string(),
                                  "-days",
                                  "30",
                                  "-subj",
                                  "/CN=cardbridge local root test"};
    for (const auto& extension : extensions) {
        argv.emplace_back("-addext");
        argv.push_back(extension);
    }
    const auto result = detail::runProcess(argv);
    if (result.exitCode != 0) return nullptr;
    auto certs = detail::parseCertificates(detail::readSmallFile(dir / "ca.pem").value_or(""));
    return certs.empty() ? nullptr : std::move(certs.front());
}

TEST(MachineStoreGuard, AMintedRootIsAccepted) {
    const auto root = detail::mintRoot("cardbridge local root test", std::chrono::system_clock::now());
    EXPECT_TRUE(detail::isLoopbackOnlyRoot(root.cert.get()));
}

TEST(MachineStoreGuard, ACaWithWiderOrNoNameConstraintsIsRefused) {
    test::TempDir dir("cardbridge-guard");
    const auto wider = opensslCa(
        dir.path(), {"basicConstraints=critical,CA:TRUE,pathlen:0",
                     "nameConstraints=critical,permitted;DNS:localhost,permitted;DNS:bank.example"});
    ASSERT_NE(wider, nullptr);
    EXPECT_FALSE(detail::isLoopbackOnlyRoot(wider.get()));
    const auto unconstrained = opensslCa(dir.path(), {"basicConstraints=critical,CA:TRUE,pathlen:0"});
    ASSERT_NE(unconstrained, nullptr);
    EXPECT_FALSE(detail::isLoopbackOnlyRoot(unconstrained.get()));
    const auto deeper = opensslCa(dir.path(), {"basicConstraints=critical,CA:TRUE",
                                               "nameConstraints=critical,permitted;DNS:localhost"});
    ASSERT_NE(deeper, nullptr);
    EXPECT_FALSE(detail::isLoopbackOnlyRoot(deeper.get()));
}

}  // namespace
}  // namespace cardbridge::localtls
