// AuthorityConfig loader, owner-only key files, and the webhook SMS gateway against a local HTTP server.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "authority_fixture.hpp"
#include "cardbridge/authority/core/keys.hpp"

namespace cardbridge::authority::test {
namespace {

TEST(ConfigTest, ParsesKeysResolvesPathsAndReportsUnknown) {
    const auto loaded = parseAuthorityConfig(R"({
        "dataDir": "data", "issuingCaFiles": ["ca1.pem", "/etc/ca2.pem"],
        "masterKeyFile": "k/master", "idKeyFile": "k/id", "attachmentKeyFile": "k/att",
        "sms": {"kind": "webhook", "webhookUrl": "http://127.0.0.1:9/sms", "colour": 1},
        "limits": {"approvalValidDays": 10}, "uniformTimingMillis": 0, "extra": true})",
                                             "/srv/auth");
    const auto& c = loaded.config;
    EXPECT_EQ(c.dataDir, "/srv/auth/data");
    EXPECT_EQ(c.databasePath, "/srv/auth/data/authority.db");
    ASSERT_EQ(c.issuingCaFiles.size(), 2u);
    EXPECT_EQ(c.issuingCaFiles[1], "/etc/ca2.pem");
    EXPECT_EQ(c.sms.kind, "webhook");
    EXPECT_EQ(c.limits.approvalValidDays, 10);
    EXPECT_EQ(c.limits.reviewWorkingDays, 3);
    EXPECT_EQ(c.uniformTimingMillis, 0);
    EXPECT_EQ(loaded.warnings, (std::vector<std::string>{"unknown key 'sms.colour'", "unknown key 'extra'"}));
}

TEST(ConfigTest, OtherLayersKeysAreNotReported) {
    const auto root = nlohmann::json::parse(R"({"dataDir": "d", "issuingCaFiles": ["c"], "masterKeyFile": "m",
        "idKeyFile": "i", "attachmentKeyFile": "a", "listen": "0.0.0.0:8443"})");
    EXPECT_TRUE(parseAuthorityConfigJson(root, "/x", {"listen"}).warnings.empty());
}

TEST(ConfigTest, RefusesMissingKeysWrongTypesAndRanges) {
    EXPECT_THROW(parseAuthorityConfig(R"({"dataDir": "d"})", "/"), InputError);
    EXPECT_THROW(parseAuthorityConfig("{not json", "/"), InputError);
    // A number beyond a double is nlohmann's out_of_range, not a parse_error: still a config error.
    EXPECT_THROW(parseAuthorityConfig(R"({"dataDir": "d", "limits": {"reviewWorkingDays": 70e555}})", "/"),
                 InputError);
    const std::string base =
        R"("dataDir": "d", "issuingCaFiles": ["c"], "masterKeyFile": "m", "idKeyFile": "i", "attachmentKeyFile": "a")";
    EXPECT_THROW(parseAuthorityConfig("{" + base + R"(, "limits": {"approvalValidDays": "30"}})", "/"),
                 InputError);
    EXPECT_THROW(parseAuthorityConfig("{" + base + R"(, "limits": {"attachmentMaxBytes": 2000000}})", "/"),
                 InputError);
    EXPECT_THROW(parseAuthorityConfig("{" + base + R"(, "sms": {"kind": "pigeon"}})", "/"), InputError);
    EXPECT_NO_THROW(parseAuthorityConfig("{" + base + "}", "/"));
}

TEST(KeysTest, RefusesGroupReadableKeyFile) {
    TempDir dir;
    const auto path = dir.path() / "master.key";
    cardbridge::test::writeFile(path, std::string(64, 'a'));  // 64 hex chars = 32 bytes
    EXPECT_EQ(loadKeyFile(path, 32).size(), 32u);
    ::chmod(path.c_str(), 0640);
    EXPECT_THROW(loadKeyFile(path, 32), FatalError);
    ::chmod(path.c_str(), 0600);
    cardbridge::test::writeFile(path, "short");
    EXPECT_THROW(loadKeyFile(path, 32), FatalError);
    EXPECT_THROW(loadKeyFile(dir.path() / "absent", 32), FatalError);
}

// One-shot HTTP server on 127.0.0.1: records the request and answers `status`.
class OneShotServer {
  public:
    explicit OneShotServer(int status) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        ::listen(fd_, 1);
        socklen_t len = sizeof addr;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this, status] {
            const int client = ::accept(fd_, nullptr, nullptr);
            if (client < 0) return;
            char buffer[8192];
            for (;;) {
                const ssize_t n = ::read(client, buffer, sizeof buffer);
                if (n <= 0) break;
                request_.append(buffer, static_cast<std::size_t>(n));
                const auto end = request_.find("\r\n\r\n");
                if (end != std::string::npos) {
                    const auto cl = request_.find("Content-Length: ");
                    const auto length = std::stoul(request_.substr(cl + 16));
                    if (request_.size() >= end + 4 + length) break;
                }
            }
            const std::string answer =
                "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 0\r\n\r\n";
            (void)::write(client, answer.data(), answer.size());
            ::close(client);
        });
    }
    ~OneShotServer() {
        if (thread_.joinable()) thread_.join();
        ::close(fd_);
    }
    [[nodiscard]] int port() const { return port_; }
    std::string request() {
        if (thread_.joinable()) thread_.join();
        return request_;
    }

  private:
    int fd_ = -1;
    int port_ = 0;
    std::thread thread_;
    std::string request_;
};

TEST(WebhookTest, PostsJsonAndAcceptsTwoHundred) {
    OneShotServer server(200);
    WebhookSmsGateway gateway("http://127.0.0.1:" + std::to_string(server.port()) + "/send", {}, 5);
    gateway.send({"13812345678", "验证码 123456", "req1", Seconds{}});
    const auto request = server.request();
    EXPECT_TRUE(request.starts_with("POST /send HTTP/1.1\r\n"));
    const auto body = nlohmann::json::parse(request.substr(request.find("\r\n\r\n") + 4));
    EXPECT_EQ(body["phone"], "13812345678");
    EXPECT_EQ(body["requestId"], "req1");
    EXPECT_EQ(body["text"], "验证码 123456");
}

TEST(WebhookTest, NonSuccessStatusIsRetryable) {
    OneShotServer server(503);
    WebhookSmsGateway gateway("http://127.0.0.1:" + std::to_string(server.port()) + "/", {}, 5);
    EXPECT_THROW(gateway.send({"13812345678", "x", "r", Seconds{}}), RetryableError);
}

TEST(WebhookTest, UnreachableIsRetryableAndBadUrlIsInput) {
    EXPECT_THROW(WebhookSmsGateway("ftp://x/", {}, 1), InputError);
    WebhookSmsGateway gateway("http://127.0.0.1:1/", {}, 2);
    EXPECT_THROW(gateway.send({"13812345678", "x", "r", Seconds{}}), RetryableError);
}

}  // namespace
}  // namespace cardbridge::authority::test
