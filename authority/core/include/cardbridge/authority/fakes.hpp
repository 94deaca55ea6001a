// Fakes of the Clock, Random and SmsGateway seams for unit tests (header-only; not used in production).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include "cardbridge/authority/clock.hpp"
#include "cardbridge/authority/sms_gateway.hpp"
#include "cardbridge/common/error.hpp"

namespace cardbridge::authority::fake {

/// A clock that moves only when told.
class FakeClock final : public Clock {
  public:
    explicit FakeClock(Seconds start) : now_(start.time_since_epoch().count()) {}
    [[nodiscard]] Seconds now() const override { return Seconds(std::chrono::seconds(now_.load())); }
    /// Moves the clock forward (or back) by `delta`.
    void advance(std::chrono::seconds delta) { now_ += delta.count(); }
    void set(Seconds t) { now_ = t.time_since_epoch().count(); }

  private:
    std::atomic<std::int64_t> now_;
};

/// Deterministic bytes from a seeded xorshift64* stream (not secure; tests only).
class FakeRandom final : public Random {
  public:
    explicit FakeRandom(std::uint64_t seed = 0x9E3779B97F4A7C15ULL) : state_(seed == 0 ? 1 : seed) {}
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

/// Records every message; can be told to fail.
class RecordingSmsGateway final : public SmsGateway {
  public:
    void send(const SmsMessage& message) override {
        std::lock_guard lock(mutex_);
        if (failNext_) {
            failNext_ = false;
            throw RetryableError("fake SMS gateway down");
        }
        messages_.push_back(message);
    }
    /// The next send throws RetryableError.
    void failNext() {
        std::lock_guard lock(mutex_);
        failNext_ = true;
    }
    [[nodiscard]] std::vector<SmsMessage> messages() const {
        std::lock_guard lock(mutex_);
        return messages_;
    }

  private:
    mutable std::mutex mutex_;
    bool failNext_ = false;
    std::vector<SmsMessage> messages_;
};

}  // namespace cardbridge::authority::fake
