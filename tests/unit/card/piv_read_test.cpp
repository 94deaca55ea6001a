// PIV reads against the scripted card: SELECT, identity, certificates, and hostile answers.
#include <gtest/gtest.h>

#include "card_test_support.hpp"
#include "cardbridge/card/piv.hpp"
#include "cardbridge/common/gzip.hpp"

namespace cardbridge::card {
namespace {

using namespace test;

const Bytes GUID = fromHex("0102030405060708090A0B0C0D0E0F10");

Bytes chuid(const Bytes& guid) {
    Bytes inner = makeTlv(0x30, Bytes(25, 0xD4));
    append(inner, makeTlv(0x34, guid));
    append(inner, makeTlv(0x35, toBytes("20300101")));
    append(inner, fromHex("3E00FE00"));
    return makeTlv(0x53, inner);
}

std::string sw9000(const Bytes& data) {
    return toHex(data) + "9000";
}

TEST(PivSelect, SendsFullAidWithLe) {
    ScriptedTransport t({step(SELECT, SELECT_OK)});
    PivApplication(t).select();
    EXPECT_TRUE(t.finished());
}

TEST(PivSelect, MissingApplicationIsUnsupportedCard) {
    ScriptedTransport t({step(SELECT, "6A82")});
    EXPECT_EQ(errorCodeOf([&] { PivApplication(t).select(); }), CardErrorCode::UnsupportedCard);
}

TEST(PivSelect, OtherStatusIsTyped) {
    ScriptedTransport t({step(SELECT, "6E00")});
    EXPECT_EQ(errorCodeOf([&] { PivApplication(t).select(); }), CardErrorCode::NotSupported);
}

TEST(PivIdentity, ReadsGuidFromChuid) {
    ScriptedTransport t({step(getData("5FC102"), sw9000(chuid(GUID)))});
    EXPECT_EQ(PivApplication(t).readGuid(), GUID);
}

TEST(PivIdentity, AbsentChuidGivesNoGuid) {
    ScriptedTransport t({step(getData("5FC102"), "6A82")});
    EXPECT_EQ(PivApplication(t).readGuid(), std::nullopt);
    EXPECT_TRUE(t.finished());
}

TEST(PivIdentity, AllZeroGuidIsNoIdentity) {
    ScriptedTransport t({step(getData("5FC102"), sw9000(chuid(Bytes(16, 0))))});
    EXPECT_EQ(PivApplication(t).readGuid(), std::nullopt);
}

TEST(PivIdentity, ShortGuidIsProtocolError) {
    ScriptedTransport t({step(getData("5FC102"), sw9000(chuid(Bytes(5, 1))))});
    EXPECT_EQ(errorCodeOf([&] { PivApplication(t).readGuid(); }), CardErrorCode::ProtocolError);
}

TEST(PivIdentity, YubiKeySerialAndVersion) {
    ScriptedTransport t({step(GET_VERSION, "0504039000"), step(GET_SERIAL, "00AE17CB9000")});
    PivApplication piv(t);
    auto version = piv.readVersion();
    EXPECT_EQ(version, (YubiKeyVersion{5, 4, 3}));
    ASSERT_TRUE(version);
    EXPECT_EQ(version->toString(), "5.4.3");
    EXPECT_EQ(piv.readSerial(), 0x00AE17CBu);
}

TEST(PivIdentity, NonYubiKeyHasNoSerialOrVersion) {
    ScriptedTransport t({step(GET_VERSION, "6D00"), step(GET_SERIAL, "6A81")});
    PivApplication piv(t);
    EXPECT_EQ(piv.readVersion(), std::nullopt);
    EXPECT_EQ(piv.readSerial(), std::nullopt);
    EXPECT_TRUE(t.finished());
}

TEST(PivIdentity, MalformedVersionAnswerIsIgnored) {
    ScriptedTransport t({step(GET_VERSION, "05049000")});
    EXPECT_EQ(PivApplication(t).readVersion(), std::nullopt);
}

TEST(PivCertificates, SmallCertificateInOneResponse) {
    Bytes der = fakeDer(200);
    ScriptedTransport t({step(getData("5FC105"), sw9000(certObject(der)))});
    auto cert = PivApplication(t).readCertificate(SLOT_AUTHENTICATION);
    ASSERT_TRUE(cert);
    EXPECT_EQ(cert->slot, SLOT_AUTHENTICATION);
    EXPECT_EQ(cert->der, der);
    EXPECT_FALSE(cert->compressed);
}

TEST(PivCertificates, LargeCertificateFollows61xx) {
    Bytes der = fakeDer(1500);
    ScriptedTransport t(chained(getData("5FC10A"), certObject(der)));
    auto cert = PivApplication(t).readCertificate(SLOT_SIGNATURE);
    ASSERT_TRUE(cert);
    EXPECT_EQ(cert->der, der);
    EXPECT_EQ(t.sent().size(), 6u);  // one GET DATA, five GET RESPONSE: no Le=08 probing
    EXPECT_TRUE(t.finished());
}

TEST(PivCertificates, WrongLeIsCorrectedWith6Cxx) {
    Bytes object = certObject(fakeDer(140));
    std::string exact = toHex(Bytes{static_cast<std::uint8_t>(object.size())});
    ScriptedTransport t(
        {step(getData("5FC105"), "6C" + exact), step("00CB3FFF055C035FC105" + exact, sw9000(object))});
    auto cert = PivApplication(t).readCertificate(SLOT_AUTHENTICATION);
    ASSERT_TRUE(cert);
    EXPECT_EQ(cert->der, fakeDer(140));
}

TEST(PivCertificates, GzipCertificateIsDecompressed) {
    Bytes der = fakeDer(2000, 0x42);
    Bytes compressed = gzipCompress(der);
    ASSERT_LT(compressed.size(), der.size());
    ScriptedTransport t(chained(getData("5FC10B"), certObject(compressed, 0x01)));
    auto cert = PivApplication(t).readCertificate(SLOT_KEY_MANAGEMENT);
    ASSERT_TRUE(cert);
    EXPECT_TRUE(cert->compressed);
    EXPECT_EQ(cert->der, der);
}

TEST(PivCertificates, AbsentObjectsGiveNothing) {
    ScriptedTransport t({step(getData("5FC101"), "6A82"), step(getData("5FC105"), "53009000")});
    PivApplication piv(t);
    EXPECT_EQ(piv.readCertificate(SLOT_CARD_AUTHENTICATION), std::nullopt);
    EXPECT_EQ(piv.readCertificate(SLOT_AUTHENTICATION), std::nullopt);  // "53 00": deleted object
}

TEST(PivCertificates, ReadsAllStandardSlotsSkippingAbsentOnes) {
    std::vector<ScriptStep> script{step(getData("5FC105"), sw9000(certObject(fakeDer(300, 1))))};
    add(script, {step(getData("5FC10A"), "6A82"), step(getData("5FC10B"), "6A82")});
    add(script, chained(getData("5FC101"), certObject(fakeDer(900, 4))));
    add(script, {step(getData("5FC10C"), "6A82")});  // no Key History: no retired slot is probed
    ScriptedTransport t(script);
    auto certs = PivApplication(t).readCertificates();
    ASSERT_EQ(certs.size(), 2u);
    EXPECT_EQ(certs[0].slot, SLOT_AUTHENTICATION);
    EXPECT_EQ(certs[1].slot, SLOT_CARD_AUTHENTICATION);
    EXPECT_EQ(certs[1].der, fakeDer(900, 4));
    EXPECT_TRUE(t.finished());
}

TEST(PivCertificates, RetiredSlotsComeFromKeyHistory) {
    std::vector<ScriptStep> script;
    for (const char* tag : {"5FC105", "5FC10A", "5FC10B", "5FC101"})
        script.push_back(step(getData(tag), "6A82"));
    script.push_back(step(getData("5FC10C"), "5308C10102C20100FE009000"));
    script.push_back(step(getData("5FC10D"), sw9000(certObject(fakeDer(200, 0x82)))));
    script.push_back(step(getData("5FC10E"), sw9000(certObject(fakeDer(210, 0x83)))));
    ScriptedTransport t(script);
    auto certs = PivApplication(t).readCertificates();
    ASSERT_EQ(certs.size(), 2u);
    EXPECT_EQ(certs[0].slot, 0x82);
    EXPECT_EQ(certs[1].slot, 0x83);
    EXPECT_EQ(certs[1].der, fakeDer(210, 0x83));
    EXPECT_TRUE(t.finished());  // exactly two retired objects read, not twenty
}

TEST(PivCertificates, RetiredSlotTags) {
    EXPECT_EQ(certificateObjectTag(0x82), 0x5FC10Du);
    EXPECT_EQ(certificateObjectTag(0x95), 0x5FC120u);
    EXPECT_EQ(certificateObjectTag(0x9E), 0x5FC101u);
    EXPECT_EQ(errorCodeOf([] { certificateObjectTag(0x9B); }), CardErrorCode::InvalidArgument);
}

// ---- hostile answers: every one a typed error, never a crash -------------------------------------

struct Hostile {
    const char* name;
    std::string response;
    CardErrorCode expected;
};

class PivHostileCertificate : public ::testing::TestWithParam<Hostile> {};

TEST_P(PivHostileCertificate, GivesTypedError) {
    ScriptedTransport t({step(getData("5FC105"), GetParam().response)});
    EXPECT_EQ(errorCodeOf([&] { PivApplication(t).readCertificate(SLOT_AUTHENTICATION); }),
              GetParam().expected)
        << GetParam().name;
}

Bytes wrapped(const Bytes& inner) {
    return makeTlv(0x53, inner);
}

INSTANTIATE_TEST_SUITE_P(
    Answers, PivHostileCertificate,
    ::testing::Values(
        Hostile{"empty", "9000", CardErrorCode::ProtocolError},
        Hostile{"truncated TLV", "538205007003AABB9000", CardErrorCode::ProtocolError},
        Hostile{"53 length longer than data",
                "53207003300100"
                "9000",
                CardErrorCode::ProtocolError},
        Hostile{"53 length shorter than data", "5305700330010071010099999000", CardErrorCode::ProtocolError},
        Hostile{"wrong outer tag",
                "5405700330010071010090"
                "00",
                CardErrorCode::ProtocolError},
        Hostile{"no certificate tag", sw9000(wrapped(fromHex("710100FE00"))), CardErrorCode::ProtocolError},
        Hostile{"inner length lie", sw9000(wrapped(fromHex("7081FF3001"))), CardErrorCode::ProtocolError},
        Hostile{"certificate not a SEQUENCE", sw9000(certObject(fromHex("0403AABBCC"))),
                CardErrorCode::ProtocolError},
        Hostile{"DER with trailing bytes", sw9000(certObject(fromHex("30020101FF"))),
                CardErrorCode::ProtocolError},
        Hostile{"corrupt gzip", sw9000(certObject(fromHex("1F8B0800DEADBEEF"), 0x01)),
                CardErrorCode::ProtocolError},
        Hostile{"gzip bomb", sw9000(certObject(gzipCompress(Bytes(200000, 0)), 0x01)),
                CardErrorCode::ProtocolError},
        Hostile{"CertInfo two bytes", sw9000(wrapped(fromHex("7005300301020171020000"))),
                CardErrorCode::ProtocolError},
        Hostile{"security status", "6982", CardErrorCode::SecurityStatusNotSatisfied},
        Hostile{"wrong length", "6700", CardErrorCode::WrongLength},
        Hostile{"bad tag list", "6A80", CardErrorCode::WrongData},
        Hostile{"odd status", "6F00", CardErrorCode::UnexpectedStatus}),
    [](const ::testing::TestParamInfo<Hostile>& param) {
        std::string name = param.param.name;
        for (char& c : name) {
            if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
        }
        return name;
    });

TEST(PivHostile, KeyHistoryAnnouncingTooManyRetiredKeys) {
    ScriptedTransport t({step(getData("5FC10C"), "5308C10115C20100FE009000")});
    EXPECT_EQ(errorCodeOf([&] { PivApplication(t).retiredCertificateCount(); }),
              CardErrorCode::ProtocolError);
}

TEST(PivHostile, KeyHistoryWithMalformedCount) {
    ScriptedTransport t({step(getData("5FC10C"), "5309C1020001C20100FE009000")});
    EXPECT_EQ(errorCodeOf([&] { PivApplication(t).retiredCertificateCount(); }),
              CardErrorCode::ProtocolError);
}

TEST(PivHostile, TruncatedChuid) {
    ScriptedTransport t({step(getData("5FC102"), "53053410AABBCC9000")});
    EXPECT_EQ(errorCodeOf([&] { PivApplication(t).readGuid(); }), CardErrorCode::ProtocolError);
}

TEST(PivHostile, EndlessChainWhileReadingCertificate) {
    std::vector<ScriptStep> script{step(getData("5FC105"), "536100")};
    for (int i = 0; i < 400; ++i) script.push_back(step("00C0000000", toHex(Bytes(200, 0x30)) + "6100"));
    ScriptedTransport t(script);
    EXPECT_EQ(errorCodeOf([&] { PivApplication(t).readCertificate(SLOT_AUTHENTICATION); }),
              CardErrorCode::ProtocolError);
    EXPECT_FALSE(t.finished());
}

}  // namespace
}  // namespace cardbridge::card
