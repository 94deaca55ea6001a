// Fakes of the Clock and Random seams (cardbridge/common/clock.hpp) for unit tests. Header-only; target
// cardbridge_test_fakes.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>

#include "cardbridge/common/clock.hpp"

namespace cardbridge::fake {

/// A clock that moves only when told. Thread-safe.
class FakeClock final : public Clock {
  public:
    /// Starts at `start`.
    explicit FakeClock(Seconds start) : now_(start.time_since_epoch().count()) {}
    /// The time last set. Never throws.
    [[nodiscard]] Seconds now() const override { return Seconds(std::chrono::seconds(now_.load())); }
    /// Moves the clock forward (or back) by `delta`.
    void advance(std::chrono::seconds delta) { now_ += delta.count(); }
    /// Jumps to `t`.
    void set(Seconds t) { now_ = t.time_since_epoch().count(); }

  private:
    std::atomic<std::int64_t> now_;
};

/// Deterministic bytes from a seeded xorshift64* stream (not secure; tests only). Thread-safe.
class FakeRandom final : public Random {
  public:
    /// The same seed gives the same stream.
    explicit FakeRandom(std::uint64_t seed = 0x9E3779B97F4A7C15ULL) : state_(seed == 0 ? 1 : seed) {}
    /// The next `count` bytes of the stream. Never throws except std::bad_alloc.
    [[nodiscard]] Bytes bytes(std::size_t count) override {
        std::lock_guard lock(mutex_);
        Bytes out(count);
        for (auto& b : out) {
            state_ ^= state_ >> 12;
            state_ ^= state_ << 25;
            state_ ^= state_ >> 27;
            b = static_cast<std::uint8_t>((state_ * 0x2545F4914F6CDD1DULL) >> 56);
        }
        return out;
    }

  private:
    std::mutex mutex_;
    std::uint64_t state_;
};

}  // namespace cardbridge::fake
