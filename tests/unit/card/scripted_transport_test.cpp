// The fake itself: it must fail loudly and precisely when the code under test deviates from the script.
#include <gtest/gtest.h>

#include "card_test_support.hpp"

namespace cardbridge::card {
namespace {

TEST(ScriptedTransport, NamesStepAndCommandOnMismatch) {
    ScriptedTransport t({step("00A40400", "9000"), step("00CB3FFF", "9000")});
    EXPECT_EQ(toHex(t.exchange(fromHex("00A40400"))), "9000");
    try {
        t.exchange(fromHex("00 20 00 80"));
        FAIL() << "no mismatch";
    } catch (const ScriptMismatch& e) {
        EXPECT_STREQ(e.what(), "at step 2: unexpected command 00200080, expected 00CB3FFF");
    }
}

TEST(ScriptedTransport, FailsPastTheEndOfTheScript) {
    ScriptedTransport t({step("00A40400", "9000")});
    t.exchange(fromHex("00A40400"));
    EXPECT_TRUE(t.finished());
    try {
        t.exchange(fromHex("00A40400"));
        FAIL() << "no mismatch";
    } catch (const ScriptMismatch& e) {
        EXPECT_NE(std::string(e.what()).find("at step 2: unexpected command 00A40400"), std::string::npos);
    }
}

TEST(ScriptedTransport, MismatchIsNotACardError) {
    // The card layer catches cardbridge errors; a script mismatch must never be swallowed as one.
    ScriptedTransport t({});
    try {
        t.exchange(fromHex("00A40400"));
    } catch (const Error&) {
        FAIL() << "mismatch derives from cardbridge::Error";
    } catch (const ScriptMismatch&) {
        SUCCEED();
    }
}

TEST(ScriptedTransport, InjectsPcscFailures) {
    ScriptedTransport t({failStep("00A40400", CardErrorCode::CardRemoved)});
    EXPECT_EQ(test::errorCodeOf([&] { t.exchange(fromHex("00A40400")); }), CardErrorCode::CardRemoved);
    EXPECT_TRUE(t.finished());
}

}  // namespace
}  // namespace cardbridge::card
