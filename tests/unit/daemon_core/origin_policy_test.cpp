// Origin allowlist, capabilities per origin, Host check against DNS rebinding.
#include <gtest/gtest.h>

#include "cardbridge/daemon/core/origin_policy.hpp"

namespace cardbridge::daemon {
namespace {

OriginPolicy policy() {
    return OriginPolicy({{"https://www.platform.example", false},
                         {"HTTPS://Trusted.Example:443/", true},
                         {"https://dev.platform.example:8443", false},
                         {"not an origin", true}},
                        23443);
}

TEST(OriginPolicyTest, OwnOriginsGetEverything) {
    auto p = policy();
    for (const char* origin : {"https://127.0.0.1:23443", "https://localhost:23443", "https://[::1]:23443"}) {
        auto grant = p.grantFor(origin);
        ASSERT_TRUE(grant) << origin;
        EXPECT_TRUE(grant->ownOrigin);
        EXPECT_TRUE(grant->capabilities.has(Capability::Read));
        EXPECT_TRUE(grant->capabilities.has(Capability::StartUnlock));
        EXPECT_TRUE(grant->capabilities.has(Capability::Secrets));
    }
}

TEST(OriginPolicyTest, PlatformOriginsGetReadAndStartUnlockButNoSecretsByDefault) {
    auto grant = policy().grantFor("https://www.platform.example");
    ASSERT_TRUE(grant);
    EXPECT_FALSE(grant->ownOrigin);
    EXPECT_TRUE(grant->capabilities.has(Capability::Read));
    EXPECT_TRUE(grant->capabilities.has(Capability::StartUnlock));
    EXPECT_FALSE(grant->capabilities.has(Capability::Secrets));
    EXPECT_EQ(capabilityNames(grant->capabilities), (std::vector<std::string>{"read", "startUnlock"}));
}

TEST(OriginPolicyTest, AllowSecretsIsPerPlatformOriginAndConfiguredOriginsAreNormalised) {
    auto grant = policy().grantFor("https://trusted.example");
    ASSERT_TRUE(grant);
    EXPECT_TRUE(grant->capabilities.has(Capability::Secrets));
    EXPECT_FALSE(grant->ownOrigin);
    EXPECT_TRUE(policy().grantFor("https://dev.platform.example:8443"));
}

TEST(OriginPolicyTest, EverythingElseIsRefused) {
    auto p = policy();
    for (const char* origin :
         {"", "null", "https://evil.example", "http://www.platform.example",
          "https://www.platform.example:444", "https://www.platform.example.evil.example",
          "https://127.0.0.1:23444", "http://127.0.0.1:23443", "https://127.0.0.1", "https://localhost",
          "https://[::1]:23444", "https://platform.example", "https://www.platform.example/path",
          "not an origin"}) {
        EXPECT_FALSE(p.grantFor(origin)) << origin;
    }
}

TEST(OriginPolicyTest, HostMustBeLoopbackNameWithOurPort) {
    auto p = policy();
    for (const char* host : {"127.0.0.1:23443", "localhost:23443", "LOCALHOST:23443", "[::1]:23443"})
        EXPECT_TRUE(p.hostAllowed(host)) << host;
    for (const char* host :
         {"", "127.0.0.1", "localhost", "127.0.0.1:23444", "evil.example:23443", "rebind.evil.example:23443",
          "127.0.0.2:23443", "0.0.0.0:23443", "[::1]", "127.0.0.1:23443.evil.example", "localhost.:23443"})
        EXPECT_FALSE(p.hostAllowed(host)) << host;
}

TEST(OriginPolicyTest, NormaliseOrigin) {
    EXPECT_EQ(normaliseOrigin("HTTPS://Example.COM:443/"), "https://example.com");
    EXPECT_EQ(normaliseOrigin("http://example.com:80"), "http://example.com");
    EXPECT_EQ(normaliseOrigin("https://example.com:8443"), "https://example.com:8443");
    EXPECT_EQ(normaliseOrigin("https://[::1]:23443"), "https://[::1]:23443");
    EXPECT_FALSE(normaliseOrigin("ftp://example.com"));
    EXPECT_FALSE(normaliseOrigin("https://"));
    EXPECT_FALSE(normaliseOrigin("https://exa mple.com"));
    EXPECT_FALSE(normaliseOrigin("https://example.com/path"));
    EXPECT_FALSE(normaliseOrigin("https://user@example.com"));
    EXPECT_FALSE(normaliseOrigin("https://example.com:99999"));
    EXPECT_FALSE(normaliseOrigin("https://example.com:"));
    EXPECT_FALSE(normaliseOrigin("https://*.example.com"));
}

}  // namespace
}  // namespace cardbridge::daemon
