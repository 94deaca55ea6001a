// The card layer through the real pcscd against the virtual card: reads, PIN lifecycle, APDU budget,
// removal, reset by another client, pcscd restart, T=0 and failing cards.
#include <gtest/gtest.h>
#include <winscard.h>

#include <chrono>

#include "card_fixture.hpp"
#include "cardbridge/card/pin_policy.hpp"

namespace cardbridge::card::test {
namespace {

using namespace std::chrono_literals;

Secret secret(std::string_view s) {
    return Secret(s);
}

class CardPcsc : public CardFixture {};

TEST_F(CardPcsc, ListsBothVpcdReaders) {
    PcscConnector connector;
    auto readers = connector.listReaders();
    EXPECT_NE(std::find(readers.begin(), readers.end(), env_->readerName(0)), readers.end());
    EXPECT_NE(std::find(readers.begin(), readers.end(), env_->readerName(1)), readers.end());
}

TEST_F(CardPcsc, ReadInfoMatchesProvisionedCard) {
    PcscConnector connector;
    PivCard card(connector, reader_);
    CardInfo info = card.readInfo();
    EXPECT_EQ(info.reader, reader_);
    EXPECT_FALSE(info.atrHex.empty());
    EXPECT_EQ(info.serial, CARD_SERIAL);
    EXPECT_TRUE(info.version.has_value());
    ASSERT_TRUE(info.guidHex.has_value());
    EXPECT_EQ(info.guidHex->size(), 32u);
    EXPECT_EQ(info.pin, (PinRetries{PinRetries::State::NotVerified, 3u}));
    expectProvisioned(info.certificates);
}

TEST_F(CardPcsc, EmptySlotCardReaderIsCardAbsent) {
    PcscConnector connector;
    PivCard card(connector, env_->readerName(1));
    EXPECT_EQ(errorCodeOf([&] { card.readCertificates(); }), CardErrorCode::CardAbsent);
}

TEST_F(CardPcsc, UnknownReaderIsTyped) {
    PcscConnector connector;
    PivCard card(connector, "No Such Reader 00 00");
    EXPECT_EQ(errorCodeOf([&] { card.readCertificates(); }), CardErrorCode::ReaderUnavailable);
}

TEST_F(CardPcsc, CertificateReadStaysWithinApduBudget) {
    PcscConnector connector;
    PivCard card(connector, reader_);
    card_->resetApduCount();
    expectProvisioned(card.readCertificates());
    const std::uint64_t ours = card_->apduCount();

    // OpenSC reading the same certificates is the reference (the benchmark's goal: at most half).
    ::setenv("HOME", env_->dir().c_str(), 1);
    card_->resetApduCount();
    auto r = cardbridge::test::runCommand({"pkcs15-tool", "--list-certificates", "--reader", reader_});
    ASSERT_EQ(r.exitCode, 0) << r.output;
    const std::uint64_t opensc = card_->apduCount();
    RecordProperty("cardbridge_apdus", static_cast<int>(ours));
    RecordProperty("opensc_apdus", static_cast<int>(opensc));
    std::printf("certificate read: cardbridge %llu APDUs, OpenSC %llu APDUs\n",
                static_cast<unsigned long long>(ours), static_cast<unsigned long long>(opensc));
    EXPECT_LE(ours * 2, opensc) << "cardbridge " << ours << " vs OpenSC " << opensc;
}

TEST_F(CardPcsc, PinLifecycle) {
    PcscConnector connector;
    PivCard card(connector, reader_);
    EXPECT_EQ(card.pinRetries().retriesLeft, 3u);
    EXPECT_EQ(card.pinRetries().retriesLeft, 3u);  // asking spends nothing
    EXPECT_EQ(card.verifyPin(secret("000000")), (PinResult{PinStatus::WrongPin, 2u}));
    EXPECT_TRUE(card.verifyPin(secret("123456")).ok());  // success refills the counter
    EXPECT_EQ(card.verifyPin(secret("000000")), (PinResult{PinStatus::WrongPin, 2u}));
    EXPECT_EQ(card.verifyPin(secret("000000")), (PinResult{PinStatus::WrongPin, 1u}));
    EXPECT_EQ(card.verifyPin(secret("000000")).status, PinStatus::PinBlocked);
    EXPECT_EQ(card.pinRetries().state, PinRetries::State::Blocked);
    EXPECT_EQ(card.verifyPin(secret("123456")).status, PinStatus::PinBlocked);

    EXPECT_THROW(card.unblockPin(secret("12345678"), secret("654321")), PinPolicyError);
    EXPECT_EQ(card.unblockPin(secret("87654321"), secret("258014")), (PinResult{PinStatus::WrongPuk, 2u}));
    EXPECT_TRUE(card.unblockPin(secret("12345678"), secret("258014")).ok());
    EXPECT_EQ(card.pinRetries().retriesLeft, 3u);
    EXPECT_TRUE(card.verifyPin(secret("258014")).ok());

    EXPECT_EQ(card.changePin(secret("000000"), secret("314159")), (PinResult{PinStatus::WrongPin, 2u}));
    EXPECT_TRUE(card.changePin(secret("258014"), secret("314159")).ok());
    EXPECT_TRUE(card.verifyPin(secret("314159")).ok());

    EXPECT_TRUE(card.changePuk(secret("12345678"), secret("73920461")).ok());
    EXPECT_EQ(card.unblockPin(secret("12345678"), secret("271828")).status, PinStatus::WrongPuk);
    EXPECT_TRUE(card.unblockPin(secret("73920461"), secret("271828")).ok());
    EXPECT_TRUE(card.verifyPin(secret("271828")).ok());
}

TEST_F(CardPcsc, PukBlocksAfterThreeWrongTries) {
    PcscConnector connector;
    PivCard card(connector, reader_);
    EXPECT_EQ(card.unblockPin(secret("00000000"), secret("258014")).retriesLeft, 2u);
    EXPECT_EQ(card.unblockPin(secret("00000000"), secret("258014")).retriesLeft, 1u);
    EXPECT_EQ(card.unblockPin(secret("00000000"), secret("258014")).status, PinStatus::PukBlocked);
    EXPECT_EQ(card.unblockPin(secret("12345678"), secret("258014")).status, PinStatus::PukBlocked);
}

TEST_F(CardPcsc, RemovedCardIsTypedAndRecovers) {
    PcscConnector connector;
    PivCard card(connector, reader_);
    expectProvisioned(card.readCertificates());
    card_->remove();
    card_->waitAbsent();
    CardErrorCode code = errorCodeOf([&] { card.readCertificates(); });
    EXPECT_TRUE(code == CardErrorCode::CardRemoved || code == CardErrorCode::CardAbsent) << toString(code);
    card_->insert();
    card_->waitPresent();
    expectProvisioned(card.readCertificates());
}

TEST_F(CardPcsc, ResetByAnotherClientIsReconnectedTransparently) {
    PcscConnector connector;
    PivCard card(connector, reader_);
    EXPECT_TRUE(card.verifyPin(secret("123456")).ok());

    // Another process resets the card: our handle then gets SCARD_W_RESET_CARD.
    SCARDCONTEXT ctx = 0;
    ASSERT_EQ(SCardEstablishContext(SCARD_SCOPE_USER, nullptr, nullptr, &ctx), SCARD_S_SUCCESS);
    SCARDHANDLE other = 0;
    DWORD protocol = 0;
    ASSERT_EQ(SCardConnect(ctx, reader_.c_str(), SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                           &other, &protocol),
              SCARD_S_SUCCESS);
    EXPECT_EQ(SCardDisconnect(other, SCARD_RESET_CARD), SCARD_S_SUCCESS);
    SCardReleaseContext(ctx);

    // The reset logged the PIN out; the retry after reconnecting sees that.
    EXPECT_EQ(card.pinRetries(), (PinRetries{PinRetries::State::NotVerified, 3u}));
    expectProvisioned(card.readCertificates());
}

TEST_F(CardPcsc, PcscdRestartGetsFreshContext) {
    PcscConnector connector;
    PivCard card(connector, reader_);
    expectProvisioned(card.readCertificates());
    env_->stopPcscd();
    EXPECT_EQ(errorCodeOf([&] { card.readCertificates(); }), CardErrorCode::ServiceUnavailable);
    EXPECT_EQ(errorCodeOf([&] { (void)connector.listReaders(); }), CardErrorCode::ServiceUnavailable);
    env_->startPcscd();
    card_->waitPresent(20s);
    expectProvisioned(card.readCertificates());
}

TEST_F(CardPcsc, CardAnsweringGarbageStatusIsTyped) {
    PcscConnector connector;
    PivCard card(connector, reader_);
    card_->failAt(1);  // the SELECT answers 6F00
    EXPECT_EQ(errorCodeOf([&] { card.readCertificates(); }), CardErrorCode::UnexpectedStatus);
    expectProvisioned(card.readCertificates());
}

TEST_F(CardPcsc, CardPulledMidCommandIsTypedWithoutHanging) {
    PcscConnector connector;
    PivCard card(connector, reader_);
    card_->dropAt(3);
    const auto start = std::chrono::steady_clock::now();
    CardErrorCode code = errorCodeOf([&] { card.readCertificates(); });
    EXPECT_LT(std::chrono::steady_clock::now() - start, 15s);
    EXPECT_TRUE(code == CardErrorCode::CardRemoved || code == CardErrorCode::CardAbsent ||
                code == CardErrorCode::CardUnresponsive)
        << toString(code);
    card_->waitAbsent();
    card_->insert();
    card_->waitPresent();
    expectProvisioned(card.readCertificates());
}

class CardPcscGzip : public CardFixture {
  protected:
    bool compress9a() const override { return true; }
};

TEST_F(CardPcscGzip, CompressedCertificateIsInflated) {
    PcscConnector connector;
    PivCard card(connector, reader_);
    auto certs = card.readCertificates();
    expectProvisioned(certs);
    ASSERT_FALSE(certs.empty());
    EXPECT_TRUE(certs[0].compressed);
    EXPECT_FALSE(certs[1].compressed);
}

class CardPcscT0 : public CardFixture {
  protected:
    VcardOptions vcardOptions() const override {
        VcardOptions o;
        o.t0 = true;
        return o;
    }
};

TEST_F(CardPcscT0, ReadsWithT0Behaviour) {
    PcscConnector connector;
    PivCard card(connector, reader_);
    CardInfo info = card.readInfo();
    EXPECT_EQ(info.serial, CARD_SERIAL);
    EXPECT_EQ(info.pin.retriesLeft, 3u);
    expectProvisioned(info.certificates);
    EXPECT_TRUE(card.verifyPin(secret("123456")).ok());
}

}  // namespace
}  // namespace cardbridge::card::test
