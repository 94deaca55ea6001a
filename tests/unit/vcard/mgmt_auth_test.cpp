// Management key (9B) mutual authentication as ykpiv does it, PUT DATA and SET MANAGEMENT KEY.
#include <gtest/gtest.h>

#include "cardbridge/vcard/piv_objects.hpp"
#include "test_support.hpp"

using namespace vcardtest;

TEST(VcardMgmt, MutualAuthWithDefaultKey) {
    Card card;
    card.select();
    EXPECT_FALSE(card.applet.mgmtAuthenticated());
    card.authenticateMgmt(defaultMgmtKey());
    EXPECT_TRUE(card.applet.mgmtAuthenticated());
}

TEST(VcardMgmt, AcceptsTrailing8200Form) {
    Card card;
    card.select();
    ResponseApdu step1 = card.send("00 87 03 9B 04 7C 02 80 00");
    Bytes witness = des3(defaultMgmtKey(), Bytes(step1.data.begin() + 4, step1.data.end()), false);
    Bytes apdu = fromHex("00 87 03 9B 18 7C 16 80 08");
    append(apdu, witness);
    append(apdu, fromHex("81 08 11 22 33 44 55 66 77 88 82 00"));
    ResponseApdu step2 = card.send(apdu);
    ASSERT_EQ(swHex(step2), "9000");
    EXPECT_EQ(Bytes(step2.data.begin() + 4, step2.data.end()),
              des3(defaultMgmtKey(), fromHex("1122334455667788"), true));
    EXPECT_TRUE(card.applet.mgmtAuthenticated());
}

TEST(VcardMgmt, WrongKeyIsRefused) {
    Card card;
    card.select();
    ResponseApdu step1 = card.send("00 87 03 9B 04 7C 02 80 00");
    Bytes wrongKey(24, 0x42);
    Bytes apdu = fromHex("00 87 03 9B 16 7C 14 80 08");
    append(apdu, des3(wrongKey, Bytes(step1.data.begin() + 4, step1.data.end()), false));
    append(apdu, fromHex("81 08 01 02 03 04 05 06 07 08"));
    EXPECT_EQ(swHex(card.send(apdu)), "6982");
    EXPECT_FALSE(card.applet.mgmtAuthenticated());
    // The witness is single use: replaying step 2 without a new step 1 fails even with the right answer.
    EXPECT_EQ(swHex(card.send(apdu)), "6982");
}

TEST(VcardMgmt, RandomNumbersForOpenSc) {
    Card card;
    card.select();
    ResponseApdu r = card.send("00 87 00 9B 04 7C 02 81 00 00");
    ASSERT_EQ(swHex(r), "9000");
    ASSERT_EQ(r.data.size(), 12u);
    EXPECT_EQ(toHex(Bytes(r.data.begin(), r.data.begin() + 4)), "7C0A8108");
}

TEST(VcardMgmt, PutDataNeedsMgmtKeyThenGetDataReturnsIt) {
    Card card;
    card.select();
    Bytes der(600, 0x30);
    Bytes object = certificateObject(der, false);
    Bytes data = fromHex("5C 03 5F C1 0B");
    append(data, object);
    EXPECT_EQ(swHex(card.transmit(0xDB, 0x3F, 0xFF, data, std::nullopt)), "6982");
    card.authenticateMgmt(defaultMgmtKey());
    EXPECT_EQ(swHex(card.transmit(0xDB, 0x3F, 0xFF, data, std::nullopt)), "9000");  // chained: 3 chunks
    EXPECT_EQ(card.store.stored().objects.at(0x5FC10B), object);
    ResponseApdu read = card.transmit(0xCB, 0x3F, 0xFF, fromHex("5C 03 5F C1 0B"));
    EXPECT_EQ(read.data, object);
    // 53 00 deletes.
    EXPECT_EQ(swHex(card.send("00 DB 3F FF 07 5C 03 5F C1 0B 53 00")), "9000");
    EXPECT_EQ(swHex(card.send("00 CB 3F FF 05 5C 03 5F C1 0B 00")), "6A82");
    // Only PIV/YubiKey object tags are writable.
    EXPECT_EQ(swHex(card.send("00 DB 3F FF 08 5C 03 12 34 56 53 01 00")), "6A80");
}

TEST(VcardMgmt, SetManagementKeyThenAuthenticateWithIt) {
    Card card;
    card.select();
    EXPECT_EQ(swHex(card.send("00 FF FF FF 1B 03 9B 18 " + std::string(48, 'A'))), "6982");
    card.authenticateMgmt(defaultMgmtKey());
    Bytes newKey = fromHex("0F0E0D0C0B0A09080706050403020100F1F2F3F4F5F6F7F8");
    Bytes apdu = fromHex("00 FF FF FF 1B 03 9B 18");
    append(apdu, newKey);
    EXPECT_EQ(swHex(card.send(apdu)), "9000");
    EXPECT_EQ(card.store.stored().mgmtKey, newKey);
    card.applet.powerCycle();
    card.select();
    EXPECT_FALSE(card.applet.mgmtAuthenticated());
    card.authenticateMgmt(newKey);
    EXPECT_EQ(toHex(card.send("00 F7 00 9B 00").data), "01010302020001050100");  // not the default any more
}
