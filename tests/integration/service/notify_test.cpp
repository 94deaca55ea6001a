// The real cardbridged under a stand-in service manager: READY=1 once it listens, WATCHDOG=1 within the
// watchdog interval, STOPPING=1 on SIGTERM and exit 0; a second instance on the same state folder exits 0
// at once with "already running" (no pcscd: the daemon must start without one).
#include <gtest/gtest.h>

#include <string>

#include "free_port.hpp"
#include "service_test_support.hpp"
#include "temp_dir.hpp"

using namespace cardbridge::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

class NotifyTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::make_unique<TempDir>("cardbridge-notify");
        ::setenv("HOME", dir_->path().c_str(), 1);
        ::setenv("XDG_CONFIG_HOME", (dir_->path() / "config").c_str(), 1);
        ::setenv("XDG_STATE_HOME", (dir_->path() / "state-home").c_str(), 1);
        ::setenv("PCSCLITE_CSOCK_NAME", (dir_->path() / "no-pcscd.comm").c_str(), 1);
        notify_ = std::make_unique<NotifySocket>(dir_->path() / "notify.sock");
        ::setenv("NOTIFY_SOCKET", notify_->path().c_str(), 1);
        ::setenv("WATCHDOG_USEC", "2000000", 1);
        ::unsetenv("WATCHDOG_PID");
        stateDir_ = dir_->path() / "state";
    }
    void TearDown() override {
        daemon_.reset();
        notify_.reset();
        dir_.reset();
    }

    std::vector<std::string> daemonArgs() {
        return {CARDBRIDGED_EXE, "--state-dir", stateDir_.string(), "--port", std::to_string(freePort())};
    }

    void startAndWaitReady() {
        daemon_ = std::make_unique<Spawned>(daemonArgs(), dir_->path() / "daemon.out");
        ready_ = notify_->waitFor("READY=1", 20s);
        ASSERT_TRUE(ready_) << slurp(dir_->path() / "daemon.out");
    }

    std::unique_ptr<TempDir> dir_;
    std::unique_ptr<NotifySocket> notify_;
    std::unique_ptr<Spawned> daemon_;
    std::optional<NotifySocket::Message> ready_;
    fs::path stateDir_;
};

}  // namespace

TEST_F(NotifyTest, ReadyWatchdogAndStoppingThenExitZero) {
    startAndWaitReady();
    EXPECT_NE(ready_->text.find("STATUS=listening on https://127.0.0.1:"), std::string::npos) << ready_->text;
    // The unit's interval here is 2 s (WATCHDOG_USEC): pings every second; watch for 3.5 s.
    std::this_thread::sleep_for(3500ms);
    auto pings = notify_->all("WATCHDOG=1");
    ASSERT_GE(pings.size(), 2u) << slurp(dir_->path() / "daemon.out");
    auto previous = ready_->at;
    for (const auto& ping : pings) {
        EXPECT_LT(ping.at - previous, 2s) << "a gap between pings reached the watchdog interval";
        previous = ping.at;
    }
    EXPECT_LT(NotifySocket::Clock::now() - pings.back().at, 2s);
    EXPECT_TRUE(notify_->all("STOPPING=1").empty());

    ASSERT_EQ(::kill(daemon_->pid(), SIGTERM), 0);
    EXPECT_TRUE(notify_->waitFor("STOPPING=1", 10s)) << slurp(dir_->path() / "daemon.out");
    auto status = daemon_->wait(15s);
    ASSERT_TRUE(status) << "cardbridged did not exit after SIGTERM";
    ASSERT_TRUE(WIFEXITED(*status)) << "status " << *status;
    EXPECT_EQ(WEXITSTATUS(*status), 0) << slurp(dir_->path() / "daemon.out");
}

TEST_F(NotifyTest, NoWatchdogPingsWhenWatchdogPidNamesAnotherProcess) {
    ::setenv("WATCHDOG_PID", "1", 1);  // sd_watchdog_enabled: the watchdog is meant for someone else
    startAndWaitReady();
    std::this_thread::sleep_for(2500ms);
    EXPECT_TRUE(notify_->all("WATCHDOG=1").empty());
    ASSERT_EQ(::kill(daemon_->pid(), SIGTERM), 0);
    auto status = daemon_->wait(15s);
    ASSERT_TRUE(status && WIFEXITED(*status));
    EXPECT_EQ(WEXITSTATUS(*status), 0);
}

TEST_F(NotifyTest, SecondInstanceOnTheSameStateFolderExitsZeroAtOnce) {
    startAndWaitReady();
    const auto started = std::chrono::steady_clock::now();
    Spawned second(daemonArgs(), dir_->path() / "second.out");
    auto status = second.wait(10s);
    const auto took = std::chrono::steady_clock::now() - started;
    ASSERT_TRUE(status) << "the second instance kept running: " << slurp(dir_->path() / "second.out");
    ASSERT_TRUE(WIFEXITED(*status));
    EXPECT_EQ(WEXITSTATUS(*status), 0);
    EXPECT_LT(took, 5s);
    const std::string out = slurp(dir_->path() / "second.out");
    EXPECT_NE(out.find("already running"), std::string::npos) << out;
    EXPECT_NE(out.find("已在运行"), std::string::npos) << out;
    EXPECT_NE(out.find("pid " + std::to_string(daemon_->pid())), std::string::npos) << out;
    // It told the manager why (and READY=1, so a unit start is not a failure Restart= would retry).
    EXPECT_TRUE(notify_->waitFor("STATUS=already running", 2s));
    // The first one is untouched and still serves.
    EXPECT_FALSE(daemon_->wait(0ms));
    ASSERT_EQ(::kill(daemon_->pid(), SIGTERM), 0);
    auto first = daemon_->wait(15s);
    ASSERT_TRUE(first && WIFEXITED(*first));
    EXPECT_EQ(WEXITSTATUS(*first), 0);
}

TEST_F(NotifyTest, WithoutNotifySocketTheDaemonRunsAndStopsAsBefore) {
    ::unsetenv("NOTIFY_SOCKET");
    daemon_ = std::make_unique<Spawned>(daemonArgs(), dir_->path() / "daemon.out");
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (slurp(dir_->path() / "daemon.out").find("cardbridged listening on") == std::string::npos) {
        ASSERT_FALSE(daemon_->wait(0ms)) << slurp(dir_->path() / "daemon.out");
        ASSERT_LT(std::chrono::steady_clock::now(), deadline);
        std::this_thread::sleep_for(50ms);
    }
    std::this_thread::sleep_for(1500ms);
    EXPECT_TRUE(notify_->all("WATCHDOG=1").empty());
    ASSERT_EQ(::kill(daemon_->pid(), SIGINT), 0);
    auto status = daemon_->wait(15s);
    ASSERT_TRUE(status && WIFEXITED(*status));
    EXPECT_EQ(WEXITSTATUS(*status), 0);
}
