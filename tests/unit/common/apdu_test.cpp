#include <gtest/gtest.h>

#include "cardbridge/common/apdu.hpp"
#include "cardbridge/common/error.hpp"

using namespace cardbridge;

TEST(CommandApdu, ParsesAllFourCases) {
    auto c1 = CommandApdu::parse(fromHex("00 20 00 80"));
    EXPECT_EQ(c1.ins, 0x20);
    EXPECT_TRUE(c1.data.empty());
    EXPECT_FALSE(c1.le);

    auto c2 = CommandApdu::parse(fromHex("00 C0 00 00 00"));
    ASSERT_TRUE(c2.le);
    EXPECT_EQ(*c2.le, 256u);

    auto c3 = CommandApdu::parse(fromHex("00 A4 04 00 05 A0 00 00 03 08"));
    EXPECT_EQ(c3.data.size(), 5u);
    EXPECT_FALSE(c3.le);

    auto c4 = CommandApdu::parse(fromHex("00 CB 3F FF 03 5C 01 7E 08"));
    EXPECT_EQ(c4.data, fromHex("5C017E"));
    ASSERT_TRUE(c4.le);
    EXPECT_EQ(*c4.le, 8u);
}

TEST(CommandApdu, EncodeRoundTrips) {
    CommandApdu a{0x00, 0x24, 0x00, 0x80, Bytes(16, 0x31), std::nullopt};
    EXPECT_EQ(CommandApdu::parse(a.encode()).data, a.data);
    a.le = 256;
    EXPECT_EQ(a.encode().back(), 0x00);
}

TEST(CommandApdu, RejectsHostileInput) {
    EXPECT_THROW(CommandApdu::parse(fromHex("00 A4 04")), InputError);
    EXPECT_THROW(CommandApdu::parse(fromHex("00 A4 04 00 05 A0 00")), InputError);
    EXPECT_THROW(CommandApdu::parse(fromHex("00 A4 04 00 00 01 02")), InputError);
    CommandApdu big{0, 0xDB, 0x3F, 0xFF, Bytes(256, 0), std::nullopt};
    EXPECT_THROW((void)big.encode(), InputError);
}

TEST(ResponseApdu, SplitsStatusWord) {
    auto r = ResponseApdu::parse(fromHex("05 04 03 90 00"));
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.data, fromHex("050403"));
    EXPECT_EQ(ResponseApdu::parse(fromHex("63 C2")).sw(), 0x63C2);
    EXPECT_THROW(ResponseApdu::parse(fromHex("90")), InputError);
}
