#include "cardbridge/common/clock.hpp"

#include "cardbridge/common/openssl.hpp"

namespace cardbridge {

Seconds SystemClock::now() const {
    return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

Bytes SystemRandom::bytes(std::size_t count) {
    return randomBytes(count);
}

}  // namespace cardbridge
