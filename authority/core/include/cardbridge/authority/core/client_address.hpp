// Client addresses as rate limits see them.
#pragma once

#include <string>
#include <string_view>

namespace cardbridge::authority {

/// The bucket an address is counted in: an IPv4 address as itself (also when written IPv4-mapped,
/// "::ffff:192.0.2.1"), an IPv6 address by its /64 ("2001:db8:1:2::/64" — one subscriber usually holds a
/// whole /64), anything else unchanged. Never throws beyond std::bad_alloc.
std::string rateLimitBucket(std::string_view address);

}  // namespace cardbridge::authority
