// The bundled UI over HTTPS: files, content types, traversal and odd paths, security headers, /health.
#include <fstream>
#include <iterator>

#include "net_fixture.hpp"

namespace cardbridge::test {
namespace {

class NetStaticTest : public NetFixture {
  protected:
    HttpsResponse get(const std::string& target, const std::string& method = "GET") {
        return httpsRequest(clientOptions(std::nullopt), method, target);
    }
};

void expectSecurityHeaders(const HttpsResponse& response) {
    EXPECT_NE(response.header("Content-Security-Policy").find("frame-ancestors 'none'"), std::string::npos);
    EXPECT_EQ(response.header("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(response.header("Referrer-Policy"), "no-referrer");
    EXPECT_FALSE(response.header("Cache-Control").empty());
}

TEST_F(NetStaticTest, ServesFilesWithContentTypesAndSecurityHeaders) {
    auto index = get("/");
    EXPECT_EQ(index.status, 200U);
    EXPECT_EQ(index.header("Content-Type"), "text/html; charset=utf-8");
    EXPECT_NE(index.body.find("证书助手"), std::string::npos);
    expectSecurityHeaders(index);
    EXPECT_EQ(get("/index.html").body, index.body);
    EXPECT_EQ(get("/app.js").header("Content-Type"), "text/javascript; charset=utf-8");
    EXPECT_EQ(get("/style.css").header("Content-Type"), "text/css; charset=utf-8");
    auto head = get("/app.js", "HEAD");
    EXPECT_EQ(head.status, 200U);
    EXPECT_TRUE(head.body.empty());
    EXPECT_EQ(get("/", "POST").status, 405U);
    expectStillServes();
}

TEST_F(NetStaticTest, TraversalAndOddPathsNeverLeaveTheRoot) {
    for (const char* target :
         {"/../etc/passwd", "/../secret.txt", "/%2e%2e/", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt",
          "//etc/passwd", "/..%5csecret.txt", "/a%00b", "/.hidden", "/C:/Windows/win.ini"}) {
        auto response = get(target);
        EXPECT_TRUE(response.status == 400U || response.status == 404U) << target << " → " << response.status;
        EXPECT_EQ(response.body.find("root:"), std::string::npos) << target;
        EXPECT_EQ(response.body.find(OUTSIDE_SECRET), std::string::npos) << target;
        expectSecurityHeaders(response);
    }
    expectStillServes();
}

TEST_F(NetStaticTest, FoldersAndMissingFilesAre404WithoutListing) {
    for (const char* target : {"/webui/", "/sub/", "/sub", "/missing.html", "/sub/missing.js"}) {
        auto response = get(target);
        EXPECT_EQ(response.status, 404U) << target;
        expectSecurityHeaders(response);
    }
    expectStillServes();
}

TEST_F(NetStaticTest, HealthIsJsonFromTheCallback) {
    auto response = get("/health");
    EXPECT_EQ(response.status, 200U);
    EXPECT_EQ(response.header("Content-Type"), "application/json");
    auto body = nlohmann::json::parse(response.body);
    EXPECT_EQ(body.at("status"), "ok");
    expectStillServes();
}

class NetBundledUiTest : public NetFixture {
    void customise(daemon::ServerOptions& options) override {
        options.webRoot = CARDBRIDGE_SOURCE_DIR "/webui";
    }
};

TEST_F(NetBundledUiTest, ServesTheRepositorysIndexHtmlAsIs) {
    std::ifstream file(CARDBRIDGE_SOURCE_DIR "/webui/index.html", std::ios::binary);
    ASSERT_TRUE(file);
    const std::string onDisk((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    auto root = httpsRequest(clientOptions(std::nullopt), "GET", "/");
    EXPECT_EQ(root.status, 200U);
    EXPECT_EQ(root.header("Content-Type"), "text/html; charset=utf-8");
    expectSecurityHeaders(root);
    EXPECT_EQ(root.body, onDisk);
    EXPECT_EQ(root.header("Content-Length"), std::to_string(onDisk.size()));
    EXPECT_EQ(httpsRequest(clientOptions(std::nullopt), "GET", "/index.html").body, onDisk);
}

}  // namespace
}  // namespace cardbridge::test
