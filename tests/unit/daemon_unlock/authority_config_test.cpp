// The authority.* keys of cardbridged.json, the https URL parser, and turning them into client options
// (CA file, owner-only token file).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "cardbridge/daemon/core/config.hpp"
#include "cardbridge/daemon/unlock/authority_client.hpp"
#include "temp_dir.hpp"

namespace cardbridge::daemon {
namespace {

namespace fs = std::filesystem;

class AuthorityConfigTest : public ::testing::Test {
  protected:
    ConfigLoad loadText(const std::string& text) {
        std::ofstream(dir_ / "cardbridged.json") << text;
        DefaultPaths defaults{dir_ / "cardbridged.json", dir_ / "state"};
        return loadConfig(dir_ / "cardbridged.json", defaults);
    }

    static bool hasProblem(const ConfigLoad& load, const std::string& prefix) {
        for (const auto& p : load.problems) {
            if (p.rfind(prefix, 0) == 0) return true;
        }
        return false;
    }

    void writeToken(const std::string& text, fs::perms perms) {
        std::ofstream(dir_ / "token") << text;
        fs::permissions(dir_ / "token", perms);
    }

    test::TempDir tempDir_{"cardbridge-authority-config"};
    const fs::path dir_ = tempDir_.path();
};

TEST(HttpsUrl, HostPortAndBasePath) {
    std::string problem;
    auto url = parseHttpsUrl("https://Unlock.Example.cn", problem);
    ASSERT_TRUE(url) << problem;
    EXPECT_EQ(url->host, "unlock.example.cn");
    EXPECT_EQ(url->port, 443);
    EXPECT_EQ(url->basePath, "");
    url = parseHttpsUrl("https://127.0.0.1:8443/", problem);
    ASSERT_TRUE(url) << problem;
    EXPECT_EQ(url->host, "127.0.0.1");
    EXPECT_EQ(url->port, 8443);
    EXPECT_EQ(url->basePath, "");
    url = parseHttpsUrl("https://[::1]:9443/authority/", problem);
    ASSERT_TRUE(url) << problem;
    EXPECT_EQ(url->host, "::1");
    EXPECT_EQ(url->port, 9443);
    EXPECT_EQ(url->basePath, "/authority");
}

TEST(HttpsUrl, RefusesAnythingButPlainHttps) {
    for (const char* bad : {"http://unlock.example.cn", "ftp://x", "unlock.example.cn", "https://",
                            "https://:443", "https://user@host", "https://host?x=1", "https://host#frag",
                            "https://host:0", "https://host:65536", "https://host:", "https://ho st",
                            "https://host..cn", "https://[::1", "https://[::1]x", "https://h_st"}) {
        std::string problem;
        EXPECT_FALSE(parseHttpsUrl(bad, problem)) << bad;
        EXPECT_FALSE(problem.empty()) << bad;
    }
}

TEST_F(AuthorityConfigTest, DefaultsWhenAbsent) {
    const auto load = loadText("{}");
    EXPECT_TRUE(load.problems.empty());
    EXPECT_TRUE(load.config.authority.url.empty());
    EXPECT_EQ(load.config.authority.connectTimeoutSeconds, 10u);
    EXPECT_EQ(load.config.authority.requestTimeoutSeconds, 30u);
    EXPECT_EQ(load.config.authority.retries, 2u);
}

TEST_F(AuthorityConfigTest, AllKeysRead) {
    const auto load = loadText(R"({"authority": {"url": "https://127.0.0.1:8443", "caFile": "ca.pem",
        "tokenFile": "/etc/cardbridge/token", "connectTimeoutSeconds": 3, "requestTimeoutSeconds": 20,
        "retries": 0, "pollSeconds": 5, "offlineUrl": "https://www.szyxhc.com/offline-unlock"}})");
    EXPECT_TRUE(load.problems.empty()) << load.problems.front();
    EXPECT_EQ(load.config.authority.url, "https://127.0.0.1:8443");
    EXPECT_EQ(load.config.authority.caFile, dir_ / "ca.pem");  // relative to the config's folder
    EXPECT_EQ(load.config.authority.tokenFile, fs::path("/etc/cardbridge/token"));
    EXPECT_EQ(load.config.authority.connectTimeoutSeconds, 3u);
    EXPECT_EQ(load.config.authority.requestTimeoutSeconds, 20u);
    EXPECT_EQ(load.config.authority.retries, 0u);
    EXPECT_EQ(load.config.authority.pollSeconds, 5u);
    EXPECT_EQ(load.config.authority.offlineUrl, "https://www.szyxhc.com/offline-unlock");
}

TEST_F(AuthorityConfigTest, EveryBadValueIsAProblemAndKeepsItsDefault) {
    const auto load = loadText(R"({"authority": {"url": "http://127.0.0.1:8443", "caFile": "",
        "tokenFile": 5, "connectTimeoutSeconds": 0, "requestTimeoutSeconds": 601, "retries": 11, "proxy": 1,
        "pollSeconds": 0, "offlineUrl": "http://example.cn/x"}})");
    EXPECT_TRUE(hasProblem(load, "authority.url: 'http://127.0.0.1:8443' must start with https://"));
    EXPECT_TRUE(hasProblem(load, "authority.caFile: must not be empty"));
    EXPECT_TRUE(hasProblem(load, "authority.tokenFile: expected a string"));
    EXPECT_TRUE(hasProblem(load, "authority.connectTimeoutSeconds: 0 is outside 1-120"));
    EXPECT_TRUE(hasProblem(load, "authority.requestTimeoutSeconds: 601 is outside 1-600"));
    EXPECT_TRUE(hasProblem(load, "authority.retries: 11 is outside 0-10"));
    EXPECT_TRUE(hasProblem(load, "authority: unknown key 'proxy'"));
    EXPECT_TRUE(hasProblem(load, "authority.pollSeconds: 0 is outside 1-3600"));
    EXPECT_TRUE(hasProblem(load, "authority.offlineUrl: must be an https:// URL"));
    EXPECT_TRUE(load.config.authority.offlineUrl.empty());
    EXPECT_TRUE(load.config.authority.url.empty());
    EXPECT_EQ(load.config.authority.retries, 2u);
    EXPECT_TRUE(hasProblem(loadText(R"({"authority": []})"), "authority: expected an object"));
}

TEST_F(AuthorityConfigTest, AUrlNeedsItsCaAndToken) {
    const auto load = loadText(R"({"authority": {"url": "https://unlock.example.cn"}})");
    EXPECT_TRUE(hasProblem(load, "authority.caFile: is required"));
    EXPECT_TRUE(hasProblem(load, "authority.tokenFile: is required"));
}

TEST_F(AuthorityConfigTest, ClientOptionsReadTheCaAndTheFirstTokenLine) {
    std::ofstream(dir_ / "ca.pem") << "-----BEGIN CERTIFICATE-----\n";
    writeToken("# installation 7\n\n  tok-123  \r\nsecond\n", fs::perms::owner_read | fs::perms::owner_write);
    AuthorityConfig config;
    config.url = "https://127.0.0.1:9443/base";
    config.caFile = dir_ / "ca.pem";
    config.tokenFile = dir_ / "token";
    config.connectTimeoutSeconds = 4;
    config.retries = 1;
    const auto options = unlock::clientOptionsFromConfig(config);
    EXPECT_EQ(options.url.port, 9443);
    EXPECT_EQ(options.url.basePath, "/base");
    EXPECT_EQ(options.caPem, "-----BEGIN CERTIFICATE-----\n");
    EXPECT_EQ(options.token.view(), "tok-123");
    EXPECT_EQ(options.connectTimeout, std::chrono::seconds(4));
    EXPECT_EQ(options.retries, 1u);
}

TEST_F(AuthorityConfigTest, ClientOptionsRefuseATokenOthersCanRead) {
    std::ofstream(dir_ / "ca.pem") << "x";
    AuthorityConfig config;
    config.url = "https://127.0.0.1";
    config.caFile = dir_ / "ca.pem";
    config.tokenFile = dir_ / "token";
    writeToken("tok\n", fs::perms::owner_read | fs::perms::group_read);
    EXPECT_THROW((void)unlock::clientOptionsFromConfig(config), unlock::AuthorityConfigError);
    writeToken("# only a comment\n", fs::perms::owner_read | fs::perms::owner_write);
    EXPECT_THROW((void)unlock::clientOptionsFromConfig(config), unlock::AuthorityConfigError);
    config.url.clear();
    EXPECT_THROW((void)unlock::clientOptionsFromConfig(config), unlock::AuthorityConfigError);
    config.url = "https://127.0.0.1";
    config.caFile = dir_ / "missing.pem";
    writeToken("tok\n", fs::perms::owner_read | fs::perms::owner_write);
    EXPECT_THROW((void)unlock::clientOptionsFromConfig(config), unlock::AuthorityConfigError);
}

TEST(HttpsClient, ACaFileWithoutACertificateIsAConfigError) {
    unlock::AuthorityClientOptions options;
    options.url.host = "127.0.0.1";
    options.caPem = "not a certificate";
    EXPECT_THROW((void)unlock::makeHttpsAuthorityClient(options), unlock::AuthorityConfigError);
}

}  // namespace
}  // namespace cardbridge::daemon
