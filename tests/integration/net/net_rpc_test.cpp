// JSON-RPC over WSS under hostile input: frames, JSON, rates, pending bounds, capabilities, notifications.
#include "cardbridge/daemon/core/errors.hpp"
#include "net_fixture.hpp"

namespace cardbridge::test {
namespace {

using namespace std::chrono_literals;
using daemon::Reason;
using daemon::reasonName;
using nlohmann::json;

class NetRpcTest : public NetFixture {};

TEST_F(NetRpcTest, OversizedFrameClosesWith1009) {
    auto client = connect(PLATFORM_ORIGIN);
    json request = {
        {"jsonrpc", "2.0"}, {"id", 1}, {"method", "test.echo"}, {"params", {{"x", std::string(20000, 'a')}}}};
    try {
        client->sendText(request.dump());
    } catch (const WssError&) {
        // The server may already have closed while we were writing.
    }
    auto closed = client->waitClosed(5s);
    EXPECT_TRUE(closed.closed);
    EXPECT_EQ(closed.code, 1009) << closed.error;
    expectStillServes();
}

TEST_F(NetRpcTest, DeepJsonIsParseErrorAndTheConnectionStaysUsable) {
    auto client = connect(PLATFORM_ORIGIN);
    std::string deep = R"({"jsonrpc":"2.0","id":1,"method":"test.echo","params":{"x":)" +
                       std::string(5000, '[') + std::string(5000, ']') + "}}";
    client->sendText(deep);
    auto response = client->waitResponse(nullptr);  // the parse error cannot know the id
    EXPECT_EQ(reasonOf(response), reasonName(Reason::ParseError));
    EXPECT_EQ(client->call("test.echo", {{"ok", true}}).at("result").at("ok"), true);
    expectStillServes();
}

TEST_F(NetRpcTest, InvalidUtf8TextFrameIsClosedWith1007) {
    auto client = connect(PLATFORM_ORIGIN);
    client->sendText(std::string(
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.echo\",\"params\":{\"x\":\"\xff\xfe\"}}"));
    auto closed = client->waitClosed(5s);
    EXPECT_TRUE(closed.closed);
    EXPECT_EQ(closed.code, 1007) << closed.error;
    expectStillServes();
}

TEST_F(NetRpcTest, BinaryFrameIsClosedWithPolicyViolation) {
    auto client = connect(PLATFORM_ORIGIN);
    client->sendBinary(R"({"jsonrpc":"2.0","id":1,"method":"test.echo"})");
    auto closed = client->waitClosed(5s);
    EXPECT_TRUE(closed.closed);
    EXPECT_EQ(closed.code, 1008) << closed.error;
    expectStillServes();
}

TEST_F(NetRpcTest, NotJsonAndNotJsonRpcAreErrorsNotDisconnects) {
    auto client = connect(PLATFORM_ORIGIN);
    client->sendText("this is not json");
    EXPECT_EQ(reasonOf(client->waitResponse(nullptr)), reasonName(Reason::ParseError));
    client->sendText(R"({"id":5,"method":"test.echo"})");
    EXPECT_EQ(reasonOf(client->waitResponse(5)), reasonName(Reason::InvalidRequest));
    client->sendText(R"({"jsonrpc":"2.0","id":6,"method":7})");
    EXPECT_EQ(reasonOf(client->waitResponse(6)), reasonName(Reason::InvalidRequest));
    client->sendText(R"({"jsonrpc":"2.0","id":7,"method":"test.echo","params":"str"})");
    EXPECT_EQ(reasonOf(client->waitResponse(7)), reasonName(Reason::InvalidRequest));
    client->sendText(R"([{"jsonrpc":"2.0","id":8,"method":"test.echo"}])");
    EXPECT_EQ(reasonOf(client->waitResponse(nullptr)), reasonName(Reason::InvalidRequest));
    EXPECT_TRUE(client->isOpen());
    expectStillServes();
}

TEST_F(NetRpcTest, UnknownMethodIsMethodNotFound) {
    auto client = connect(PLATFORM_ORIGIN);
    auto response = client->call("no.such.method");
    EXPECT_EQ(response.at("error").at("code"), -32601);
    EXPECT_EQ(reasonOf(response), reasonName(Reason::MethodNotFound));
    expectStillServes();
}

TEST_F(NetRpcTest, WrongParamTypesAreInvalidParams) {
    auto client = connect(PLATFORM_ORIGIN);
    EXPECT_EQ(reasonOf(client->call("test.add", {{"a", "two"}, {"b", 3}})),
              reasonName(Reason::InvalidParams));
    EXPECT_EQ(reasonOf(client->call("test.add", json::object())), reasonName(Reason::InvalidParams));
    EXPECT_EQ(reasonOf(client->call("test.add", json::array({1, 2}))), reasonName(Reason::InvalidParams));
    EXPECT_EQ(client->call("test.add", {{"a", 2}, {"b", 3}}).at("result"), 5);
    expectStillServes();
}

TEST_F(NetRpcTest, SecretsMethodFromPlatformOriginIsNotAllowed) {
    auto platform = connect(PLATFORM_ORIGIN);
    auto response = platform->call("test.secret");
    EXPECT_EQ(reasonOf(response), reasonName(Reason::NotAllowed));
    EXPECT_FALSE(response.contains("result"));
    // allowSecrets on a platform origin, and the daemon's own origin, may.
    EXPECT_EQ(connect(TRUSTED_ORIGIN)->call("test.secret").at("result"), "secret ok");
    EXPECT_EQ(connect(ownOrigin())->call("test.secret").at("result"), "secret ok");
    expectStillServes();
}

TEST_F(NetRpcTest, RequestFloodIsRateLimitedThenUsableAgain) {
    auto client = connect(PLATFORM_ORIGIN);
    constexpr int FLOOD = 80;  // limit: 20 per second, burst 20
    for (int id = 1; id <= FLOOD; ++id) {
        client->sendText(
            json({{"jsonrpc", "2.0"}, {"id", id}, {"method", "test.echo"}, {"params", {{"n", id}}}}).dump());
    }
    int answered = 0;
    int limited = 0;
    for (int id = 1; id <= FLOOD; ++id) {
        auto response = client->waitResponse(id);
        if (response.contains("result")) {
            ++answered;
        } else if (reasonOf(response) == reasonName(Reason::RateLimited)) {
            ++limited;
        }
    }
    EXPECT_EQ(answered + limited, FLOOD);
    EXPECT_GE(answered, 20);
    EXPECT_GE(limited, 40);
    std::this_thread::sleep_for(1100ms);
    EXPECT_EQ(client->call("test.echo", {{"after", 1}}).at("result").at("after"), 1);
    expectStillServes();
}

TEST_F(NetRpcTest, TooManyPendingRequestsAreRefusedUntilAnswered) {
    auto client = connect(PLATFORM_ORIGIN);
    for (int id = 1; id <= 4; ++id)
        client->sendText(json({{"jsonrpc", "2.0"}, {"id", id}, {"method", "test.hold"}}).dump());
    client->sendText(json({{"jsonrpc", "2.0"}, {"id", 5}, {"method", "test.hold"}}).dump());
    EXPECT_EQ(reasonOf(client->waitResponse(5)), reasonName(Reason::TooManyPending));
    EXPECT_EQ(heldCount(), 4U);
    EXPECT_EQ(releaseHeld(), 4U);  // answered from this thread, as a card worker would
    for (int id = 1; id <= 4; ++id) EXPECT_EQ(client->waitResponse(id).at("result"), "released");
    EXPECT_EQ(client->call("test.echo", {{"again", 1}}).at("result").at("again"), 1);
    expectStillServes();
}

TEST_F(NetRpcTest, NotificationsReachSessionsWithTheCapability) {
    auto own = connect(ownOrigin());
    auto platform = connect(PLATFORM_ORIGIN);
    // Make sure both sessions are registered before broadcasting.
    own->call("test.echo");
    platform->call("test.echo");
    server_->notifications().broadcast("card.inserted", {{"reader", "R1"}}, daemon::Capability::Read);
    EXPECT_EQ(own->waitNotification("card.inserted", 3s).at("reader"), "R1");
    EXPECT_EQ(platform->waitNotification("card.inserted", 3s).at("reader"), "R1");

    server_->notifications().broadcast("unlock.secretThing", {{"x", 1}}, daemon::Capability::Secrets);
    EXPECT_EQ(own->waitNotification("unlock.secretThing", 3s).at("x"), 1);
    EXPECT_THROW(platform->waitNotification("unlock.secretThing", 300ms), WssError);
}

TEST_F(NetRpcTest, SlowReaderIsClosedWithoutBlockingOthers) {
    auto slow = connect(PLATFORM_ORIGIN);
    auto fast = connect(ownOrigin());
    slow->call("test.echo");
    fast->call("test.echo");
    // `fast` reads on its own thread; `slow` never reads while ~30 MB of notifications go out, more than
    // the socket buffers and the server's per-session queue hold.
    json last;
    std::thread reader([&] {
        try {
            last = fast->waitNotification("test.last", 30s);
        } catch (const WssError& e) {
            last = {{"error", e.what()}};
        }
    });
    const json big = {{"blob", std::string(60 * 1024, 'x')}};
    for (int i = 0; i < 500; ++i) {
        server_->notifications().broadcast("test.big", big, daemon::Capability::Read);
        // ~30 MB/s: a reading client keeps up on a loaded machine; one that does not read falls behind.
        if (i % 10 == 9) std::this_thread::sleep_for(20ms);
    }
    server_->notifications().broadcast("test.last", {{"done", true}}, daemon::Capability::Read);
    reader.join();
    EXPECT_EQ(last.value("done", false), true) << last.dump();
    auto closed = slow->waitClosed(20s);
    EXPECT_TRUE(closed.closed);
    EXPECT_EQ(fast->call("test.echo", {{"alive", 1}}).at("result").at("alive"), 1);
    expectStillServes();
}

TEST_F(NetRpcTest, StopClosesClients) {
    auto client = connect(PLATFORM_ORIGIN);
    client->call("test.echo");
    stopServer();
    auto closed = client->waitClosed(5s);
    EXPECT_TRUE(closed.closed);
    EXPECT_EQ(closed.code, 1001) << closed.error;  // going away
}

}  // namespace
}  // namespace cardbridge::test
