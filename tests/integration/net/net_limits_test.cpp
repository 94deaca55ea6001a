// Connection bounds: per origin as normalised (spelling variants share one count), a global cap, a cap on
// connections still in their handshake (half-open TLS slowloris), and the idle rule: a page that never
// sent a request is closed after the idle timeout even though it answers pings; one that did stays.
#include "log_capture.hpp"
#include "net_fixture.hpp"

namespace cardbridge::test {
namespace {

using namespace std::chrono_literals;

bool refused(const WssClientOptions& options) {
    try {
        WssClient client(options);
    } catch (const WssError&) {
        return true;
    }
    return false;
}

unsigned refusedStatus(const WssClientOptions& options) {
    try {
        WssClient client(options);
    } catch (const WssError& e) {
        return e.httpStatus();
    }
    return 101;
}

class NetOriginCapTest : public NetFixture {};

TEST_F(NetOriginCapTest, SpellingVariantsOfAnOriginShareItsCount) {
    std::vector<std::unique_ptr<WssClient>> clients;
    // Browsers send lower case; a local process may send any case. Both are the same origin.
    for (const char* spelling : {"https://platform.example", "HTTPS://PLATFORM.EXAMPLE",
                                 "https://Platform.Example", "hTTps://platform.EXAMPLE"})
        clients.push_back(connect(spelling));
    for (const char* spelling :
         {"https://platform.example", "HTTPS://PLATFORM.EXAMPLE", "Https://platform.example"})
        EXPECT_EQ(refusedStatus(clientOptions(spelling)), 429U) << spelling;
    // The own origin in upper case counts with the own origin.
    const std::string own = ownOrigin();
    std::string upper = own;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (int i = 0; i < 4; ++i) clients.push_back(connect(i % 2 == 0 ? own : upper));
    EXPECT_EQ(refusedStatus(clientOptions(upper)), 429U);
    EXPECT_EQ(refusedStatus(clientOptions(own)), 429U);
    EXPECT_EQ(server_->sessionCount(), 8U);
    // A trailing "/" or an explicit default port is not what a browser sends: refused at the Origin check,
    // so it cannot open a count of its own either.
    for (const char* spelling : {"https://platform.example/", "https://platform.example:443"})
        EXPECT_EQ(refusedStatus(clientOptions(spelling)), 403U) << spelling;
}

class NetGlobalCapTest : public NetFixture {
  protected:
    void customise(daemon::ServerOptions& options) override { options.config.limits.maxConnections = 6; }
};

TEST_F(NetGlobalCapTest, AllConnectionsTogetherAreBounded) {
    LogCapture log;
    std::vector<std::unique_ptr<WssClient>> clients;
    // Three origins, each under its own cap of 4: only the global cap of 6 can stop the seventh.
    for (const std::string& origin :
         {ownOrigin(), std::string(PLATFORM_ORIGIN), std::string(TRUSTED_ORIGIN)}) {
        clients.push_back(connect(origin));
        clients.push_back(connect(origin));
    }
    EXPECT_TRUE(refused(clientOptions(TRUSTED_ORIGIN)));
    EXPECT_FALSE(log.linesWith("connections open (limits.maxConnections)").empty()) << log.text();
    // HTTPS requests count too, and are refused alike.
    EXPECT_THROW(httpsRequest(clientOptions(ownOrigin()), "GET", "/health"), WssError);
    // A closed connection gives its place back.
    clients.pop_back();
    std::unique_ptr<WssClient> again = connectOnceFree(TRUSTED_ORIGIN);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->call("test.add", {{"a", 1}, {"b", 2}}).at("result"), 3);
}

class NetHandshakeCapTest : public NetFixture {
  protected:
    void customise(daemon::ServerOptions& options) override {
        options.config.limits.maxHandshakes = 3;
        options.config.limits.handshakeTimeoutSeconds = 2;
    }
};

TEST_F(NetHandshakeCapTest, HalfOpenConnectionsAreBoundedAndOpenSessionsUnaffected) {
    LogCapture log;
    WssClient bystander(clientOptions(PLATFORM_ORIGIN));  // through its handshake: not counted
    // Slowloris: three connections that start a TLS record and stop.
    std::vector<std::thread> loris;
    std::vector<RawTcpResult> results(3);
    for (std::size_t i = 0; i < 3; ++i) {
        loris.emplace_back([this, &results, i] {
            results[i] = rawTcpExchange("127.0.0.1", port_, std::string("\x16\x03\x01\x00\x05", 5), 6s);
        });
    }
    std::this_thread::sleep_for(500ms);  // all three accepted and waiting in their TLS handshake
    // A fourth handshake is refused at once, while the half-open ones last.
    auto fourth = rawTcpExchange("127.0.0.1", port_, "", 1s);
    EXPECT_TRUE(fourth.closedByPeer);
    EXPECT_LT(fourth.elapsed, 500ms);
    EXPECT_FALSE(log.linesWith("connections still in their handshake (limits.maxHandshakes)").empty())
        << log.text();
    // The open session is not disturbed.
    EXPECT_EQ(bystander.call("test.echo", {{"x", 7}}).at("result").at("x"), 7);
    for (auto& t : loris) t.join();
    for (const auto& r : results) EXPECT_TRUE(r.closedByPeer);  // cut at the handshake timeout
    // Their places are free again.
    expectStillServes();
}

class NetIdleTest : public NetFixture {
  protected:
    void customise(daemon::ServerOptions& options) override { options.config.limits.idleTimeoutSeconds = 2; }
};

TEST_F(NetIdleTest, PageThatNeverSentARequestIsClosedAfterTheIdleTimeoutDespitePongs) {
    LogCapture log;
    WssClient silent(clientOptions(PLATFORM_ORIGIN));
    WssClient subscribed(clientOptions(PLATFORM_ORIGIN));
    ASSERT_TRUE(subscribed.call("system.hello").contains("result"));
    // waitClosed reads, and so answers the daemon's pings like a browser does; both pages wait at once.
    CloseInfo stillOpen;
    std::thread other([&subscribed, &stillOpen] { stillOpen = subscribed.waitClosed(4s); });
    const CloseInfo closed = silent.waitClosed(6s);
    other.join();
    EXPECT_TRUE(closed.closed);
    EXPECT_EQ(closed.code, 1008);
    EXPECT_FALSE(log.linesWith("no request within the idle timeout (no subscription)").empty()) << log.text();
    // The page that said hello holds the subscription: pings kept it open past the same time.
    EXPECT_FALSE(stillOpen.closed) << stillOpen.error;
    EXPECT_EQ(subscribed.call("test.add", {{"a", 2}, {"b", 2}}).at("result"), 4);
}

}  // namespace
}  // namespace cardbridge::test
