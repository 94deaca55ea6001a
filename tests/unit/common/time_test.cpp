// isoTime: the one ISO 8601 UTC formatter.
#include <gtest/gtest.h>

#include "cardbridge/common/time.hpp"

namespace cardbridge {
namespace {

using namespace std::chrono;

TEST(IsoTime, FormatsUtcWithZ) {
    EXPECT_EQ(isoTime(sys_seconds(seconds(1741140000))), "2025-03-05T02:00:00Z");
    EXPECT_EQ(isoTime(sys_seconds(seconds(0))), "1970-01-01T00:00:00Z");
    EXPECT_EQ(isoTime(sys_days(year{2024} / February / day{29}) + hours(23) + minutes(59) + seconds(59)),
              "2024-02-29T23:59:59Z");
}

}  // namespace
}  // namespace cardbridge
