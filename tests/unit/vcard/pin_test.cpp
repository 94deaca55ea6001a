// PIN and PUK: VERIFY, counters, blocking, CHANGE REFERENCE DATA, RESET RETRY COUNTER, YubiKey RESET.
#include <gtest/gtest.h>

#include "test_support.hpp"

using namespace vcardtest;

namespace {
Bytes verifyApdu(std::string_view pin) {
    Bytes apdu = fromHex("00 20 00 80 08");
    append(apdu, pad8(pin));
    return apdu;
}
Bytes twoBlocks(std::uint8_t ins, std::uint8_t p2, std::string_view a, std::string_view b) {
    Bytes apdu{0x00, ins, 0x00, p2, 0x10};
    append(apdu, pad8(a));
    append(apdu, pad8(b));
    return apdu;
}
}  // namespace

TEST(VcardPin, StatusFormsDoNotConsumeTries) {
    Card card;
    card.select();
    EXPECT_EQ(swHex(card.send("00 20 00 80")), "63C3");     // OpenSC, case 1
    EXPECT_EQ(swHex(card.send("00 20 00 80 00")), "63C3");  // ykpiv
    card.verifyPin();
    EXPECT_EQ(swHex(card.send("00 20 00 80")), "9000");
    EXPECT_TRUE(card.applet.pinVerified());
    EXPECT_EQ(swHex(card.send("00 20 FF 80")), "9000");  // log out
    EXPECT_FALSE(card.applet.pinVerified());
    EXPECT_EQ(swHex(card.send("00 20 00 80")), "63C3");
}

TEST(VcardPin, CountdownBlocksWith63C0Then6983) {
    Card card;
    card.select();
    EXPECT_EQ(swHex(card.send(verifyApdu("000000"))), "63C2");
    EXPECT_EQ(card.store.stored().pinTriesLeft, 2);  // persisted before answering
    EXPECT_EQ(swHex(card.send(verifyApdu("000000"))), "63C1");
    EXPECT_EQ(swHex(card.send(verifyApdu("000000"))), "63C0");
    EXPECT_EQ(swHex(card.send(verifyApdu("123456"))), "6983");  // even the right PIN
    EXPECT_EQ(swHex(card.send("00 20 00 80")), "6983");
    EXPECT_EQ(card.store.stored().pinTriesLeft, 0);
    EXPECT_FALSE(card.applet.pinVerified());
}

TEST(VcardPin, CorrectPinRefillsCounter) {
    Card card;
    card.select();
    EXPECT_EQ(swHex(card.send(verifyApdu("000000"))), "63C2");
    card.verifyPin();
    EXPECT_EQ(card.store.stored().pinTriesLeft, 3);
}

TEST(VcardPin, WrongLengthAndReference) {
    Card card;
    card.select();
    EXPECT_EQ(swHex(card.send("00 20 00 80 06 31 32 33 34 35 36")), "6A80");
    EXPECT_EQ(swHex(card.send("00 20 00 00 08 31 32 33 34 35 36 FF FF")), "6A88");  // global PIN
    EXPECT_EQ(card.store.stored().pinTriesLeft, 3);
}

TEST(VcardPin, ChangePinAndPuk) {
    Card card;
    card.select();
    EXPECT_EQ(swHex(card.send(twoBlocks(0x24, 0x80, "999999", "654321"))), "63C2");
    EXPECT_EQ(swHex(card.send(twoBlocks(0x24, 0x80, "123456", "654321"))), "9000");
    EXPECT_EQ(card.store.stored().pin, toBytes("654321"));
    EXPECT_EQ(card.store.stored().pinTriesLeft, 3);
    EXPECT_EQ(swHex(card.send(verifyApdu("123456"))), "63C2");
    card.verifyPin("654321");

    EXPECT_EQ(swHex(card.send(twoBlocks(0x24, 0x81, "12345678", "87654321"))), "9000");
    EXPECT_EQ(card.store.stored().puk, toBytes("87654321"));
    EXPECT_EQ(swHex(card.send(twoBlocks(0x24, 0x81, "12345678", "11111111"))), "63C2");
}

TEST(VcardPin, ChangeRejectsBadNewPinWithoutCostingATry) {
    Card card;
    card.select();
    EXPECT_EQ(swHex(card.send(twoBlocks(0x24, 0x80, "123456", "1234"))), "6A80");  // too short
    Bytes gap = twoBlocks(0x24, 0x80, "123456", "123456");
    gap[5 + 8 + 6] = 0xFF;
    gap[5 + 8 + 7] = 0x39;  // padding followed by a digit
    EXPECT_EQ(swHex(card.send(gap)), "6A80");
    EXPECT_EQ(swHex(card.send("00 24 00 80 08 31 32 33 34 35 36 FF FF")), "6A80");  // only one block
    EXPECT_EQ(card.store.stored().pinTriesLeft, 3);
    EXPECT_EQ(card.store.stored().pin, toBytes("123456"));
}

TEST(VcardPin, UnblockWithPukResetsCounterButLeavesPinUnverified) {
    CardState state = testState();
    state.pinTriesLeft = 0;
    Card card(state);
    card.select();
    EXPECT_EQ(swHex(card.send(twoBlocks(0x2C, 0x80, "12345678", "24681357"))), "9000");
    EXPECT_EQ(card.store.stored().pinTriesLeft, 3);
    EXPECT_EQ(card.store.stored().pin, toBytes("24681357"));
    EXPECT_FALSE(card.applet.pinVerified());
    EXPECT_EQ(swHex(card.send("00 20 00 80")), "63C3");
    card.verifyPin("24681357");
}

TEST(VcardPin, UnblockRejectsShortNewPinAndWrongP2) {
    CardState state = testState();
    state.pinTriesLeft = 0;
    Card card(state);
    card.select();
    EXPECT_EQ(swHex(card.send(twoBlocks(0x2C, 0x80, "12345678", "1234"))), "6A80");
    EXPECT_EQ(swHex(card.send(twoBlocks(0x2C, 0x81, "12345678", "123456"))), "6A88");
    EXPECT_EQ(card.store.stored().pukTriesLeft, 3);  // neither cost a PUK try
    EXPECT_EQ(card.store.stored().pinTriesLeft, 0);
}

TEST(VcardPin, WrongPukCountsDownAndBlocks) {
    CardState state = testState();
    state.pinTriesLeft = 0;
    Card card(state);
    card.select();
    EXPECT_EQ(swHex(card.send(twoBlocks(0x2C, 0x80, "00000000", "123456"))), "63C2");
    EXPECT_EQ(swHex(card.send(twoBlocks(0x2C, 0x80, "00000000", "123456"))), "63C1");
    EXPECT_EQ(swHex(card.send(twoBlocks(0x2C, 0x80, "00000000", "123456"))), "63C0");
    EXPECT_EQ(swHex(card.send(twoBlocks(0x2C, 0x80, "12345678", "123456"))), "6983");
    EXPECT_EQ(swHex(card.send(twoBlocks(0x24, 0x81, "12345678", "11111111"))), "6983");
    EXPECT_EQ(card.store.stored().pukTriesLeft, 0);
}

TEST(VcardPin, ResetOnlyWhenPinAndPukBlocked) {
    CardState state = testState();
    state.objects[0x5FC105] = fromHex("53 03 70 01 00");
    state.pinTriesLeft = 0;
    Card card(state);
    card.select();
    EXPECT_EQ(swHex(card.send("00 FB 00 00")), "6985");
    for (int i = 0; i < 3; ++i) card.send(twoBlocks(0x2C, 0x80, "00000000", "123456"));
    EXPECT_EQ(swHex(card.send("00 FB 00 00")), "9000");
    const CardState& fresh = card.store.stored();
    EXPECT_EQ(fresh.pinTriesLeft, 3);
    EXPECT_EQ(fresh.pukTriesLeft, 3);
    EXPECT_EQ(fresh.serial, 12345678u);  // the serial is the hardware's
    EXPECT_TRUE(fresh.objects.empty());
    EXPECT_NE(fresh.guid, state.guid);
    card.verifyPin("123456");
}

TEST(VcardPin, MetadataReportsCounters) {
    Card card;
    card.select();
    card.send(verifyApdu("000000"));
    EXPECT_EQ(toHex(card.send("00 F7 00 80 00").data),
              "0101FF050101060203"
              "02");
    EXPECT_EQ(toHex(card.send("00 F7 00 81 00").data),
              "0101FF050101060203"
              "03");
    EXPECT_EQ(swHex(card.send("00 F7 00 9A 00")), "6A88");  // empty slot
}

TEST(VcardPin, SetPinRetriesNeedsMgmtKeyAndPin) {
    Card card;
    card.select();
    EXPECT_EQ(swHex(card.send("00 FA 05 04")), "6982");
    card.authenticateMgmt(defaultMgmtKey());
    EXPECT_EQ(swHex(card.send("00 FA 05 04")), "6982");  // PIN missing
    card.verifyPin();
    EXPECT_EQ(swHex(card.send("00 FA 05 04")), "9000");
    EXPECT_EQ(card.store.stored().pinRetries, 5);
    EXPECT_EQ(card.store.stored().pukTriesLeft, 4);
    EXPECT_EQ(swHex(card.send("00 20 00 80")), "63C5");
}
