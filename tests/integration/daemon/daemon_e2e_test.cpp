// Black-box: the real cardbridged binary over real TLS/WSS, on a private pcscd with a virtual card.
// Independent witnesses: yubico-piv-tool for PINs, OpenSSL (via the client) for the served chain.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include "free_port.hpp"
#include "pcsc_env.hpp"
#include "test_certs.hpp"
#include "wss_client.hpp"

using namespace cardbridge::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class DaemonTest : public ::testing::Test {
  protected:
    void SetUp() override {
        env_ = std::make_unique<PcscEnv>();
        ::setenv("HOME", env_->dir().c_str(), 1);
        ::setenv("XDG_CONFIG_HOME", (env_->dir() / "config").c_str(), 1);
        stateDir_ = env_->dir() / "state";
        CertSpec spec;
        spec.commonName = "张三";
        spec.organization = "深圳市示例医疗器械有限公司";
        cert_ = makeCertificate(spec);
        provisionCard(env_->dir() / "card.json", {{"9a", cert_.certPem, cert_.keyPem}});
        card_ = std::make_unique<VirtualCard>(*env_, env_->dir() / "card.json");
        card_->waitPresent();
    }

    void TearDown() override {
        daemon_.reset();
        card_.reset();
        env_.reset();
    }

    void writeConfig(const std::string& json) {
        fs::create_directories(env_->dir() / "config" / "cardbridge");
        std::ofstream(env_->dir() / "config" / "cardbridge" / "cardbridged.json") << json;
    }

    // Starts cardbridged and waits for its "listening" line.
    void startDaemon() {
        port_ = freePort();
        log_ = env_->dir() / "cardbridged.out";
        daemon_ = std::make_unique<ChildProcess>(
            std::vector<std::string>{CARDBRIDGED_EXE, "--state-dir", stateDir_.string(), "--port",
                                     std::to_string(port_)},
            log_);
        auto deadline = std::chrono::steady_clock::now() + 15s;
        while (slurp(log_).find("cardbridged listening on") == std::string::npos) {
            ASSERT_TRUE(daemon_->running()) << slurp(log_);
            ASSERT_LT(std::chrono::steady_clock::now(), deadline) << slurp(log_);
            std::this_thread::sleep_for(20ms);
        }
    }

    WssClientOptions options(std::optional<std::string> origin = std::nullopt) {
        WssClientOptions o;
        o.port = port_;
        o.rootCaPem = slurp(stateDir_ / "local-root.pem");
        o.origin = origin ? origin : std::optional<std::string>("https://127.0.0.1:" + std::to_string(port_));
        return o;
    }

    // cards.list once the insertion read is done (the daemon reads the card right after insertion).
    nlohmann::json waitForCard(WssClient& client) {
        auto deadline = std::chrono::steady_clock::now() + 10s;
        for (;;) {
            auto r = client.call("cards.list");
            if (r.contains("result") && !r["result"].empty()) return r["result"];
            if (std::chrono::steady_clock::now() > deadline) return r;
            std::this_thread::sleep_for(50ms);
        }
    }

    std::unique_ptr<PcscEnv> env_;
    std::unique_ptr<VirtualCard> card_;
    std::unique_ptr<ChildProcess> daemon_;
    fs::path stateDir_;
    fs::path log_;
    std::uint16_t port_ = 0;
    TestCert cert_;
};

}  // namespace

TEST_F(DaemonTest, HelloListAndExportOverWss) {
    startDaemon();
    WssClient client(options());
    auto hello = client.call("system.hello");
    ASSERT_TRUE(hello.contains("result")) << hello.dump();
    EXPECT_EQ(hello["result"]["product"], "cardbridge");
    EXPECT_EQ(hello["result"]["port"], port_);
    EXPECT_EQ(hello["result"]["protocol"], 1);

    auto cards = waitForCard(client);
    ASSERT_TRUE(cards.is_array() && cards.size() == 1) << cards.dump();
    const auto& card = cards[0];
    EXPECT_EQ(card["reader"], env_->readerName(0));
    EXPECT_EQ(card["pin"]["retriesLeft"], 3);
    ASSERT_EQ(card["certificates"].size(), 1u);
    EXPECT_NE(card["certificates"][0]["subject"].dump().find("张三"), std::string::npos) << card.dump();

    auto exported = client.call("certificates.export",
                                {{"reader", env_->readerName(0)}, {"slot", "9a"}, {"format", "pem"}});
    ASSERT_TRUE(exported.contains("result")) << exported.dump();
    EXPECT_EQ(exported["result"]["data"].get<std::string>(), cert_.certPem);
}

TEST_F(DaemonTest, ChangePinThenYubicoPivToolVerifiesTheNewOne) {
    startDaemon();
    WssClient client(options());
    waitForCard(client);
    auto r = client.call("pin.change",
                         {{"reader", env_->readerName(0)}, {"oldPin", "123456"}, {"newPin", "246813"}});
    ASSERT_TRUE(r.contains("result")) << r.dump();
    CommandResult witness =
        runCommand({"yubico-piv-tool", "-r", "Virtual PCD", "-a", "verify-pin", "-P", "246813"});
    EXPECT_EQ(witness.exitCode, 0) << witness.output;
    EXPECT_NE(
        runCommand({"yubico-piv-tool", "-r", "Virtual PCD", "-a", "verify-pin", "-P", "123456"}).exitCode, 0);
    // Nothing of the PINs in the daemon's log.
    std::string log = slurp(log_) + slurp(stateDir_ / "cardbridged.log");
    EXPECT_EQ(log.find("246813"), std::string::npos);
    EXPECT_EQ(log.find("123456"), std::string::npos);
}

TEST_F(DaemonTest, WrongPinCountsDownThenBlocks) {
    startDaemon();
    WssClient client(options());
    waitForCard(client);
    nlohmann::json params{{"reader", env_->readerName(0)}, {"oldPin", "000000"}, {"newPin", "246813"}};
    auto first = client.call("pin.change", params);
    ASSERT_TRUE(first.contains("error")) << first.dump();
    EXPECT_EQ(first["error"]["data"]["reason"], "PIN_INCORRECT");
    EXPECT_EQ(first["error"]["data"]["retriesLeft"], 2);
    client.call("pin.change", params);
    // One try left: refused without touching the card unless the caller confirms the last try.
    auto unconfirmed = client.call("pin.change", params);
    EXPECT_EQ(unconfirmed["error"]["data"]["reason"], "PIN_LAST_TRY") << unconfirmed.dump();
    EXPECT_EQ(card_->show().at("pinTriesLeft"), 1);
    params["confirmLastTry"] = true;
    auto third = client.call("pin.change", params);
    EXPECT_EQ(third["error"]["data"]["reason"], "PIN_BLOCKED") << third.dump();
    auto fourth = client.call("pin.change",
                              {{"reader", env_->readerName(0)}, {"oldPin", "123456"}, {"newPin", "246813"}});
    EXPECT_EQ(fourth["error"]["data"]["reason"], "PIN_BLOCKED") << fourth.dump();
    EXPECT_EQ(card_->show().at("pinTriesLeft"), 0);
}

TEST_F(DaemonTest, WeakNewPinIsRefusedWithoutSpendingATry) {
    startDaemon();
    WssClient client(options());
    waitForCard(client);
    auto r = client.call("pin.change",
                         {{"reader", env_->readerName(0)}, {"oldPin", "123456"}, {"newPin", "123456"}});
    EXPECT_EQ(r["error"]["data"]["reason"], "PIN_POLICY") << r.dump();
    EXPECT_EQ(card_->show().at("pinTriesLeft"), 3);
}

TEST_F(DaemonTest, HotplugIsPushed) {
    startDaemon();
    WssClient client(options());
    waitForCard(client);
    card_->remove();
    auto removed = client.waitNotification("card.removed", 10s);
    EXPECT_EQ(removed["reader"], env_->readerName(0));
    card_->insert();
    auto inserted = client.waitNotification("card.inserted", 10s);
    EXPECT_EQ(inserted["reader"], env_->readerName(0));
    EXPECT_NE(inserted.dump().find("张三"), std::string::npos) << inserted.dump();
}

TEST_F(DaemonTest, PlatformOriginReadsButCannotCarryPins) {
    writeConfig(R"({"platformOrigins": ["https://portal.example.cn"]})");
    startDaemon();
    WssClient platform(options("https://portal.example.cn"));
    auto cards = waitForCard(platform);
    ASSERT_TRUE(cards.is_array() && !cards.empty()) << cards.dump();
    auto r = platform.call("pin.change",
                           {{"reader", env_->readerName(0)}, {"oldPin", "123456"}, {"newPin", "246813"}});
    EXPECT_EQ(r["error"]["data"]["reason"], "NOT_ALLOWED") << r.dump();
    EXPECT_EQ(card_->show().at("pinTriesLeft"), 3);
    try {
        WssClient stranger(options("https://evil.example.com"));
        ADD_FAILURE() << "a foreign origin was let in";
    } catch (const WssError& e) {
        EXPECT_EQ(e.httpStatus(), 403u) << e.what();
    }
}

TEST_F(DaemonTest, StartsWithoutPcscdAndPicksItUpLater) {
    card_.reset();
    env_->stopPcscd();
    startDaemon();
    auto health = httpsRequest(options(), "GET", "/health");
    ASSERT_EQ(health.status, 200u);
    EXPECT_FALSE(nlohmann::json::parse(health.body)["pcscAvailable"].get<bool>()) << health.body;
    WssClient client(options());
    env_->startPcscd();
    card_ = std::make_unique<VirtualCard>(*env_, env_->dir() / "card.json");
    auto inserted = client.waitNotification("card.inserted", 20s);
    EXPECT_EQ(inserted["reader"], env_->readerName(0));
}

TEST_F(DaemonTest, DoctorExplainsAndSigtermStopsCleanly) {
    startDaemon();
    CommandResult doctor = runCommand({CARDBRIDGED_EXE, "doctor", "--json", "--state-dir", stateDir_.string(),
                                       "--port", std::to_string(port_)});
    auto report = nlohmann::json::parse(doctor.output);
    std::map<std::string, std::string> status;
    for (const auto& f : report["findings"]) status[f["code"]] = f["status"];
    EXPECT_EQ(status["pcsc.service"], "ok") << doctor.output;
    EXPECT_EQ(status["pcsc.card"], "ok") << doctor.output;
    EXPECT_EQ(status["port"], "ok") << doctor.output;  // held by us
    EXPECT_EQ(status["tls.chain"], "ok") << doctor.output;
    EXPECT_EQ(status["tls.trust.nss"], "problem") << doctor.output;  // nothing trusted it in this HOME
    EXPECT_EQ(doctor.exitCode, 1);

    env_->stopPcscd();
    CommandResult down = runCommand(
        {CARDBRIDGED_EXE, "doctor", "--state-dir", stateDir_.string(), "--port", std::to_string(port_)});
    EXPECT_EQ(down.exitCode, 1);
    EXPECT_NE(down.output.find("pcscd"), std::string::npos) << down.output;

    ::kill(daemon_->pid(), SIGTERM);
    int status_ = -1;
    auto deadline = std::chrono::steady_clock::now() + 10s;
    pid_t r = 0;
    while ((r = ::waitpid(daemon_->pid(), &status_, WNOHANG)) == 0 &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    ASSERT_EQ(r, daemon_->pid()) << "cardbridged did not stop on SIGTERM";
    EXPECT_TRUE(WIFEXITED(status_) && WEXITSTATUS(status_) == 0);
    EXPECT_NE(slurp(log_).find("cardbridged stopped"), std::string::npos);
}

// /health must not run the trust checks (certutil, the system store, key files) on a network thread: a
// page anywhere can point an <img> at it. Here certutil hangs for 8 s; /health still answers at once, in
// parallel, from the cached findings.
TEST_F(DaemonTest, HealthAnswersFromMemoryWhileTheTrustProbeHangs) {
    const fs::path bin = env_->dir() / "slow-bin";
    fs::create_directories(bin);
    {
        std::ofstream script(bin / "certutil");
        script << "#!/bin/sh\nsleep 8\nexit 1\n";
    }
    fs::permissions(bin / "certutil", fs::perms::owner_all);
    fs::create_directories(env_->dir() / ".pki" / "nssdb");
    std::ofstream(env_->dir() / ".pki" / "nssdb" / "cert9.db") << "";  // so the NSS check runs certutil
    const std::string oldPath = std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin";
    ::setenv("PATH", (bin.string() + ":" + oldPath).c_str(), 1);
    startDaemon();
    ::setenv("PATH", oldPath.c_str(), 1);
    std::this_thread::sleep_for(300ms);  // the probe is now inside the hanging certutil

    auto o = options();
    o.timeout = 3000ms;
    std::vector<std::future<std::pair<HttpsResponse, std::chrono::milliseconds>>> answers;
    for (int i = 0; i < 4; ++i) {
        answers.push_back(std::async(std::launch::async, [o] {
            const auto t0 = std::chrono::steady_clock::now();
            HttpsResponse r = httpsRequest(o, "GET", "/health");
            return std::make_pair(r, std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - t0));
        }));
    }
    for (auto& a : answers) {
        std::pair<HttpsResponse, std::chrono::milliseconds> answer;
        ASSERT_NO_THROW(answer = a.get()) << "GET /health stalled behind the trust probe";
        EXPECT_EQ(answer.first.status, 200u);
        EXPECT_LT(answer.second, 1000ms);
        EXPECT_TRUE(nlohmann::json::parse(answer.first.body)["tls"].is_array()) << answer.first.body;
    }
}

// Card details (card id, PIN state, certificate count) only for the bundled UI's own origin.
TEST_F(DaemonTest, HealthShowsCardDetailsOnlyToTheDaemonsOwnOrigin) {
    startDaemon();
    WssClient client(options());
    ASSERT_FALSE(waitForCard(client).empty());

    auto own = httpsRequest(options(), "GET", "/health");
    ASSERT_EQ(own.status, 200u);
    auto ownJson = nlohmann::json::parse(own.body);
    ASSERT_TRUE(ownJson["readers"][0].contains("card")) << own.body;
    const std::string cardId = ownJson["readers"][0]["card"]["cardId"];

    for (std::optional<std::string> origin :
         {std::optional<std::string>("https://evil.example.com"), std::optional<std::string>()}) {
        auto foreign = httpsRequest(options(origin), "GET", "/health");
        if (!origin) {
            auto o = options();
            o.origin.reset();
            foreign = httpsRequest(o, "GET", "/health");
        }
        ASSERT_EQ(foreign.status, 200u);
        auto json = nlohmann::json::parse(foreign.body);
        EXPECT_TRUE(json["readers"][0]["cardPresent"].get<bool>()) << foreign.body;
        EXPECT_FALSE(json["readers"][0].contains("card"))
            << origin.value_or("(no Origin)") << ": " << foreign.body;
        EXPECT_EQ(foreign.body.find(cardId), std::string::npos) << foreign.body;
    }
}

// No core dumps: the daemon sets its core limit to 0 (soft and hard) even when started with unlimited.
TEST_F(DaemonTest, RunsWithCoreLimitZero) {
    rlimit saved{};
    ::getrlimit(RLIMIT_CORE, &saved);
    rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
    ASSERT_EQ(::setrlimit(RLIMIT_CORE, &unlimited), 0);  // what the daemon inherits
    startDaemon();
    ::setrlimit(RLIMIT_CORE, &saved);
    std::ifstream limits("/proc/" + std::to_string(daemon_->pid()) + "/limits");
    std::string line;
    std::string core;
    while (std::getline(limits, line))
        if (line.rfind("Max core file size", 0) == 0) core = line;
    ASSERT_FALSE(core.empty());
    std::istringstream fields(core.substr(std::string("Max core file size").size()));
    std::string soft, hard;
    fields >> soft >> hard;
    EXPECT_EQ(soft, "0") << core;
    EXPECT_EQ(hard, "0") << core;
}
