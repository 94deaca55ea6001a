// The reader monitor through the real pcscd: initial state, card hotplug, pcscd loss and return, stop.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "card_fixture.hpp"

namespace cardbridge::card::test {
namespace {

using namespace std::chrono_literals;
using Kind = ReaderEvent::Kind;

/// Collects events from the monitor thread.
class EventLog {
  public:
    void push(const ReaderEvent& event) {
        std::lock_guard lock(mutex_);
        events_.push_back(event);
        changed_.notify_all();
    }
    /// Waits until an event of `kind` for `reader` arrived after index `from`; returns its index.
    std::size_t waitFor(Kind kind, const std::string& reader, std::size_t from = 0,
                        std::chrono::milliseconds timeout = 15s) {
        std::unique_lock lock(mutex_);
        std::size_t found = SIZE_MAX;
        changed_.wait_for(lock, timeout, [&] {
            for (std::size_t i = from; i < events_.size(); ++i) {
                if (events_[i].kind == kind && events_[i].reader == reader) {
                    found = i;
                    return true;
                }
            }
            return false;
        });
        if (found == SIZE_MAX) ADD_FAILURE() << "no " << toString(kind) << " for '" << reader << "'";
        return found == SIZE_MAX ? events_.size() : found;
    }
    std::vector<ReaderEvent> snapshot() {
        std::lock_guard lock(mutex_);
        return events_;
    }

  private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<ReaderEvent> events_;
};

class ReaderMonitorTest : public CardFixture {};

TEST_F(ReaderMonitorTest, ReportsInitialStateAndCardHotplug) {
    EventLog log;
    ReaderMonitor monitor([&](const ReaderEvent& e) { log.push(e); });
    log.waitFor(Kind::ReaderAdded, env_->readerName(0));
    log.waitFor(Kind::ReaderAdded, env_->readerName(1));
    std::size_t inserted = log.waitFor(Kind::CardInserted, reader_);
    EXPECT_FALSE(log.snapshot().at(inserted).atr.empty());

    // Idle: nothing new arrives (no spurious events from the wait loop).
    const std::size_t settled = log.snapshot().size();
    std::this_thread::sleep_for(1500ms);
    EXPECT_EQ(log.snapshot().size(), settled);

    card_->remove();
    std::size_t removed = log.waitFor(Kind::CardRemoved, reader_, settled);
    card_->insert();
    log.waitFor(Kind::CardInserted, reader_, removed);

    // A 60 s safety timeout must not delay shutdown: SCardCancel wakes the wait.
    const auto start = std::chrono::steady_clock::now();
    monitor.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST_F(ReaderMonitorTest, ReportsPcscdLossAndReturn) {
    EventLog log;
    ReaderMonitorOptions options;
    options.serviceRetry = 200ms;
    ReaderMonitor monitor([&](const ReaderEvent& e) { log.push(e); }, options);
    log.waitFor(Kind::CardInserted, reader_);
    const std::size_t before = log.snapshot().size();

    env_->stopPcscd();
    std::size_t lost = log.waitFor(Kind::ServiceLost, "", before);
    auto events = log.snapshot();
    bool readerRemoved = false;
    for (std::size_t i = before; i < events.size(); ++i) {
        readerRemoved =
            readerRemoved || (events[i].kind == Kind::ReaderRemoved && events[i].reader == reader_);
    }
    EXPECT_TRUE(readerRemoved);

    env_->startPcscd();
    std::size_t restored = log.waitFor(Kind::ServiceRestored, "", lost);
    log.waitFor(Kind::ReaderAdded, reader_, restored);
    log.waitFor(Kind::CardInserted, reader_, restored, 20s);
}

TEST(ReaderMonitorStop, StopsPromptlyRightAfterStart) {
    // Stop may race with the thread entering its wait; it must still return quickly.
    for (int i = 0; i < 5; ++i) {
        ReaderMonitor monitor([](const ReaderEvent&) {});
        const auto start = std::chrono::steady_clock::now();
        monitor.stop();
        EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
    }
}

}  // namespace
}  // namespace cardbridge::card::test
