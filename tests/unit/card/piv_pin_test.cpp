// PIN and PUK operations: status without spending a try, countdowns, blocking, unblock, change.
#include <gtest/gtest.h>

#include "card_test_support.hpp"
#include "cardbridge/card/piv.hpp"

namespace cardbridge::card {
namespace {

using namespace test;

TEST(PivPinStatus, ReportsRetriesWithoutData) {
    ScriptedTransport t({step(PIN_STATUS, "63C3")});
    EXPECT_EQ(PivApplication(t).pinRetries(), (PinRetries{PinRetries::State::NotVerified, 3u}));
    EXPECT_EQ(t.sent().front(), "00200080");  // case 1: no data, so no try is spent
}

TEST(PivPinStatus, VerifiedAndBlocked) {
    ScriptedTransport t({step(PIN_STATUS, "9000"), step(PIN_STATUS, "6983"), step(PIN_STATUS, "63C0")});
    PivApplication piv(t);
    EXPECT_EQ(piv.pinRetries().state, PinRetries::State::Verified);
    EXPECT_EQ(piv.pinRetries(), (PinRetries{PinRetries::State::Blocked, 0u}));
    EXPECT_EQ(piv.pinRetries(), (PinRetries{PinRetries::State::Blocked, 0u}));
}

TEST(PivPinStatus, CardWithoutStatusQueryIsUnknown) {
    ScriptedTransport t({step(PIN_STATUS, "6A80")});
    EXPECT_EQ(PivApplication(t).pinRetries().state, PinRetries::State::Unknown);
}

TEST(PivPinStatus, SecurityErrorIsTyped) {
    ScriptedTransport t({step(PIN_STATUS, "6982")});
    EXPECT_EQ(errorCodeOf([&] { PivApplication(t).pinRetries(); }),
              CardErrorCode::SecurityStatusNotSatisfied);
}

TEST(PivVerify, CorrectPin) {
    ScriptedTransport t({step(verifyCmd("123456"), "9000")});
    EXPECT_TRUE(PivApplication(t).verifyPin(secret("123456")).ok());
    EXPECT_EQ(t.sent().front(),
              "002000800831323334353"
              "6FFFF");
}

TEST(PivVerify, WrongPinCountsDownThenBlocks) {
    ScriptedTransport t({step(verifyCmd("000000"), "63C2"), step(verifyCmd("000000"), "63C1"),
                         step(verifyCmd("000000"), "63C0"), step(verifyCmd("000000"), "6983")});
    PivApplication piv(t);
    EXPECT_EQ(piv.verifyPin(secret("000000")), (PinResult{PinStatus::WrongPin, 2u}));
    EXPECT_EQ(piv.verifyPin(secret("000000")), (PinResult{PinStatus::WrongPin, 1u}));
    EXPECT_EQ(piv.verifyPin(secret("000000")), (PinResult{PinStatus::PinBlocked, 0u}));
    EXPECT_EQ(piv.verifyPin(secret("000000")), (PinResult{PinStatus::PinBlocked, 0u}));
}

TEST(PivVerify, EightDigitPinFillsTheBlock) {
    ScriptedTransport t(
        {step("002000800831323334353637"
              "38",
              "9000")});
    EXPECT_TRUE(PivApplication(t).verifyPin(secret("12345678")).ok());
}

TEST(PivVerify, UnencodablePinsAreRejectedBeforeSending) {
    ScriptedTransport t({});
    PivApplication piv(t);
    EXPECT_EQ(errorCodeOf([&] { piv.verifyPin(secret("")); }), CardErrorCode::InvalidArgument);
    EXPECT_EQ(errorCodeOf([&] { piv.verifyPin(secret("123456789")); }), CardErrorCode::InvalidArgument);
    EXPECT_TRUE(t.sent().empty());
}

TEST(PivVerify, CardRejectingFormatIsWrongData) {
    ScriptedTransport t({step(verifyCmd("12"), "6A80")});
    EXPECT_EQ(errorCodeOf([&] { PivApplication(t).verifyPin(secret("12")); }), CardErrorCode::WrongData);
}

TEST(PivChangePin, SuccessAndWrongOldPin) {
    ScriptedTransport t(
        {step(changePinCmd("123456", "258014"), "9000"), step(changePinCmd("111111", "258014"), "63C2")});
    PivApplication piv(t);
    EXPECT_TRUE(piv.changePin(secret("123456"), secret("258014")).ok());
    EXPECT_EQ(piv.changePin(secret("111111"), secret("258014")), (PinResult{PinStatus::WrongPin, 2u}));
}

TEST(PivChangePin, BlockedPin) {
    ScriptedTransport t({step(changePinCmd("123456", "258014"), "6983")});
    EXPECT_EQ(PivApplication(t).changePin(secret("123456"), secret("258014")).status, PinStatus::PinBlocked);
}

TEST(PivUnblock, PukResetsPin) {
    ScriptedTransport t({step(unblockCmd("12345678", "258014"), "9000")});
    EXPECT_TRUE(PivApplication(t).unblockPin(secret("12345678"), secret("258014")).ok());
    EXPECT_EQ(t.sent().front(), "002C0080103132333435363738323538303134FFFF");
}

TEST(PivUnblock, WrongPukCountsPukTries) {
    ScriptedTransport t({step(unblockCmd("87654321", "258014"), "63C1"),
                         step(unblockCmd("87654321", "258014"), "63C0"),
                         step(unblockCmd("12345678", "258014"), "6983")});
    PivApplication piv(t);
    EXPECT_EQ(piv.unblockPin(secret("87654321"), secret("258014")), (PinResult{PinStatus::WrongPuk, 1u}));
    EXPECT_EQ(piv.unblockPin(secret("87654321"), secret("258014")), (PinResult{PinStatus::PukBlocked, 0u}));
    EXPECT_EQ(piv.unblockPin(secret("12345678"), secret("258014")), (PinResult{PinStatus::PukBlocked, 0u}));
}

TEST(PivUnblock, CardRejectingNewPinIsWrongData) {
    ScriptedTransport t({step(unblockCmd("12345678", "12"), "6A80")});
    EXPECT_EQ(errorCodeOf([&] { PivApplication(t).unblockPin(secret("12345678"), secret("12")); }),
              CardErrorCode::WrongData);
}

TEST(PivChangePuk, SuccessWrongAndBlocked) {
    ScriptedTransport t({step(changePukCmd("12345678", "73920461"), "9000"),
                         step(changePukCmd("00000000", "73920461"), "63C2"),
                         step(changePukCmd("00000000", "73920461"), "6983")});
    PivApplication piv(t);
    EXPECT_TRUE(piv.changePuk(secret("12345678"), secret("73920461")).ok());
    EXPECT_EQ(piv.changePuk(secret("00000000"), secret("73920461")), (PinResult{PinStatus::WrongPuk, 2u}));
    EXPECT_EQ(piv.changePuk(secret("00000000"), secret("73920461")), (PinResult{PinStatus::PukBlocked, 0u}));
}

TEST(PivChangePuk, WrongReferenceIsTyped) {
    ScriptedTransport t({step(changePukCmd("12345678", "73920461"), "6A88")});
    EXPECT_EQ(errorCodeOf([&] { PivApplication(t).changePuk(secret("12345678"), secret("73920461")); }),
              CardErrorCode::ReferenceNotFound);
}

TEST(PivPin, PcscFailureDuringVerifyPropagates) {
    ScriptedTransport t({failStep(verifyCmd("123456"), CardErrorCode::CardRemoved)});
    EXPECT_EQ(errorCodeOf([&] { PivApplication(t).verifyPin(secret("123456")); }),
              CardErrorCode::CardRemoved);
}

}  // namespace
}  // namespace cardbridge::card
