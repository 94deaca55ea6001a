// Fixed-window counters over Storage: the rate limits of create() and of reviewers' logins.
#pragma once

#include <chrono>
#include <string>

#include "cardbridge/authority/core/storage.hpp"

namespace cardbridge::authority::detail {

/// One counted event.
struct WindowCount {
    int count = 0;                       ///< events in the current window, this one included
    std::chrono::seconds retryAfter{0};  ///< until the window ends
};

/// Counts one event for `key` in the fixed window of length `window` (aligned to the Unix epoch) that
/// holds `now`. Throws FatalError on storage failure.
WindowCount countInWindow(Storage& storage, const std::string& key, std::chrono::seconds window, Seconds now);

}  // namespace cardbridge::authority::detail
