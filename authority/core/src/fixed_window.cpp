#include "fixed_window.hpp"

namespace cardbridge::authority::detail {

WindowCount countInWindow(Storage& storage, const std::string& key, std::chrono::seconds window,
                          Seconds now) {
    const Seconds start(now.time_since_epoch() - now.time_since_epoch() % window);
    return {storage.incrementCounter(key, start), start + window - now};
}

}  // namespace cardbridge::authority::detail
