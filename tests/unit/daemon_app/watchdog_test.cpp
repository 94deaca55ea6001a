// The watchdog pings only when the probe it posted has run: a hung io loop (a post that never runs its
// task) stops the pings, which is what makes systemd restart a stuck daemon.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "watchdog.hpp"

using cardbridge::daemon::Supervisor;
using cardbridge::daemon::Watchdog;
using namespace std::chrono_literals;

namespace {

class CountingSupervisor final : public Supervisor {
  public:
    explicit CountingSupervisor(std::chrono::microseconds interval) : interval_(interval) {}
    void ready(std::uint16_t) override {}
    void stopping() override {}
    [[nodiscard]] std::chrono::microseconds watchdogInterval() const override { return interval_; }
    void alive() override { ++pings; }
    void status(std::string_view) override {}
    std::atomic<int> pings{0};

  private:
    std::chrono::microseconds interval_;
};

}  // namespace

TEST(Watchdog, PingsAboutTwicePerIntervalWhileTheLoopRunsProbes) {
    CountingSupervisor supervisor(200ms);  // probes every 100 ms
    std::atomic<int> posted{0};
    {
        Watchdog watchdog(
            [&posted](std::function<void()> task) {
                ++posted;
                task();
            },
            supervisor);
        std::this_thread::sleep_for(1050ms);
    }
    EXPECT_GE(supervisor.pings.load(), 5);  // 10 ticks; slack for a loaded machine
    EXPECT_LE(supervisor.pings.load(), 11);
    EXPECT_EQ(supervisor.pings.load(), posted.load());
}

TEST(Watchdog, AHungLoopGetsOneProbeAndNoPings) {
    CountingSupervisor supervisor(100ms);
    std::mutex mutex;
    std::vector<std::function<void()>> stuck;  // posted, never run: the io loop hangs
    {
        Watchdog watchdog(
            [&](std::function<void()> task) {
                std::lock_guard lock(mutex);
                stuck.push_back(std::move(task));
            },
            supervisor);
        std::this_thread::sleep_for(500ms);
        EXPECT_EQ(supervisor.pings.load(), 0);
        std::lock_guard lock(mutex);
        EXPECT_EQ(stuck.size(), 1u) << "probes piled up behind a hung loop";
        // The loop comes back: the probe runs, the ping follows, and probing resumes.
        stuck.front()();
        stuck.clear();
    }
    EXPECT_EQ(supervisor.pings.load(), 1);
}

TEST(Watchdog, NoIntervalNoThreadNoProbes) {
    CountingSupervisor supervisor(0us);
    std::atomic<int> posted{0};
    {
        Watchdog watchdog([&posted](std::function<void()>) { ++posted; }, supervisor);
        std::this_thread::sleep_for(200ms);
    }
    EXPECT_EQ(posted.load(), 0);
}

TEST(Watchdog, DestructionDoesNotWaitForTheNextTick) {
    CountingSupervisor supervisor(std::chrono::seconds(60));
    const auto start = std::chrono::steady_clock::now();
    {
        Watchdog watchdog([](std::function<void()> task) { task(); }, supervisor);
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}
