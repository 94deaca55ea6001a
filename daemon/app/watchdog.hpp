// The service manager's watchdog, fed only while the network threads still turn (header-only: main.cpp
// and its unit test include it).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "supervisor.hpp"

namespace cardbridge::daemon {

/// Every half watchdogInterval() it hands a no-op to `post` (the server's io_context) and calls alive()
/// when that ran, so a hung io loop stops the pings and the manager restarts the daemon (WatchdogSec= in
/// the unit). While a probe has not run no other is queued. Does nothing when watchdogInterval() is zero.
/// `post` and `supervisor` must outlive the Watchdog; tasks `post` runs after that call nothing stale.
class Watchdog {
  public:
    using Post = std::function<void(std::function<void()> task)>;

    Watchdog(Post post, Supervisor& supervisor) {
        const auto interval = supervisor.watchdogInterval();
        if (interval.count() <= 0) return;
        thread_ =
            std::thread([this, post = std::move(post), supervisor = &supervisor, period = interval / 2] {
                auto probeQueued = std::make_shared<std::atomic<bool>>(false);
                std::unique_lock lock(mutex_);
                while (!wake_.wait_for(lock, period, [this] { return done_; })) {
                    if (probeQueued->exchange(true)) continue;  // the last probe has not run: no ping
                    post([probeQueued, supervisor] {
                        probeQueued->store(false);
                        supervisor->alive();
                    });
                }
            });
    }
    /// Ends the thread (at once, not at the next tick).
    ~Watchdog() {
        {
            std::lock_guard lock(mutex_);
            done_ = true;
        }
        wake_.notify_all();
        if (thread_.joinable()) thread_.join();
    }
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;

  private:
    std::mutex mutex_;
    std::condition_variable wake_;
    bool done_ = false;
    std::thread thread_;
};

}  // namespace cardbridge::daemon
