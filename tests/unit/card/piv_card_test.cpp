// The PivCard façade: one transaction per call, SELECT once, retry once on reset, fresh context on
// service loss, PIN policy before the card is touched.
#include <gtest/gtest.h>

#include "card_test_support.hpp"
#include "cardbridge/card/pin_policy.hpp"
#include "cardbridge/card/piv_card.hpp"

namespace cardbridge::card {
namespace {

using namespace test;

const Bytes GUID = fromHex("00112233445566778899AABBCCDDEEFF");

std::vector<ScriptStep> readInfoScript(bool yubikey) {
    Bytes chuidInner = makeTlv(0x34, GUID);
    append(chuidInner, fromHex("FE00"));
    std::vector<ScriptStep> s{step(SELECT, SELECT_OK)};
    if (yubikey) {
        add(s, {step(GET_VERSION, "0504039000"), step(GET_SERIAL, "00AE17CB9000")});
    } else {
        add(s, {step(GET_VERSION, "6D00")});
    }
    add(s, {step(getData("5FC102"), toHex(makeTlv(0x53, chuidInner)) + "9000")});
    add(s, chained(getData("5FC105"), certObject(fakeDer(1200, 7))));
    add(s, {step(getData("5FC10A"), "6A82"), step(getData("5FC10B"), "6A82"), step(getData("5FC101"), "6A82"),
            step(getData("5FC10C"), "6A82"), step(PIN_STATUS, "63C3")});
    return s;
}

struct Fixture {
    std::shared_ptr<ScriptedTransport> transport;
    ScriptedConnector connector;
    PivCard card;
    explicit Fixture(std::vector<ScriptStep> script)
        : transport(std::make_shared<ScriptedTransport>(std::move(script), "Virtual PCD 00 00")),
          connector(transport),
          card(connector, "Virtual PCD 00 00") {}
};

TEST(PivCard, ReadInfoInOneTransaction) {
    Fixture f(readInfoScript(true));
    CardInfo info = f.card.readInfo();
    EXPECT_EQ(info.reader, "Virtual PCD 00 00");
    EXPECT_EQ(info.atrHex, "3BFD1300008131FE158073C021C057597562694B657940");
    EXPECT_EQ(info.guidHex, "00112233445566778899AABBCCDDEEFF");
    EXPECT_EQ(info.serial, 0x00AE17CBu);
    EXPECT_EQ(info.version, (YubiKeyVersion{5, 4, 3}));
    EXPECT_EQ(info.pin, (PinRetries{PinRetries::State::NotVerified, 3u}));
    ASSERT_EQ(info.certificates.size(), 1u);
    EXPECT_EQ(info.certificates[0].slot, SLOT_AUTHENTICATION);
    EXPECT_EQ(info.certificates[0].der, fakeDer(1200, 7));
    EXPECT_TRUE(f.transport->finished());
    EXPECT_EQ(f.transport->transactionsBegun(), 1);
    EXPECT_EQ(f.transport->transactionsEnded(), 1);
}

TEST(PivCard, NonYubiKeyIsNotAskedForSerial) {
    Fixture f(readInfoScript(false));
    CardInfo info = f.card.readInfo();
    EXPECT_EQ(info.version, std::nullopt);
    EXPECT_EQ(info.serial, std::nullopt);
    EXPECT_TRUE(f.transport->finished());
}

TEST(PivCard, CertificateReadUsesFewestApdus) {
    std::vector<ScriptStep> s{step(SELECT, SELECT_OK)};
    add(s, chained(getData("5FC105"), certObject(fakeDer(1000, 1))));
    add(s, chained(getData("5FC10A"), certObject(fakeDer(1000, 2))));
    add(s,
        {step(getData("5FC10B"), "6A82"), step(getData("5FC101"), "6A82"), step(getData("5FC10C"), "6A82")});
    Fixture f(s);
    auto certs = f.card.readCertificates();
    EXPECT_EQ(certs.size(), 2u);
    // SELECT + 4 GET DATA + Key History + 2 × 3 GET RESPONSE: nothing else.
    EXPECT_EQ(f.transport->sent().size(), 12u);
    EXPECT_TRUE(f.transport->finished());
}

TEST(PivCard, ConnectionIsReusedAcrossCalls) {
    Fixture f({step(SELECT, SELECT_OK), step(PIN_STATUS, "63C3"), step(SELECT, SELECT_OK),
               step(PIN_STATUS, "63C3")});
    f.card.pinRetries();
    f.card.pinRetries();
    EXPECT_EQ(f.connector.connects(), 1);
    EXPECT_EQ(f.transport->transactionsBegun(), 2);  // SELECT once per transaction
}

TEST(PivCard, ResetCardIsReconnectedAndRetriedOnce) {
    Fixture f(
        {failStep(SELECT, CardErrorCode::CardReset), step(SELECT, SELECT_OK), step(PIN_STATUS, "63C2")});
    EXPECT_EQ(f.card.pinRetries(), (PinRetries{PinRetries::State::NotVerified, 2u}));
    EXPECT_EQ(f.transport->reconnects(), 1);
    EXPECT_EQ(f.transport->transactionsBegun(), 2);
    EXPECT_EQ(f.transport->transactionsEnded(), 2);
}

TEST(PivCard, ResetDuringPinCommandIsRetriedBecauseItWasNotSent) {
    Fixture f({step(SELECT, SELECT_OK), failStep(verifyCmd("258014"), CardErrorCode::CardReset),
               step(SELECT, SELECT_OK), step(verifyCmd("258014"), "9000")});
    EXPECT_TRUE(f.card.verifyPin(secret("258014")).ok());
    EXPECT_EQ(f.transport->reconnects(), 1);
}

TEST(PivCard, SecondResetGivesUp) {
    Fixture f({failStep(SELECT, CardErrorCode::CardReset), failStep(SELECT, CardErrorCode::CardReset)});
    EXPECT_EQ(errorCodeOf([&] { f.card.pinRetries(); }), CardErrorCode::CardReset);
    EXPECT_EQ(f.transport->reconnects(), 1);
}

TEST(PivCard, ResetWhileBeginningTransactionIsRetried) {
    Fixture f({step(SELECT, SELECT_OK), step(PIN_STATUS, "63C3")});
    f.transport->failNextBegin(CardErrorCode::CardReset);
    EXPECT_EQ(f.card.pinRetries().retriesLeft, 3u);
    EXPECT_EQ(f.transport->reconnects(), 1);
}

TEST(PivCard, ServiceLossGetsFreshContextForReads) {
    Fixture f({failStep(SELECT, CardErrorCode::ServiceUnavailable), step(SELECT, SELECT_OK),
               step(PIN_STATUS, "63C3")});
    EXPECT_EQ(f.card.pinRetries().retriesLeft, 3u);
    EXPECT_EQ(f.connector.contextResets(), 1);
    EXPECT_EQ(f.connector.connects(), 2);
}

TEST(PivCard, ServiceLossDuringPinCommandIsNotRepeated) {
    Fixture f({step(SELECT, SELECT_OK), failStep(verifyCmd("258014"), CardErrorCode::ServiceUnavailable)});
    EXPECT_EQ(errorCodeOf([&] { f.card.verifyPin(secret("258014")); }), CardErrorCode::ServiceUnavailable);
    EXPECT_EQ(f.connector.contextResets(), 1);
    EXPECT_TRUE(f.transport->finished());  // exactly one VERIFY went out
}

TEST(PivCard, ServiceLossBeforePinCommandIsRetried) {
    Fixture f({failStep(SELECT, CardErrorCode::ServiceUnavailable), step(SELECT, SELECT_OK),
               step(verifyCmd("258014"), "9000")});
    EXPECT_TRUE(f.card.verifyPin(secret("258014")).ok());
    EXPECT_EQ(f.connector.contextResets(), 1);
    EXPECT_TRUE(f.transport->finished());
}

TEST(PivCard, RemovedCardDropsConnection) {
    Fixture f(
        {failStep(SELECT, CardErrorCode::CardRemoved), step(SELECT, SELECT_OK), step(PIN_STATUS, "63C3")});
    EXPECT_EQ(errorCodeOf([&] { f.card.pinRetries(); }), CardErrorCode::CardRemoved);
    EXPECT_EQ(f.card.pinRetries().retriesLeft, 3u);
    EXPECT_EQ(f.connector.connects(), 2);
}

TEST(PivCard, AbsentCardIsTyped) {
    Fixture f({});
    f.connector.failConnects({CardErrorCode::CardAbsent});
    EXPECT_EQ(errorCodeOf([&] { f.card.readInfo(); }), CardErrorCode::CardAbsent);
}

TEST(PivCard, NonPivCardIsUnsupported) {
    Fixture f({step(SELECT, "6A82")});
    EXPECT_EQ(errorCodeOf([&] { f.card.readCertificates(); }), CardErrorCode::UnsupportedCard);
    EXPECT_EQ(f.transport->transactionsEnded(), 1);
}

TEST(PivCard, WeakNewPinNeverReachesTheCard) {
    Fixture f({});
    EXPECT_THROW(f.card.changePin(secret("258014"), secret("123456")), PinPolicyError);
    EXPECT_THROW(f.card.unblockPin(secret("12345678"), secret("111111")), PinPolicyError);
    EXPECT_EQ(f.connector.connects(), 0);
    EXPECT_TRUE(f.transport->sent().empty());
}

TEST(PivCard, UnblockThenChangePuk) {
    Fixture f({step(SELECT, SELECT_OK), step(unblockCmd("12345678", "258014"), "9000"),
               step(SELECT, SELECT_OK), step(changePukCmd("12345678", "73920461"), "9000")});
    EXPECT_TRUE(f.card.unblockPin(secret("12345678"), secret("258014")).ok());
    EXPECT_TRUE(f.card.changePuk(secret("12345678"), secret("73920461")).ok());
    EXPECT_TRUE(f.transport->finished());
}

TEST(PivCard, ChangePinReportsWrongOldPin) {
    Fixture f({step(SELECT, SELECT_OK), step(changePinCmd("000000", "258014"), "63C1")});
    EXPECT_EQ(f.card.changePin(secret("000000"), secret("258014")), (PinResult{PinStatus::WrongPin, 1u}));
}

}  // namespace
}  // namespace cardbridge::card
