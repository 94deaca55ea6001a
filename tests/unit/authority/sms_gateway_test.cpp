// The SMS webhook over real HTTPS (issue 10, finding 4): a local TLS server with a certificate minted by
// the test, its CA pinned through webhookCaFiles; plain http:// only to loopback.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>

#include "cardbridge/authority/core/sms_gateway.hpp"
#include "cardbridge/common/error.hpp"
#include "temp_dir.hpp"
#include "test_certs.hpp"

namespace cardbridge::authority::test {
namespace {

using cardbridge::test::CertSpec;
using cardbridge::test::TempDir;
using cardbridge::test::TestCert;

/// A one-shot HTTPS server on 127.0.0.1: accepts one connection, reads one request, answers `status`.
class LocalHttpsServer {
  public:
    LocalHttpsServer(const std::filesystem::path& dir, const TestCert& leaf, int status) : status_(status) {
        cardbridge::test::writeFile(dir / "server.pem", leaf.certPem);
        cardbridge::test::writeFile(dir / "server.key", leaf.keyPem);
        ctx_ = SSL_CTX_new(TLS_server_method());
        if (SSL_CTX_use_certificate_chain_file(ctx_, (dir / "server.pem").c_str()) != 1 ||
            SSL_CTX_use_PrivateKey_file(ctx_, (dir / "server.key").c_str(), SSL_FILETYPE_PEM) != 1) {
            throw std::runtime_error("test server: cannot load its certificate");
        }
        listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
            ::listen(listener_, 1) != 0 ||
            ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
            throw std::runtime_error("test server: cannot listen");
        }
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this] { serveOne(); });
    }
    ~LocalHttpsServer() {
        ::shutdown(listener_, SHUT_RDWR);
        ::close(listener_);
        thread_.join();
        SSL_CTX_free(ctx_);
    }
    [[nodiscard]] int port() const { return port_; }
    /// The request received ("" when none completed a TLS handshake).
    [[nodiscard]] std::string received() {
        thread_.join();
        thread_ = std::thread([] {});
        return request_;
    }

  private:
    void serveOne() {
        const int fd = ::accept(listener_, nullptr, nullptr);
        if (fd < 0) return;
        SSL* ssl = SSL_new(ctx_);
        SSL_set_fd(ssl, fd);
        if (SSL_accept(ssl) == 1) {
            char buffer[4096];
            while (true) {
                const int n = SSL_read(ssl, buffer, sizeof buffer);
                if (n <= 0) break;
                request_.append(buffer, static_cast<std::size_t>(n));
                const auto end = request_.find("\r\n\r\n");
                const auto lengthAt = request_.find("Content-Length: ");
                if (end != std::string::npos && lengthAt != std::string::npos &&
                    request_.size() >= end + 4 + std::stoul(request_.substr(lengthAt + 16))) {
                    break;
                }
            }
            const std::string answer =
                "HTTP/1.1 " + std::to_string(status_) + " X\r\nContent-Length: 0\r\n\r\n";
            SSL_write(ssl, answer.data(), static_cast<int>(answer.size()));
            SSL_shutdown(ssl);
        }
        ERR_clear_error();
        SSL_free(ssl);
        ::close(fd);
    }

    int status_;
    SSL_CTX* ctx_ = nullptr;
    int listener_ = -1;
    int port_ = 0;
    std::string request_;
    std::thread thread_;
};

class HttpsWebhookTest : public ::testing::Test {
  protected:
    void SetUp() override {
        CertSpec caSpec;
        caSpec.commonName = "Test SMS provider CA";
        caSpec.isCa = true;
        ca_ = cardbridge::test::makeCertificate(caSpec);
        CertSpec leafSpec;
        leafSpec.commonName = "127.0.0.1";
        leafSpec.issuer = &ca_;
        leafSpec.subjectAltName = "IP:127.0.0.1";
        leafSpec.extendedKeyUsage = {"serverAuth"};
        leaf_ = cardbridge::test::makeCertificate(leafSpec);
        cardbridge::test::writeFile(dir_.path() / "ca.pem", ca_.certPem);
    }
    SmsMessage message() const { return {"13812345678", "验证码 654321", "req-1", Seconds{}}; }

    TempDir dir_;
    TestCert ca_;
    TestCert leaf_;
};

TEST_F(HttpsWebhookTest, SendsOverHttpsToAPinnedCa) {
    LocalHttpsServer server(dir_.path(), leaf_, 200);
    WebhookSmsGateway gateway("https://127.0.0.1:" + std::to_string(server.port()) + "/sms",
                              {dir_.path() / "ca.pem"}, 5);
    ASSERT_NO_THROW(gateway.send(message()));
    const std::string request = server.received();
    EXPECT_TRUE(request.starts_with("POST /sms HTTP/1.1\r\n")) << request;
    EXPECT_NE(request.find("\"phone\":\"13812345678\""), std::string::npos);
    EXPECT_NE(request.find("654321"), std::string::npos);
}

TEST_F(HttpsWebhookTest, RefusesAServerItsPinnedCaDidNotSign) {
    CertSpec otherSpec;
    otherSpec.commonName = "Another CA";
    otherSpec.isCa = true;
    const TestCert other = cardbridge::test::makeCertificate(otherSpec);
    cardbridge::test::writeFile(dir_.path() / "other.pem", other.certPem);
    LocalHttpsServer server(dir_.path(), leaf_, 200);
    WebhookSmsGateway gateway("https://127.0.0.1:" + std::to_string(server.port()) + "/sms",
                              {dir_.path() / "other.pem"}, 5);
    // The system store (OpenSSL reads SSL_CERT_FILE for it) trusts the server's CA here: pinning means it is
    // not consulted at all.
    ::setenv("SSL_CERT_FILE", (dir_.path() / "ca.pem").c_str(), 1);
    EXPECT_THROW(gateway.send(message()), RetryableError);
    ::unsetenv("SSL_CERT_FILE");
    EXPECT_EQ(server.received().find("654321"), std::string::npos);  // nothing was sent in the clear
}

TEST_F(HttpsWebhookTest, Non2xxIsRetryable) {
    LocalHttpsServer server(dir_.path(), leaf_, 500);
    WebhookSmsGateway gateway("https://127.0.0.1:" + std::to_string(server.port()) + "/",
                              {dir_.path() / "ca.pem"}, 5);
    EXPECT_THROW(gateway.send(message()), RetryableError);
}

// Codes and phone numbers never cross a network in clear.
TEST(WebhookUrl, PlainHttpOnlyToLoopback) {
    EXPECT_THROW(WebhookSmsGateway("http://sms.example.com/send", {}, 5), InputError);
    EXPECT_THROW(WebhookSmsGateway("http://192.0.2.10:8080/send", {}, 5), InputError);
    EXPECT_THROW(WebhookSmsGateway("http://127.0.0.1.example.com/", {}, 5), InputError);
    EXPECT_NO_THROW(WebhookSmsGateway("http://127.0.0.1:9000/send", {}, 5));
    EXPECT_NO_THROW(WebhookSmsGateway("http://localhost:9000/send", {}, 5));
    EXPECT_NO_THROW(WebhookSmsGateway("http://[::1]:9000/send", {}, 5));
    EXPECT_NO_THROW(WebhookSmsGateway("https://sms.example.com/send", {}, 5));
}

}  // namespace
}  // namespace cardbridge::authority::test
