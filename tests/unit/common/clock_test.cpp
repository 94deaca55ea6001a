// The real Clock and Random, and the fakes tests use in their place.
#include <gtest/gtest.h>

#include "cardbridge/common/clock.hpp"
#include "fakes/clock_random.hpp"

namespace cardbridge {
namespace {

using namespace std::chrono;

TEST(SystemClock, FollowsTheSystemClockInWholeSeconds) {
    const auto before = floor<seconds>(system_clock::now());
    const Seconds now = SystemClock().now();
    const auto after = floor<seconds>(system_clock::now());
    EXPECT_LE(before, now);
    EXPECT_LE(now, after);
}

TEST(SystemRandom, GivesTheCountAskedAndDiffersEachTime) {
    SystemRandom random;
    EXPECT_TRUE(random.bytes(0).empty());
    const Bytes a = random.bytes(32);
    const Bytes b = random.bytes(32);
    EXPECT_EQ(a.size(), 32u);
    EXPECT_NE(a, b);
}

TEST(Fakes, ClockMovesOnlyWhenTold) {
    fake::FakeClock clock(sys_seconds(seconds(1000)));
    EXPECT_EQ(clock.now(), sys_seconds(seconds(1000)));
    clock.advance(seconds(5));
    EXPECT_EQ(clock.now(), sys_seconds(seconds(1005)));
    clock.set(sys_seconds(seconds(7)));
    EXPECT_EQ(clock.now(), sys_seconds(seconds(7)));
}

TEST(Fakes, RandomIsDeterministicPerSeed) {
    fake::FakeRandom a(42);
    fake::FakeRandom b(42);
    fake::FakeRandom c(43);
    const Bytes first = a.bytes(16);
    EXPECT_EQ(first, b.bytes(16));
    EXPECT_NE(first, c.bytes(16));
    EXPECT_NE(first, a.bytes(16));
}

}  // namespace
}  // namespace cardbridge
