// Requests-per-second bound per connection: a token bucket. Pure; one per session, used on its strand.
#pragma once

#include <algorithm>
#include <chrono>

namespace cardbridge::daemon {

/// Allows bursts of `perSecond` and a sustained `perSecond` per second. Not thread-safe.
class TokenBucket {
  public:
    using Clock = std::chrono::steady_clock;

    /// Starts full. `perSecond` 0 is treated as 1.
    TokenBucket(unsigned perSecond, Clock::time_point now)
        : capacity_(std::max(1U, perSecond)), tokens_(capacity_), last_(now) {}

    /// Takes one token; false when the bucket is empty (the request is refused).
    bool take(Clock::time_point now) {
        const std::chrono::duration<double> elapsed = now - last_;
        if (elapsed.count() > 0) {
            tokens_ = std::min(capacity_, tokens_ + elapsed.count() * capacity_);
            last_ = now;
        }
        if (tokens_ < 1.0) return false;
        tokens_ -= 1.0;
        return true;
    }

  private:
    double capacity_;
    double tokens_;
    Clock::time_point last_;
};

}  // namespace cardbridge::daemon
