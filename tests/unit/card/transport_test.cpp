// Transport::transmit: 61xx chaining, 6Cxx correction, bounds against hostile cards, transaction scope.
#include <gtest/gtest.h>

#include "card_test_support.hpp"

namespace cardbridge::card {
namespace {

using test::chained;
using test::errorCodeOf;

const CommandApdu GET_CERT{0x00, 0xCB, 0x3F, 0xFF, fromHex("5C035FC105"), 256};
const std::string GET_CERT_HEX = "00CB3FFF055C035FC10500";

TEST(Transport, ConcatenatesGetResponseChain) {
    Bytes payload(700);
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::uint8_t>(i);
    ScriptedTransport t(chained(GET_CERT_HEX, payload));
    ResponseApdu r = t.transmit(GET_CERT);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.data, payload);
    ASSERT_EQ(t.sent().size(), 3u);
    EXPECT_EQ(t.sent()[1], "00C0000000");  // 444 left: Le 00 (256)
    EXPECT_EQ(t.sent()[2], "00C00000BC");  // 188 left
    EXPECT_TRUE(t.finished());
}

TEST(Transport, ResendsWithCorrectedLeOn6Cxx) {
    ScriptedTransport t({step("00FD000000", "6C03"), step("00FD000003", "0504039000")});
    ResponseApdu r = t.transmit(CommandApdu{0x00, 0xFD, 0x00, 0x00, {}, 256});
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(toHex(r.data), "050403");
    EXPECT_TRUE(t.finished());
}

TEST(Transport, Repeated6CxxIsAProtocolError) {
    ScriptedTransport t({step("00FD000000", "6C03"), step("00FD000003", "6C04")});
    EXPECT_EQ(errorCodeOf([&] {
                  t.transmit(CommandApdu{0x00, 0xFD, 0x00, 0x00, {}, 256});
              }),
              CardErrorCode::ProtocolError);
}

TEST(Transport, EndlessGetResponseLoopIsBounded) {
    std::vector<ScriptStep> script{step(GET_CERT_HEX, "AA6101")};
    for (std::size_t i = 0; i < MAX_GET_RESPONSE_ROUNDS + 5; ++i)
        script.push_back(step("00C0000001", "AA6101"));
    ScriptedTransport t(script);
    EXPECT_EQ(errorCodeOf([&] { t.transmit(GET_CERT); }), CardErrorCode::ProtocolError);
    EXPECT_EQ(t.position(), MAX_GET_RESPONSE_ROUNDS + 1);  // stopped at the bound, not at the script's end
}

TEST(Transport, OversizedChainIsBounded) {
    const std::string chunk = toHex(Bytes(256, 0x11));
    std::vector<ScriptStep> script{step(GET_CERT_HEX, chunk + "6100")};
    for (int i = 0; i < 300; ++i) script.push_back(step("00C0000000", chunk + "6100"));
    ScriptedTransport t(script);
    EXPECT_EQ(errorCodeOf([&] { t.transmit(GET_CERT); }), CardErrorCode::ProtocolError);
    EXPECT_LE(t.position(), MAX_RESPONSE_SIZE / 256 + 1);
}

TEST(Transport, AnswerWithoutStatusWordIsAProtocolError) {
    ScriptedTransport t({step(GET_CERT_HEX, "90")});
    EXPECT_EQ(errorCodeOf([&] { t.transmit(GET_CERT); }), CardErrorCode::ProtocolError);
}

TEST(Transport, PassesPcscFailuresThrough) {
    ScriptedTransport t({step(GET_CERT_HEX, "AA6102"), failStep("00C0000002", CardErrorCode::CardRemoved)});
    EXPECT_EQ(errorCodeOf([&] { t.transmit(GET_CERT); }), CardErrorCode::CardRemoved);
}

TEST(TransactionGuard, EndsTransactionEvenOnError) {
    ScriptedTransport t({failStep(GET_CERT_HEX, CardErrorCode::CardReset)});
    try {
        TransactionGuard guard(t);
        EXPECT_TRUE(t.inTransaction());
        t.transmit(GET_CERT);
    } catch (const CardError&) {
    }
    EXPECT_EQ(t.transactionsBegun(), 1);
    EXPECT_EQ(t.transactionsEnded(), 1);
}

TEST(TransactionGuard, BeginFailureThrowsAndEndsNothing) {
    ScriptedTransport t({});
    t.failNextBegin(CardErrorCode::SharingViolation);
    EXPECT_EQ(errorCodeOf([&] { TransactionGuard guard(t); }), CardErrorCode::SharingViolation);
    EXPECT_EQ(t.transactionsEnded(), 0);
}

}  // namespace
}  // namespace cardbridge::card
