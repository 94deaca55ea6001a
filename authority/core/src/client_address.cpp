#include "cardbridge/authority/core/client_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>

namespace cardbridge::authority {

std::string rateLimitBucket(std::string_view address) {
    const std::string text(address);
    std::array<unsigned char, 16> v6{};
    if (::inet_pton(AF_INET6, text.c_str(), v6.data()) != 1) return text;
    const bool mapped = std::all_of(v6.begin(), v6.begin() + 10, [](unsigned char b) { return b == 0; }) &&
                        v6[10] == 0xff && v6[11] == 0xff;
    std::array<char, INET6_ADDRSTRLEN> out{};
    if (mapped) {
        if (::inet_ntop(AF_INET, v6.data() + 12, out.data(), out.size()) == nullptr) return text;
        return out.data();
    }
    for (std::size_t i = 8; i < v6.size(); ++i) v6[i] = 0;
    if (::inet_ntop(AF_INET6, v6.data(), out.data(), out.size()) == nullptr) return text;
    return std::string(out.data()) + "/64";
}

}  // namespace cardbridge::authority
