// Static UI: target sanitising (pure), content types, security headers, and the canonical-path check.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cardbridge/daemon/net/static_site.hpp"
#include "cardbridge/daemon/net/token_bucket.hpp"
#include "temp_dir.hpp"

namespace cardbridge::daemon {
namespace {

namespace fs = std::filesystem;

TEST(SanitiseTargetTest, MapsOrdinaryTargets) {
    EXPECT_EQ(sanitiseTarget("/"), "index.html");
    EXPECT_EQ(sanitiseTarget("/index.html"), "index.html");
    EXPECT_EQ(sanitiseTarget("/css/app.css?v=2"), "css/app.css");
    EXPECT_EQ(sanitiseTarget("/a/b/#frag"), "a/b/index.html");
    EXPECT_EQ(sanitiseTarget("/%E8%AF%81%E4%B9%A6.txt"), "证书.txt");
    EXPECT_EQ(sanitiseTarget("/file%20name.js"), "file name.js");
}

TEST(SanitiseTargetTest, RefusesEverythingThatCouldLeaveTheRoot) {
    for (const char* target : {"",
                               "index.html",
                               "../etc/passwd",
                               "/../etc/passwd",
                               "/a/../../etc/passwd",
                               "/..",
                               "/.",
                               "/./index.html",
                               "/%2e%2e/etc/passwd",
                               "/%2E%2E/",
                               "/.%2e/",
                               "/%2e./",
                               "//etc/passwd",
                               "/a//b",
                               "/..\\..\\etc\\passwd",
                               "/a%5c..%5cb",
                               "/a%2fb",
                               "/a%2F..%2Fb",
                               "/a%00.html",
                               "/a\x01.html",
                               "/C:/windows",
                               "/c%3a/x",
                               "/.git/config",
                               "/.env",
                               "/%",
                               "/%2",
                               "/%zz",
                               "/%252e%252e/",
                               "http://evil/",
                               "*"}) {
        EXPECT_FALSE(sanitiseTarget(target)) << target;
    }
    EXPECT_FALSE(sanitiseTarget("/" + std::string(4096, 'a')));
}

TEST(ContentTypeTest, KnownAndUnknownExtensions) {
    EXPECT_EQ(contentTypeFor("index.html"), "text/html; charset=utf-8");
    EXPECT_EQ(contentTypeFor("a/app.JS"), "text/javascript; charset=utf-8");
    EXPECT_EQ(contentTypeFor("style.css"), "text/css; charset=utf-8");
    EXPECT_EQ(contentTypeFor("x.json"), "application/json");
    EXPECT_EQ(contentTypeFor("logo.svg"), "image/svg+xml");
    EXPECT_EQ(contentTypeFor("font.woff2"), "font/woff2");
    EXPECT_EQ(contentTypeFor("noext"), "application/octet-stream");
    EXPECT_EQ(contentTypeFor("x.exe"), "application/octet-stream");
}

std::string headerOf(const HttpReply& reply, const std::string& name) {
    for (const auto& [key, value] : reply.headers)
        if (key == name) return value;
    return "";
}

class StaticSiteTest : public ::testing::Test {
  protected:
    void SetUp() override {
        fs::create_directories(base_ / "root" / "sub");
        fs::create_directories(base_ / "root" / "withindex");
        write(base_ / "root" / "index.html", "<!doctype html>首页");
        write(base_ / "root" / "withindex" / "index.html", "inner");
        write(base_ / "root" / "app.js", "console.log(1)");
        write(base_ / "secret.txt", "outside");
        fs::create_symlink(base_ / "secret.txt", base_ / "root" / "link.txt");
        fs::create_directory_symlink(base_, base_ / "root" / "up");
    }

    static void write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

    test::TempDir dir_{"cardbridge-static"};
    const fs::path base_ = dir_.path();
};

TEST_F(StaticSiteTest, ServesFilesWithTypesAndSecurityHeaders) {
    StaticSite site(base_ / "root", 23443, nullptr);
    auto reply = site.handle("GET", "/");
    EXPECT_EQ(reply.status, 200U);
    EXPECT_EQ(reply.body, "<!doctype html>首页");
    EXPECT_EQ(headerOf(reply, "Content-Type"), "text/html; charset=utf-8");
    EXPECT_NE(headerOf(reply, "Content-Security-Policy").find("frame-ancestors 'none'"), std::string::npos);
    EXPECT_NE(headerOf(reply, "Content-Security-Policy").find("wss://127.0.0.1:23443"), std::string::npos);
    EXPECT_EQ(headerOf(reply, "X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(headerOf(reply, "Referrer-Policy"), "no-referrer");
    EXPECT_EQ(headerOf(reply, "Cache-Control"), "no-store");

    reply = site.handle("GET", "/app.js");
    EXPECT_EQ(reply.status, 200U);
    EXPECT_EQ(headerOf(reply, "Content-Type"), "text/javascript; charset=utf-8");
    EXPECT_EQ(site.handle("GET", "/withindex/").body, "inner");

    reply = site.handle("HEAD", "/app.js");
    EXPECT_EQ(reply.status, 200U);
    EXPECT_TRUE(reply.body.empty());
    EXPECT_EQ(reply.contentLength, 14U);
}

TEST_F(StaticSiteTest, MissingFilesAndFoldersAre404WithoutListing) {
    StaticSite site(base_ / "root", 23443, nullptr);
    EXPECT_EQ(site.handle("GET", "/missing.html").status, 404U);
    EXPECT_EQ(site.handle("GET", "/sub").status, 404U);
    EXPECT_EQ(site.handle("GET", "/sub/").status, 404U);
    EXPECT_EQ(site.handle("GET", "/webui/").status, 404U);
}

TEST_F(StaticSiteTest, SymlinksOutOfTheRootAreNotFollowed) {
    StaticSite site(base_ / "root", 23443, nullptr);
    auto reply = site.handle("GET", "/link.txt");
    EXPECT_EQ(reply.status, 404U);
    EXPECT_EQ(reply.body.find("outside"), std::string::npos);
    EXPECT_EQ(site.handle("GET", "/up/secret.txt").status, 404U);
}

TEST_F(StaticSiteTest, TraversalIsRefusedAndOtherMethodsAre405) {
    StaticSite site(base_ / "root", 23443, nullptr);
    for (const char* target : {"/../secret.txt", "/%2e%2e/secret.txt", "//secret.txt", "/..%5csecret.txt"}) {
        auto reply = site.handle("GET", target);
        EXPECT_EQ(reply.status, 400U) << target;
        EXPECT_EQ(reply.body.find("outside"), std::string::npos);
    }
    auto reply = site.handle("POST", "/");
    EXPECT_EQ(reply.status, 405U);
    EXPECT_EQ(headerOf(reply, "Allow"), "GET, HEAD");
}

TEST_F(StaticSiteTest, HealthIsJsonFromTheCallback) {
    StaticSite site(base_ / "root", 23443, [](std::string_view, std::string_view) {
        return nlohmann::json{{"pcsc", "ok"}};
    });
    auto reply = site.handle("GET", "/health");
    EXPECT_EQ(reply.status, 200U);
    EXPECT_EQ(headerOf(reply, "Content-Type"), "application/json");
    EXPECT_EQ(nlohmann::json::parse(reply.body).at("pcsc"), "ok");
}

TEST_F(StaticSiteTest, MissingRootServes404) {
    StaticSite site(base_ / "nope", 23443, nullptr);
    EXPECT_EQ(site.handle("GET", "/").status, 404U);
}

TEST(TokenBucketTest, AllowsBurstThenRefillsAtRate) {
    auto t0 = TokenBucket::Clock::now();
    TokenBucket bucket(10, t0);
    for (int i = 0; i < 10; ++i) EXPECT_TRUE(bucket.take(t0)) << i;
    EXPECT_FALSE(bucket.take(t0));
    EXPECT_FALSE(bucket.take(t0 + std::chrono::milliseconds(50)));
    EXPECT_TRUE(bucket.take(t0 + std::chrono::milliseconds(160)));
    // Never more than the burst, however long it was idle.
    auto later = t0 + std::chrono::hours(1);
    int taken = 0;
    while (bucket.take(later)) ++taken;
    EXPECT_EQ(taken, 10);
}

}  // namespace
}  // namespace cardbridge::daemon
