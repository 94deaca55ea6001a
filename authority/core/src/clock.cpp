#include "cardbridge/authority/clock.hpp"

#include "cardbridge/common/openssl.hpp"

namespace cardbridge::authority {

Seconds SystemClock::now() const {
    return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

Bytes OpenSslRandom::bytes(std::size_t count) {
    return randomBytes(count);
}

}  // namespace cardbridge::authority
