// Time formatting shared by the daemon, the authority and the certificate tools.
#pragma once

#include <chrono>
#include <string>

namespace cardbridge {

/// ISO 8601 / RFC 3339 UTC form of `time`: "YYYY-MM-DDTHH:MM:SSZ" (years 0000–9999). Never throws except
/// std::bad_alloc.
std::string isoTime(std::chrono::sys_seconds time);

}  // namespace cardbridge
