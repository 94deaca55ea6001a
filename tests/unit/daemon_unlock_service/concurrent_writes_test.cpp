// The service writes a card's pending record from two threads: the poller (a decision seen) and a pool
// thread (the method that applies a fresh status, begin, withdraw, submit). UnlockStore's writes go through
// one fixed temp file per record (<record>.tmp), so two writers at once truncate and rename each other's
// temp file: one of them fails ("cannot rename …json.tmp"), and a method call answers INTERNAL — seen in
// this suite's ReviewRoute tests as a poller error in the log. The service's window is a few milliseconds, so
// the test below drives the store the way the service's two threads do, many times over.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "cardbridge/daemon/unlock/unlock_store.hpp"
#include "temp_dir.hpp"

namespace cardbridge::test {
namespace {

using daemon::unlock::PendingRequest;
using daemon::unlock::UnlockStore;

// Expected: each write is atomic and none fails while another thread writes the same record.
TEST(ConcurrentWrites, ThePollerAndAMethodWritingOneRecordAtOnceBothSucceed) {
    TempDir dir("cardbridge-unlock-race");
    const UnlockStore store(dir.path());
    PendingRequest p{"8C1A3F0E5B7D4C2A9E6F1B3D5A7C9E0F",
                     "20261127",
                     std::string(32, 'a'),
                     std::string(64, 'F'),
                     "9a",
                     "in_review",
                     "2026-03-02T08:00:00Z",
                     "2026-03-02T08:00:00Z"};
    std::atomic<int> failures{0};
    auto writer = [&](const std::string& step) {
        PendingRequest mine = p;
        mine.step = step;
        for (int i = 0; i < 100; ++i) {
            try {
                store.writePending(mine);
            } catch (const std::exception&) {
                ++failures;
            }
        }
    };
    std::thread poller(writer, "approved");
    std::thread method(writer, "in_review");
    poller.join();
    method.join();
    EXPECT_EQ(failures.load(), 0);
    const auto stored = store.pending(p.cardId);
    ASSERT_TRUE(stored.has_value());  // never a corrupt record moved aside
    EXPECT_EQ(stored->requestId, p.requestId);
}

}  // namespace
}  // namespace cardbridge::test
