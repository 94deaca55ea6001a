// Who may connect: loopback only, Origin and Host checks, TLS versions, plain HTTP, slowloris, connections
// per origin.
#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "net_fixture.hpp"

namespace cardbridge::test {
namespace {

using namespace std::chrono_literals;

class NetHandshakeTest : public NetFixture {};

unsigned refusedStatus(const WssClientOptions& options) {
    try {
        WssClient client(options);
    } catch (const WssError& e) {
        return e.httpStatus();
    }
    return 101;
}

TEST_F(NetHandshakeTest, OwnOriginGetsEveryCapability) {
    WssClient client(clientOptions(ownOrigin()));
    auto hello = client.call("system.hello").at("result");
    EXPECT_EQ(hello.at("product"), "cardbridge");
    EXPECT_EQ(hello.at("version"), "9.8.7");
    EXPECT_EQ(hello.at("protocol"), 1);
    EXPECT_EQ(hello.at("port"), port_);
    EXPECT_EQ(hello.at("origin"), ownOrigin());
    EXPECT_EQ(hello.at("capabilities"), nlohmann::json::array({"read", "startUnlock", "secrets"}));
    EXPECT_NE(std::find(hello.at("methods").begin(), hello.at("methods").end(), "test.secret"),
              hello.at("methods").end());
    EXPECT_EQ(client.call("test.secret").at("result"), "secret ok");
}

TEST_F(NetHandshakeTest, PlatformOriginGetsReadAndStartUnlock) {
    WssClient client(clientOptions(PLATFORM_ORIGIN));
    auto hello = client.call("system.hello").at("result");
    EXPECT_EQ(hello.at("capabilities"), nlohmann::json::array({"read", "startUnlock"}));
    EXPECT_EQ(hello.at("methods"),
              nlohmann::json::array({"system.hello", "test.add", "test.echo", "test.hold"}));
}

TEST_F(NetHandshakeTest, WrongOrAbsentOriginIsRefusedWith403) {
    for (std::optional<std::string> origin :
         {std::optional<std::string>{}, std::optional<std::string>{"null"},
          std::optional<std::string>{"https://evil.example"},
          std::optional<std::string>{"http://127.0.0.1:" + std::to_string(port_)},
          std::optional<std::string>{"https://127.0.0.1:1"},
          std::optional<std::string>{"https://platform.example.evil.example"}}) {
        EXPECT_EQ(refusedStatus(clientOptions(origin)), 403U) << origin.value_or("(none)");
    }
    EXPECT_EQ(server_->sessionCount(), 0U);
    expectStillServes();
}

TEST_F(NetHandshakeTest, WrongHostIsRefusedWith403) {
    for (std::string host : {std::string("evil.example:") + std::to_string(port_), std::string("127.0.0.1:1"),
                             std::string("127.0.0.1"), std::string("")}) {
        auto options = clientOptions(ownOrigin());
        options.hostHeader = host;
        EXPECT_EQ(refusedStatus(options), 403U) << host;
        // Plain HTTPS requests are held to the same rule (DNS rebinding against the UI and /health).
        EXPECT_EQ(httpsRequest(options, "GET", "/health").status, 403U) << host;
    }
    auto options = clientOptions(PLATFORM_ORIGIN);
    options.hostHeader = "localhost:" + std::to_string(port_);
    EXPECT_NO_THROW(WssClient{options});
    expectStillServes();
}

TEST_F(NetHandshakeTest, PlainHttpOnTheTlsPortFailsCleanly) {
    WssClient bystander(clientOptions(PLATFORM_ORIGIN));
    auto result = rawTcpExchange(
        "127.0.0.1", port_, "GET / HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) + "\r\n\r\n", 5s);
    EXPECT_TRUE(result.connected);
    EXPECT_TRUE(result.closedByPeer);
    EXPECT_LT(result.elapsed, 3s);
    EXPECT_EQ(result.received.find("HTTP/1.1 200"), std::string::npos);
    // Neither the bystander nor new clients noticed.
    EXPECT_EQ(bystander.call("test.echo", {{"x", 1}}).at("result").at("x"), 1);
    expectStillServes();
}

TEST_F(NetHandshakeTest, Tls10And11ClientsAreRefused) {
    for (auto version : {TlsVersion::Tls1_0, TlsVersion::Tls1_1}) {
        auto options = clientOptions(PLATFORM_ORIGIN);
        options.maxTls = version;
        try {
            WssClient client(options);
            ADD_FAILURE() << "an old TLS version was accepted";
        } catch (const WssError& e) {
            EXPECT_NE(std::string(e.what()).find("TLS handshake failed"), std::string::npos) << e.what();
        }
    }
    for (auto version : {TlsVersion::Tls1_2, TlsVersion::Tls1_3}) {
        auto options = clientOptions(PLATFORM_ORIGIN);
        options.minTls = version;
        options.maxTls = version;
        WssClient client(options);
        EXPECT_EQ(client.call("test.echo", {{"v", 1}}).at("result").at("v"), 1);
    }
    expectStillServes();
}

TEST_F(NetHandshakeTest, ClientVerifiesTheChainAndRejectsAnotherRoot) {
    CertSpec otherRoot;
    otherRoot.commonName = "someone else's root";
    otherRoot.isCa = true;
    auto options = clientOptions(PLATFORM_ORIGIN);
    options.rootCaPem = makeCertificate(otherRoot).certPem;
    EXPECT_THROW(WssClient{options}, WssError);
    expectStillServes();
}

TEST_F(NetHandshakeTest, SilentTcpConnectionIsClosedAfterTheHandshakeTimeout) {
    auto result = rawTcpExchange("127.0.0.1", port_, "", 6s);
    EXPECT_TRUE(result.closedByPeer);
    EXPECT_GE(result.elapsed, 800ms);
    EXPECT_LT(result.elapsed, 4s);
    expectStillServes();
}

TEST_F(NetHandshakeTest, TlsWithoutHttpRequestIsClosedAfterTheHandshakeTimeout) {
    auto result = tlsConnectAndIdle(clientOptions(PLATFORM_ORIGIN), 6s);
    EXPECT_TRUE(result.connected);
    EXPECT_TRUE(result.closedByPeer);
    EXPECT_LT(result.elapsed, 4s);
    expectStillServes();
}

TEST_F(NetHandshakeTest, PartialTlsHelloIsClosedAfterTheHandshakeTimeout) {
    // Slowloris: the first bytes of a TLS record, then nothing; the deadline counts from accept.
    auto result = rawTcpExchange("127.0.0.1", port_, std::string("\x16\x03\x01\x00\x05", 5), 6s);
    EXPECT_TRUE(result.closedByPeer);
    EXPECT_LT(result.elapsed, 4s);
    expectStillServes();
}

TEST_F(NetHandshakeTest, ConnectionsPerOriginAreBounded) {
    std::vector<std::unique_ptr<WssClient>> clients;
    for (int i = 0; i < 4; ++i) clients.push_back(connect(PLATFORM_ORIGIN));
    EXPECT_EQ(refusedStatus(clientOptions(PLATFORM_ORIGIN)), 429U);
    // Other origins have their own budget.
    WssClient own(clientOptions(ownOrigin()));
    EXPECT_EQ(own.call("test.echo", {{"k", 2}}).at("result").at("k"), 2);
    clients.pop_back();
    // The slot is released when the session ends, shortly after the client leaves.
    std::unique_ptr<WssClient> again = connectOnceFree(PLATFORM_ORIGIN);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->call("test.add", {{"a", 1}, {"b", 1}}).at("result"), 2);
}

TEST_F(NetHandshakeTest, Ipv6LoopbackServesToo) {
    auto options = clientOptions("https://[::1]:" + std::to_string(port_));
    options.host = "::1";
    WssClient client(options);
    auto hello = client.call("system.hello").at("result");
    EXPECT_EQ(hello.at("capabilities").size(), 3U);
}

TEST_F(NetHandshakeTest, ListensOnLoopbackOnly) {
    // The kernel's socket tables: every listening socket on the daemon's port is 127.0.0.1 or ::1,
    // never a wildcard or another address.
    std::vector<std::string> listening;
    for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        std::ifstream in(table);
        std::string line;
        std::getline(in, line);  // header
        while (std::getline(in, line)) {
            std::istringstream fields(line);
            std::string slot, local, remote, state;
            fields >> slot >> local >> remote >> state;
            const auto colon = local.rfind(':');
            if (state != "0A" || colon == std::string::npos) continue;  // 0A: LISTEN
            if (std::stoul(local.substr(colon + 1), nullptr, 16) != port_) continue;
            listening.push_back(local.substr(0, colon));
        }
    }
    std::sort(listening.begin(), listening.end());
    // 127.0.0.1 and ::1 as the kernel prints them (32-bit words in host byte order).
    const std::vector<std::string> expected{"00000000000000000000000001000000", "0100007F"};
    EXPECT_EQ(listening, expected);
}

TEST_F(NetHandshakeTest, UpgradeOnOtherTargetIsRefused) {
    auto options = clientOptions(PLATFORM_ORIGIN);
    options.target = "/other";
    EXPECT_EQ(refusedStatus(options), 404U);
    expectStillServes();
}

}  // namespace
}  // namespace cardbridge::test
