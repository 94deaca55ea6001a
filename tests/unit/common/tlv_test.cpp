#include <gtest/gtest.h>

#include "cardbridge/common/error.hpp"
#include "cardbridge/common/tlv.hpp"

using namespace cardbridge;

TEST(Tlv, ParsesMultiByteTagsAndLongLengths) {
    Bytes value(300, 0xAB);
    Bytes encoded = makeTlv(0x5FC105, value);
    ASSERT_EQ(encoded.size(), 3u + 3u + 300u);
    EXPECT_EQ(encoded[0], 0x5F);
    EXPECT_EQ(encoded[3], 0x82);
    Tlv tlv = parseTlv(encoded);
    EXPECT_EQ(tlv.tag, 0x5FC105u);
    EXPECT_EQ(tlv.value.size(), 300u);
    EXPECT_EQ(tlv.encodedSize, encoded.size());
}

TEST(Tlv, WalksOneLevelAndFinds) {
    Bytes buf;
    appendTlv(buf, 0x70, Bytes{1, 2, 3});
    appendTlv(buf, 0x71, Bytes{0x01});
    appendTlv(buf, 0xFE, Bytes{});
    auto info = findTlv(buf, 0x71);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->size(), 1u);
    EXPECT_EQ((*info)[0], 0x01);
    EXPECT_FALSE(findTlv(buf, 0x72));
    TlvReader reader(buf);
    Tlv t;
    int count = 0;
    while (reader.next(t)) ++count;
    EXPECT_EQ(count, 3);
}

TEST(Tlv, SevenFortyNineTwoByteTag) {
    Bytes buf = makeTlv(0x7F49, Bytes{0x86, 0x01, 0x04});
    EXPECT_EQ(buf[0], 0x7F);
    EXPECT_EQ(buf[1], 0x49);
    EXPECT_EQ(parseTlv(buf).tag, 0x7F49u);
}

TEST(Tlv, RejectsTruncatedAndOversizedLengths) {
    EXPECT_THROW(parseTlv(Bytes{}), InputError);
    EXPECT_THROW(parseTlv(Bytes{0x53}), InputError);
    EXPECT_THROW(parseTlv(Bytes{0x53, 0x05, 0x01}), InputError);
    EXPECT_THROW(parseTlv(Bytes{0x53, 0x82, 0x01}), InputError);
    EXPECT_THROW(parseTlv(Bytes{0x53, 0x85, 1, 1, 1, 1, 1}), InputError);
    EXPECT_THROW(parseTlv(Bytes{0x53, 0x80}), InputError);
    EXPECT_THROW(parseTlv(Bytes{0x5F, 0xC1, 0x85, 0x80, 0x81, 0x00}), InputError);
}
