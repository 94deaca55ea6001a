// No heap block freed while the card layer sends a PIN or PUK command still holds the PIN or PUK block:
// the APDU's data field (PivApplication) and the encoded command (Transport::transmit) are wiped before
// they are freed, whether the card answers or the command fails. Its own binary: freed_memory.hpp
// replaces operator new/delete to scan each block as it is freed.
#include <gtest/gtest.h>

#include "card_test_support.hpp"
#include "cardbridge/card/piv.hpp"
#include "freed_memory.hpp"

namespace cardbridge::card::test {
namespace {

namespace freed = cardbridge::test::freed;

// As the PIN travels in an APDU: ASCII digits padded with FF to 8 bytes (SP 800-73-4 §3.2.1).
const std::string PIN_BLOCK = std::string("739184\xFF\xFF", 8);
const std::string PUK_BLOCK = std::string("51736284");

TEST(FreedMemory, PinAndPukCommandsLeaveNoPinInFreedBlocks) {
    // Scripts, secrets and expected commands are built before the scan and freed after it.
    const Secret pin = secret("739184");
    const Secret puk = secret("51736284");
    std::vector<PinResult> results;
    results.reserve(4);

    for (const std::string* block : {&PIN_BLOCK, &PUK_BLOCK}) {
        ScriptedTransport again({step(verifyCmd("739184"), "63C2"),
                                 step(changePinCmd("739184", "739184"), "9000"),
                                 step(unblockCmd("51736284", "739184"), "9000"),
                                 step(changePukCmd("51736284", "51736284"), "6A80")});
        PivApplication card(again);
        results.clear();
        freed::start(*block);
        results.push_back(card.verifyPin(pin));
        results.push_back(card.changePin(pin, pin));
        results.push_back(card.unblockPin(puk, pin));
        EXPECT_THROW(card.changePuk(puk, puk), CardError);  // a failing command is wiped too
        freed::stop();
        EXPECT_EQ(freed::hits.load(), 0)
            << "freed heap blocks still holding " << (block == &PIN_BLOCK ? "the PIN" : "the PUK");
    }
    ASSERT_EQ(results.size(), 3U);  // the second run's
    EXPECT_EQ(results[0], (PinResult{PinStatus::WrongPin, 2u}));
    EXPECT_EQ(results[2].status, PinStatus::Success);
}

}  // namespace
}  // namespace cardbridge::card::test
