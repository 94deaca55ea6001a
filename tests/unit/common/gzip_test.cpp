#include <gtest/gtest.h>

#include "cardbridge/common/error.hpp"
#include "cardbridge/common/gzip.hpp"

using namespace cardbridge;

TEST(Gzip, RoundTrips) {
    Bytes data(5000);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i % 7);
    Bytes packed = gzipCompress(data);
    ASSERT_GE(packed.size(), 2u);
    EXPECT_EQ(packed[0], 0x1F);  // gzip magic
    EXPECT_EQ(packed[1], 0x8B);
    EXPECT_LT(packed.size(), data.size());
    EXPECT_EQ(gzipDecompress(packed), data);
}

TEST(Gzip, RejectsCorruptTruncatedAndBombs) {
    Bytes packed = gzipCompress(Bytes(100000, 0));
    EXPECT_THROW(gzipDecompress(packed, 1000), InputError);
    Bytes truncated(packed.begin(), packed.begin() + static_cast<long>(packed.size() / 2));
    EXPECT_THROW(gzipDecompress(truncated, 200000), InputError);
    EXPECT_THROW(gzipDecompress(fromHex("1F8B0800DEADBEEF")), InputError);
    EXPECT_THROW(gzipDecompress(Bytes{}), InputError);
    Bytes trailing = gzipCompress(Bytes(10, 1));
    trailing.push_back(0x00);
    EXPECT_THROW(gzipDecompress(trailing), InputError);
}
