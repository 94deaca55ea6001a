// SELECT (prefix matching, unknown AIDs) and GET DATA (objects, 61xx chaining, OpenSC's Le=08 probe).
#include <gtest/gtest.h>

#include "cardbridge/common/tlv.hpp"
#include "cardbridge/vcard/piv_objects.hpp"
#include "test_support.hpp"

using namespace vcardtest;

TEST(VcardSelect, AcceptsEveryPrefixFromTheRid) {
    Card card;
    const Bytes expected = fromHex("61 11 4F 06 00 00 10 00 01 00 79 07 4F 05 A0 00 00 03 08");
    for (const char* apdu : {"00 A4 04 00 09 A0 00 00 03 08 00 00 10 00 00",  // OpenSC
                             "00 A4 04 00 05 A0 00 00 03 08",                 // ykpiv 2.2.0, no Le
                             "00 A4 04 00 05 A0 00 00 03 08 00",              // ykpiv >= 2.3.1
                             "00 A4 04 00 0B A0 00 00 03 08 00 00 10 00 01 00"}) {
        ResponseApdu r = card.send(apdu);
        EXPECT_EQ(swHex(r), "9000") << apdu;
        EXPECT_EQ(r.data, expected) << apdu;
    }
}

TEST(VcardSelect, UnknownAidFailsAndKeepsSelection) {
    Card card;
    EXPECT_EQ(swHex(card.send("00 CB 3F FF 03 5C 01 7E")), "6D00");  // nothing selected after power-on
    card.select();
    for (const char* probe : {"00 A4 04 00 07 62 76 01 FF 00 00 00",              // coolkey
                              "00 A4 04 00 06 A0 00 00 00 01 01",                 // muscle
                              "00 A4 04 00 0B E8 2B 06 01 04 01 81 C3 1F 02 01",  // sc-hsm
                              "00 A4 04 00 04 A0 00 00 03",                       // shorter than the RID
                              "00 A4 04 00 06 A0 00 00 03 08 01"}) {              // diverges from the AID
        EXPECT_EQ(swHex(card.send(probe)), "6A82") << probe;
    }
    ResponseApdu discovery = card.send("00 CB 3F FF 03 5C 01 7E 00");
    EXPECT_EQ(swHex(discovery), "9000");
    EXPECT_EQ(discovery.data, discoveryObject());
}

TEST(VcardSelect, PowerCycleForgetsSelection) {
    Card card;
    card.select();
    card.applet.powerCycle();
    EXPECT_EQ(swHex(card.send("00 FD 00 00")), "6D00");
}

TEST(VcardGetData, DiscoveryChuidCccAndKeyHistory) {
    Card card;
    card.select();
    ResponseApdu discovery = card.send("00 CB 3F FF 03 5C 01 7E");  // Le absent: still data (ykpiv 2.2.0)
    EXPECT_EQ(toHex(discovery.data), "7E124F0BA0000003080000100001005F2F024000");

    ResponseApdu chuid = card.send("00 CB 3F FF 05 5C 03 5F C1 02 00");
    ASSERT_EQ(swHex(chuid), "9000");
    EXPECT_EQ(chuid.data.size(), 0x3Bu + 2);
    Tlv outer = parseTlv(chuid.data);
    EXPECT_EQ(outer.tag, 0x53u);
    auto guid = findTlv(outer.value, 0x34);
    ASSERT_TRUE(guid);
    EXPECT_EQ(toHex(*guid), "00112233445566778899AABBCCDDEEFF");

    ResponseApdu ccc = card.send("00 CB 3F FF 05 5C 03 5F C1 07 00");
    ASSERT_EQ(swHex(ccc), "9000");
    EXPECT_EQ(ccc.data.size(), 0x33u + 2);
    EXPECT_FALSE(findTlv(parseTlv(ccc.data).value, 0xF3)->size());  // never the CAC AID

    EXPECT_EQ(toHex(card.send("00 CB 3F FF 05 5C 03 5F C1 0C 00").data), "5308C10100C20100FE00");
}

TEST(VcardGetData, MissingObjectsAndBadTagLists) {
    Card card;
    card.select();
    EXPECT_EQ(swHex(card.send("00 CB 3F FF 05 5C 03 5F C1 05 00")), "6A82");  // no 9A certificate
    EXPECT_EQ(swHex(card.send("00 CB 3F FF 05 5C 03 5F C1 20 00")), "6A82");  // retired 95
    EXPECT_EQ(swHex(card.send("00 CB 3F FF 05 5D 03 5F C1 05 00")), "6A80");  // not a 5C list
    EXPECT_EQ(swHex(card.send("00 CB 3F FF 04 5C 03 5F C1 00")), "6A80");     // truncated TLV
    EXPECT_EQ(swHex(card.send("00 CB 3F FE 05 5C 03 5F C1 02 00")), "6A86");  // wrong P2
    EXPECT_EQ(swHex(card.send("00 CB 3F FF 05 5C 03 5F C1 09 00")), "6982");  // printed info needs PIN
    card.verifyPin();
    EXPECT_EQ(swHex(card.send("00 CB 3F FF 05 5C 03 5F C1 09 00")), "6A82");
}

namespace {
// A certificate object larger than one response, as a real RSA-2048 certificate is.
Bytes bigCertificateObject() {
    Bytes der(900);
    for (std::size_t i = 0; i < der.size(); ++i) der[i] = static_cast<std::uint8_t>(i * 7);
    return certificateObject(der, false);
}
}  // namespace

TEST(VcardGetData, LongObjectIsChainedWith61xx) {
    CardState state = testState();
    state.objects[0x5FC105] = bigCertificateObject();
    Card card(state);
    card.select();
    ResponseApdu first = card.send("00 CB 3F FF 05 5C 03 5F C1 05 00");
    EXPECT_EQ(first.data.size(), 256u);
    EXPECT_EQ(first.sw1, 0x61);
    EXPECT_EQ(first.sw2, 0x00);  // >= 256 more
    Bytes all = first.data;
    ResponseApdu r = first;
    int rounds = 0;
    while (r.sw1 == 0x61 && rounds++ < 10) {
        r = card.send(Bytes{0x00, 0xC0, 0x00, 0x00, r.sw2});
        EXPECT_LE(r.data.size(), 256u);
        append(all, r.data);
    }
    EXPECT_EQ(swHex(r), "9000");
    EXPECT_EQ(all, bigCertificateObject());
    EXPECT_EQ(swHex(card.send("00 C0 00 00 00")), "6985");  // nothing left
}

TEST(VcardGetData, OpenScLe08ProbeThenReRead) {
    CardState state = testState();
    state.objects[0x5FC105] = bigCertificateObject();
    Card card(state);
    card.select();
    ResponseApdu probe = card.send("00 CB 3F FF 05 5C 03 5F C1 05 08");
    ASSERT_EQ(probe.data.size(), 8u);
    EXPECT_EQ(probe.sw1, 0x61);
    const Bytes object = bigCertificateObject();
    EXPECT_EQ(probe.data, Bytes(object.begin(), object.begin() + 8));
    // The re-read abandons the probe's leftovers and starts from the beginning.
    ResponseApdu full = card.transmit(0xCB, 0x3F, 0xFF, fromHex("5C 03 5F C1 05"));
    EXPECT_EQ(swHex(full), "9000");
    EXPECT_EQ(full.data, bigCertificateObject());
}

TEST(VcardGetData, VersionAndSerial) {
    Card card;
    card.select();
    EXPECT_EQ(toHex(card.send("00 FD 00 00 00").data), "050403");
    EXPECT_EQ(toHex(card.send("00 F8 00 00 00").data), "00BC614E");  // 12345678
}
