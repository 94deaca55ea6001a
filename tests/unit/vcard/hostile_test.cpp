// Hostile and malformed APDUs: every one gets a status word, nothing crashes, the card keeps working.
#include <gtest/gtest.h>

#include <random>

#include "test_support.hpp"

using namespace vcardtest;

TEST(VcardHostile, TruncatedAndWrongLengths) {
    Card card;
    card.select();
    EXPECT_EQ(toHex(card.applet.process({})), "6700");
    EXPECT_EQ(toHex(card.applet.process(fromHex("00"))), "6700");
    EXPECT_EQ(toHex(card.applet.process(fromHex("00 A4 04"))), "6700");
    EXPECT_EQ(swHex(card.send("00 CB 3F FF 0B 5C 03 5F C1")), "6700");           // Lc longer than data
    EXPECT_EQ(swHex(card.send("00 CB 3F FF 02 5C 03 5F C1 02 00 00")), "6700");  // Lc shorter
    EXPECT_EQ(swHex(card.send("00 CB 3F FF 00 00 05 5C 03 5F C1 02")), "6700");  // extended length
    EXPECT_EQ(swHex(card.send("80 CB 3F FF 03 5C 01 7E")), "6E00");
    EXPECT_EQ(swHex(card.send("00 99 00 00")), "6D00");
    EXPECT_EQ(swHex(card.send("00 87 07 9A 06 7C 84 FF FF FF FF")), "6A80");  // absurd TLV length
    EXPECT_EQ(swHex(card.send("00 87 03 9B 04 7C 02 80 01")), "6A80");        // inner TLV overruns
    EXPECT_EQ(toHex(card.send("00 FD 00 00").data), "050403");
}

TEST(VcardHostile, HugeChainIsBoundedAndForgotten) {
    Card card;
    card.select();
    Bytes chunk = fromHex("10 DB 3F FF FF");
    chunk.resize(5 + 255, 0x53);
    std::string last;
    for (int i = 0; i < 100; ++i) last = swHex(card.send(chunk));
    EXPECT_EQ(last, "9000");  // the chain restarted after overflowing, so the tail is accepted again
    int overflows = 0;
    Card other;
    other.select();
    for (int i = 0; i < 100; ++i) overflows += swHex(other.send(chunk)) == "6A84" ? 1 : 0;
    EXPECT_GE(overflows, 1);
    // A different command ends the chain; the card still answers normally.
    EXPECT_EQ(toHex(other.send("00 FD 00 00").data), "050403");
    EXPECT_EQ(swHex(other.send("00 DB 3F FF 07 5C 03 5F C1 0B 53 00")), "6982");
}

TEST(VcardHostile, RandomApdusNeverCrash) {
    CardState state = testState();
    Card card(state);
    std::mt19937 rng(1234);
    std::uniform_int_distribution<int> byte(0, 255);
    const std::uint8_t interesting[] = {0xA4, 0xCB, 0xDB, 0x20, 0x24, 0x2C, 0x87, 0x47,
                                        0xFE, 0xF7, 0xFA, 0xFB, 0xFF, 0xFD, 0xF8, 0xC0};
    for (int i = 0; i < 20000; ++i) {
        if (i % 50 == 0) card.select();
        std::size_t length = static_cast<std::size_t>(byte(rng)) + (i % 3 == 0 ? 5 : 0);
        Bytes apdu(length);
        for (auto& b : apdu) b = static_cast<std::uint8_t>(byte(rng));
        if (apdu.size() >= 5) {
            apdu[0] = (i % 4 == 0) ? 0x10 : 0x00;
            apdu[1] = interesting[static_cast<std::size_t>(byte(rng)) % sizeof interesting];
            apdu[4] = static_cast<std::uint8_t>(apdu.size() - 5);  // make Lc consistent half of the time
            if (i % 2 == 0) apdu[4] ^= 0x01;
        }
        Bytes response = card.applet.process(apdu);
        ASSERT_GE(response.size(), 2u) << toHex(apdu);
        ASSERT_LE(response.size(), 258u) << toHex(apdu);
    }
    card.applet.powerCycle();
    card.select();
    EXPECT_EQ(toHex(card.send("00 FD 00 00").data), "050403");
}
