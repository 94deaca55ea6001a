// Seams for time and randomness: one interface each, one real implementation; fakes in fakes.hpp.
#pragma once

#include <chrono>
#include <cstddef>

#include "cardbridge/common/bytes.hpp"

namespace cardbridge::authority {

/// Whole seconds since the Unix epoch (UTC); the authority's unit of time in storage and rules.
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
    /// `count` random bytes. Throws FatalError if the generator fails.
    [[nodiscard]] virtual Bytes bytes(std::size_t count) = 0;
};

/// std::chrono::system_clock.
class SystemClock final : public Clock {
  public:
    [[nodiscard]] Seconds now() const override;
};

/// OpenSSL's RAND_bytes. Throws OpenSslError on failure.
class OpenSslRandom final : public Random {
  public:
    [[nodiscard]] Bytes bytes(std::size_t count) override;
};

}  // namespace cardbridge::authority
