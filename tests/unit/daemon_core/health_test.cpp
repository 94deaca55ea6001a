// GET /health's parts: who counts as the daemon's own origin, the summary other pages get, and the cache
// that keeps slow checks (certutil, trust stores, key files) off the network threads.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "cardbridge/daemon/core/health.hpp"

using namespace cardbridge::daemon;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {
OriginPolicy policy() {
    return OriginPolicy({PlatformOrigin{"https://platform.example.cn", false}}, 23443);
}
}  // namespace

TEST(HealthOrigin, OwnOriginByOriginHeader) {
    const auto p = policy();
    EXPECT_TRUE(isOwnOriginRequest("https://127.0.0.1:23443", "", p));
    EXPECT_TRUE(isOwnOriginRequest("https://localhost:23443", "", p));
    EXPECT_TRUE(isOwnOriginRequest("https://[::1]:23443", "", p));
}

TEST(HealthOrigin, OwnOriginByRefererWhenThereIsNoOrigin) {
    const auto p = policy();
    EXPECT_TRUE(isOwnOriginRequest("", "https://127.0.0.1:23443/", p));
    EXPECT_TRUE(isOwnOriginRequest("", "https://127.0.0.1:23443/index.html?x=1", p));
    EXPECT_TRUE(isOwnOriginRequest("", "https://127.0.0.1:23443", p));
}

TEST(HealthOrigin, AnythingElseIsForeign) {
    const auto p = policy();
    EXPECT_FALSE(isOwnOriginRequest("", "", p));                             // no headers: any process
    EXPECT_FALSE(isOwnOriginRequest("https://evil.example.com", "", p));     // an <img> on another site
    EXPECT_FALSE(isOwnOriginRequest("https://platform.example.cn", "", p));  // even an allowed platform
    EXPECT_FALSE(isOwnOriginRequest("null", "", p));
    EXPECT_FALSE(isOwnOriginRequest("https://127.0.0.1:23444", "", p));  // another port
    EXPECT_FALSE(isOwnOriginRequest("http://127.0.0.1:23443", "", p));   // another scheme
    EXPECT_FALSE(isOwnOriginRequest("", "https://evil.example.com/https://127.0.0.1:23443/", p));
    EXPECT_FALSE(isOwnOriginRequest("", "https://127.0.0.1:23443.evil.example.com/", p));
    EXPECT_FALSE(isOwnOriginRequest("", "https://127.0.0.1:23443@evil.example.com/", p));
    EXPECT_FALSE(isOwnOriginRequest("", "not a url", p));
    // An Origin decides even when the Referer looks like ours.
    EXPECT_FALSE(isOwnOriginRequest("https://evil.example.com", "https://127.0.0.1:23443/", p));
}

TEST(HealthSummary, WithoutCardDetailsDropsCardIdPinAndCertificatesButKeepsTheSummary) {
    ReaderState withCard;
    withCard.name = "Virtual PCD 00 00";
    withCard.cardPresent = true;
    withCard.cardId = "8C1A2B3C";
    withCard.certificates = 1;
    withCard.pin = cardbridge::card::PinRetries{cardbridge::card::PinRetries::State::Blocked, 0};
    ReaderState broken;
    broken.name = "Virtual PCD 00 01";
    broken.cardPresent = true;
    broken.cardError = "CARD_UNSUPPORTED";
    json full = renderHealth(true, {withCard, broken});
    full["tls"] = json::array({{{"code", "tls.trust.nss"},
                                {"status", "problem"},
                                {"zh", "/home/zhangsan/.pki/nssdb"},
                                {"en", "/home/zhangsan/.pki/nssdb"}}});
    ASSERT_TRUE(full["readers"][0].contains("card")) << full.dump();

    const json summary = withoutCardDetails(full);
    EXPECT_EQ(summary.dump().find("8C1A2B3C"), std::string::npos) << summary.dump();
    EXPECT_FALSE(summary["readers"][0].contains("card")) << summary.dump();
    EXPECT_EQ(summary["readers"][0]["name"], "Virtual PCD 00 00");
    EXPECT_TRUE(summary["readers"][0]["cardPresent"].get<bool>());
    EXPECT_EQ(summary["readers"][1]["cardError"], "CARD_UNSUPPORTED");
    EXPECT_EQ(summary["status"], full["status"]);
    EXPECT_EQ(summary["problems"], full["problems"]);
    EXPECT_EQ(summary["tls"], json::array({{{"code", "tls.trust.nss"}, {"status", "problem"}}}));
    EXPECT_EQ(summary.dump().find("zhangsan"), std::string::npos);
}

TEST(HealthCache, ValueAnswersAtOnceWhileTheProbeIsBlocked) {
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::atomic<int> started{0};
    CachedProbe probe(
        [&] {
            ++started;
            released.wait();  // a certutil that hangs
            return json{{"probe", "done"}};
        },
        1h, json{{"probe", "pending"}});
    probe.start();
    while (started.load() == 0) std::this_thread::sleep_for(1ms);

    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 100; ++i) EXPECT_EQ(probe.value()["probe"], "pending");
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 200ms);

    release.set_value();
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (probe.runs() == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
    EXPECT_EQ(probe.value()["probe"], "done");
    probe.stop();
}

TEST(HealthCache, RunsAgainOnRefreshAndOnTheTimerAndKeepsTheLastValueWhenAProbeThrows) {
    std::atomic<int> calls{0};
    CachedProbe probe(
        [&]() -> json {
            const int n = ++calls;
            if (n == 2) throw std::runtime_error("certutil vanished");
            return json{{"run", n}};
        },
        50ms, json::object());
    probe.start();
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (probe.runs() < 3 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
    ASSERT_GE(probe.runs(), 3u);
    EXPECT_GE(probe.value()["run"].get<int>(), 3);
    probe.stop();

    std::atomic<int> slowCalls{0};
    CachedProbe slow([&] { return json{{"run", ++slowCalls}}; }, 1h, json::object());
    slow.start();
    while (slow.runs() < 1) std::this_thread::sleep_for(1ms);
    slow.refresh();
    const auto again = std::chrono::steady_clock::now() + 5s;
    while (slow.runs() < 2 && std::chrono::steady_clock::now() < again) std::this_thread::sleep_for(1ms);
    EXPECT_EQ(slow.value()["run"], 2);
}
