#include <gtest/gtest.h>

#include "cardbridge/common/bytes.hpp"
#include "cardbridge/common/error.hpp"

using namespace cardbridge;

TEST(Hex, RoundTripsAndAcceptsSeparators) {
    Bytes b = fromHex("3b:fd 13-00");
    EXPECT_EQ(b, (Bytes{0x3B, 0xFD, 0x13, 0x00}));
    EXPECT_EQ(toHex(b), "3BFD1300");
    EXPECT_EQ(toLowerHex(b), "3bfd1300");
    EXPECT_TRUE(fromHex("").empty());
    EXPECT_EQ(hexDigitValue('7'), 7);
    EXPECT_EQ(hexDigitValue('b'), 11);
    EXPECT_EQ(hexDigitValue('F'), 15);
    EXPECT_EQ(hexDigitValue('g'), -1);
}

TEST(Hex, RejectsHostileInput) {
    EXPECT_THROW(fromHex("3"), InputError);
    EXPECT_THROW(fromHex("zz"), InputError);
    EXPECT_THROW(fromHex("3 b"), InputError);
}
