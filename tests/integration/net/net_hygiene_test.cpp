// What the network layer leaves behind: frames that carried a PIN are wiped from the session's buffers
// after they were handled, answered or refused (capability, rate, pending); untrusted values reach the
// log escaped, one line each; http:// platform origins need the development switch.
#include <atomic>

#include "log_capture.hpp"
#include "net_fixture.hpp"

namespace cardbridge::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* PIN = "739184";

class NetWipeTest : public NetFixture {
  protected:
    void customise(daemon::ServerOptions& options) override {
        options.frameMemoryProbe = [this](std::string_view region) {
            ++probes_;
            if (region.find(PIN) != std::string_view::npos) ++hits_;
        };
    }

    static std::string frame(int id, const std::string& method) {
        return std::string(R"({"jsonrpc":"2.0","id":)") + std::to_string(id) + R"(,"method":")" + method +
               R"(","params":{"pin":")" + PIN + R"("}})";
    }

    std::atomic<int> probes_{0};
    std::atomic<int> hits_{0};
};

TEST_F(NetWipeTest, PinBearingFramesAreWipedWhetherAnsweredOrRefused) {
    std::set<std::string> reasons;
    {
        // Refused for capability: a platform page calling a secrets method.
        WssClient platform(clientOptions(PLATFORM_ORIGIN));
        platform.sendText(frame(1, "test.secret"));
        reasons.insert(reasonOf(platform.waitResponse(1)));
        // Answered: the echo hands the PIN back (the client's copy is not the daemon's).
        platform.sendText(frame(2, "test.echo"));
        EXPECT_EQ(platform.waitResponse(2).at("result").at("pin"), PIN);
        // Refused for pending: four held requests, then a fifth.
        for (int id = 10; id < 14; ++id) platform.sendText(frame(id, "test.hold"));
        while (heldCount() < 4) std::this_thread::sleep_for(10ms);
        platform.sendText(frame(14, "test.echo"));
        reasons.insert(reasonOf(platform.waitResponse(14)));
        releaseHeld();
        for (int id = 10; id < 14; ++id) platform.waitResponse(id);
        // Refused for rate: a burst well past 20 per second.
        for (int id = 100; id < 150; ++id) platform.sendText(frame(id, "test.echo"));
        for (int id = 100; id < 150; ++id) {
            auto response = platform.waitResponse(id);
            if (response.contains("error")) reasons.insert(reasonOf(response));
        }
    }
    EXPECT_EQ(reasons, (std::set<std::string>{"NOT_ALLOWED", "TOO_MANY_PENDING", "RATE_LIMITED"}));
    // Each frame was shown to the probe after it was handled (and again when the session ended).
    for (int i = 0; i < 100 && server_->sessionCount() > 0; ++i) std::this_thread::sleep_for(20ms);
    EXPECT_GE(probes_.load(), 2 * 56);
    EXPECT_EQ(hits_.load(), 0) << "PIN bytes left in " << hits_.load() << " of " << probes_.load()
                               << " regions";
}

class NetLogHygieneTest : public NetFixture {};

TEST_F(NetLogHygieneTest, MethodNameWithControlCharactersIsLoggedAsOneEscapedLine) {
    LogCapture log;
    WssClient client(clientOptions(PLATFORM_ORIGIN));
    // \u0000, ESC and a newline inside the method name (valid JSON escapes).
    client.sendText(R"({"jsonrpc":"2.0","id":5,"method":"evil\u0000\u001b[2J\nFAKE [warn] line"})");
    EXPECT_EQ(reasonOf(client.waitResponse(5)), "METHOD_NOT_FOUND");
    const auto lines = log.linesWith("unknown method");
    ASSERT_EQ(lines.size(), 1U) << log.text();
    EXPECT_NE(lines[0].find(R"('evil\x00\x1b[2J\nFAKE [warn] line')"), std::string::npos) << lines[0];
    EXPECT_TRUE(log.linesWith("FAKE [warn] line").size() == 1U);  // not a line of its own
    EXPECT_EQ(log.text().find('\x1b'), std::string::npos);
    EXPECT_EQ(log.text().find('\0'), std::string::npos);
}

constexpr const char* HTTP_PORTAL = "http://localhost:8080";

class NetHttpOriginTest : public NetFixture {
  protected:
    void customise(daemon::ServerOptions& options) override {
        options.config.platformOrigins.push_back({HTTP_PORTAL, false});
    }
};

TEST_F(NetHttpOriginTest, HttpOriginIsRefusedWithoutTheDevelopmentSwitch) {
    try {
        WssClient client(clientOptions(HTTP_PORTAL));
        ADD_FAILURE() << "an http:// origin was served without the switch";
    } catch (const WssError& e) {
        EXPECT_EQ(e.httpStatus(), 403U);
    }
    expectStillServes();
}

class NetHttpOriginAllowedTest : public NetHttpOriginTest {
  protected:
    void customise(daemon::ServerOptions& options) override {
        NetHttpOriginTest::customise(options);
        options.config.development.allowHttpLoopbackOrigins = true;
    }
};

TEST_F(NetHttpOriginAllowedTest, HttpOriginIsServedWithTheDevelopmentSwitch) {
    WssClient client(clientOptions(HTTP_PORTAL));
    EXPECT_EQ(client.call("system.hello").at("result").at("capabilities"),
              nlohmann::json::array({"read", "startUnlock"}));
}

}  // namespace
}  // namespace cardbridge::test
