// The seams for time and randomness, one shape for the whole project: one interface each and one real
// implementation here; the fakes live in tests/support/fakes (target cardbridge_test_fakes).
#pragma once

#include <chrono>
#include <cstddef>

#include "cardbridge/common/bytes.hpp"

namespace cardbridge {

/// Whole seconds since the Unix epoch (UTC): the unit of wall-clock time in storage and rules.
using Seconds = std::chrono::sys_seconds;

/// Wall clock. Implementations are thread-safe.
class Clock {
  public:
    virtual ~Clock() = default;
    /// The current time, truncated to seconds. Never throws.
    [[nodiscard]] virtual Seconds now() const = 0;
};

/// Cryptographically secure random bytes. Implementations are thread-safe.
class Random {
  public:
    virtual ~Random() = default;
    /// `count` random bytes. Throws FatalError (OpenSslError) if the generator fails.
    [[nodiscard]] virtual Bytes bytes(std::size_t count) = 0;
};

/// std::chrono::system_clock, floored to seconds.
class SystemClock final : public Clock {
  public:
    /// The system time. Never throws.
    [[nodiscard]] Seconds now() const override;
};

/// OpenSSL's CSPRNG (RAND_bytes).
class SystemRandom final : public Random {
  public:
    /// `count` bytes from RAND_bytes. Throws OpenSslError on failure.
    [[nodiscard]] Bytes bytes(std::size_t count) override;
};

}  // namespace cardbridge
