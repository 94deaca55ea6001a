// The PUK rotation's journal and repair through the service (docs/api.md §4.5 "PUK rotation"): a crash
// right after each journal write (UnlockOptions::afterJournalWrite throwing), then a retry of the same flow
// or a new begin after a restart; an answer lost after the card executed RESET or CHANGE; the repair on the
// card's next insertion. Afterwards the invariants hold on the virtual card: the PIN is one the user chose,
// the PUK is the authority's next one with a full counter, at most one wrong PUK try was spent.
#include <gtest/gtest.h>

#include <atomic>

#include "unlock_fixture.hpp"

namespace cardbridge::test {
namespace {

using namespace std::chrono_literals;
using daemon::unlock::JournalStep;
using daemon::unlock::UnlockOptions;

constexpr const char* SERIAL = "20261127";
constexpr const char* SECOND_PIN = "369258";

/// Makes `options` throw once, right after the journal write of `step` (a daemon killed there).
void crashAfter(UnlockOptions& options, JournalStep step, std::shared_ptr<std::atomic<bool>> armed) {
    options.afterJournalWrite = [step, armed](JournalStep written) {
        if (written == step && armed->exchange(false))
            throw std::runtime_error("test: killed after the write");
    };
}

class Recovery : public UnlockServiceTest {
  protected:
    void SetUp() override {
        UnlockServiceTest::SetUp();
        card_ = makeCard(certs().valid);
        insert(card_);
    }
    std::shared_ptr<TestResponder> resetWithCode(const std::string& flowId, const std::string& pin) {
        return call("unlock.resetWithCode",
                    {{"flowId", flowId}, {"code", FakeAuthority::CODE}, {"newPin", pin}});
    }
    std::shared_ptr<VirtualCard> card_;
};

struct Crash {
    JournalStep step;
    bool restart;  ///< false: the same flow calls again; true: the daemon restarts and a new begin follows
};

std::string crashName(const ::testing::TestParamInfo<Crash>& info) {
    std::string step(daemon::unlock::toString(info.param.step));
    return step + (info.param.restart ? "_ThenRestartAndBegin" : "_ThenSameFlowAgain");
}

class CrashAfterJournalWrite : public Recovery, public ::testing::WithParamInterface<Crash> {};

TEST_P(CrashAfterJournalWrite, TheRetryFinishesWithTheInvariants) {
    const Crash crash = GetParam();
    auto armed = std::make_shared<std::atomic<bool>>(true);
    startUnlock(true, [&](UnlockOptions& o) { crashAfter(o, crash.step, armed); });
    const json identified = smsFlow();
    const std::string flowId = identified["flowId"];

    const json e = resetWithCode(flowId, NEW_PIN)->error();
    EXPECT_FALSE(armed->load());
    EXPECT_EQ(e["data"]["reason"], "INTERNAL") << e.dump();
    EXPECT_EQ(journalStep(card_->cardId()), daemon::unlock::toString(crash.step));
    // Where the card stands after the crash.
    const bool pinSet = crash.step >= JournalStep::Rotate;
    EXPECT_EQ(card_->state().pinTriesLeft, pinSet ? 3 : 0);
    if (pinSet) {
        EXPECT_EQ(card_->pin(), NEW_PIN);
    }
    EXPECT_EQ(card_->puk(), FakeAuthority::pukOf(crash.step == JournalStep::Complete ? 1 : 0));

    // The user tries again with another PIN: it is set unless the card took the first one already.
    const std::string expectedPin = pinSet ? NEW_PIN : SECOND_PIN;
    if (!crash.restart) {
        const json done = resetWithCode(flowId, SECOND_PIN)->result();
        EXPECT_EQ(done["step"], "done");
        EXPECT_EQ(done.value("pinFromEarlierAttempt", false), pinSet) << done.dump();
        EXPECT_FALSE(done.contains("authoritySyncPending"));
        EXPECT_EQ(authority_->count("verifyCode"), 1u);
    } else {
        stopUnlock();
        startUnlock();
        const json flow = begin();
        if (pinSet) {
            // Nothing is left for the user: begin finished the rotation without them.
            EXPECT_NE(flow["step"], "approved");
            EXPECT_EQ(flow["pin"]["state"], "ok");
        } else {
            // The PIN is still to be set: the new flow carries on with the authorised request.
            EXPECT_EQ(flow["step"], "approved");
            EXPECT_EQ(flow["requestId"], identified["requestId"]);
            const json done =
                result("unlock.resetApproved", {{"flowId", flow["flowId"]}, {"newPin", SECOND_PIN}});
            EXPECT_EQ(done["step"], "done");
        }
    }
    expectRotated(*card_, expectedPin, SERIAL);
    EXPECT_EQ(card_->wrongPukAnswers(), 0);
    EXPECT_EQ(authority_->count("createRequest"), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    EveryStep, CrashAfterJournalWrite,
    ::testing::Values(Crash{JournalStep::Credential, false}, Crash{JournalStep::Reset, false},
                      Crash{JournalStep::Rotate, false}, Crash{JournalStep::Complete, false},
                      Crash{JournalStep::Credential, true}, Crash{JournalStep::Reset, true},
                      Crash{JournalStep::Rotate, true}, Crash{JournalStep::Complete, true}),
    crashName);

TEST_F(Recovery, ALostAnswerToTheChangeCostsOneTryAndRefillsIt) {
    startUnlock();
    const std::string flowId = smsFlow()["flowId"];
    card_->loseAnswerOf(0x24, 0x81);  // the card takes the next PUK, the answer never arrives
    const json e = resetWithCode(flowId, NEW_PIN)->error();
    EXPECT_EQ(e["data"]["reason"], "CARD_REMOVED") << e.dump();
    EXPECT_EQ(journalStep(card_->cardId()), "rotate");
    EXPECT_EQ(card_->puk(), FakeAuthority::pukOf(1));

    const json done = resetWithCode(flowId, SECOND_PIN)->result();
    EXPECT_EQ(done["step"], "done");
    EXPECT_EQ(done["pinFromEarlierAttempt"], true);
    expectRotated(*card_, NEW_PIN, SERIAL);
    EXPECT_EQ(card_->wrongPukAnswers(), 1);
    EXPECT_EQ(card_->lowestPukTriesLeft(), 2);
}

TEST_F(Recovery, ALostAnswerToTheResetLetsTheUserSetThePinAgain) {
    startUnlock();
    const std::string flowId = smsFlow()["flowId"];
    card_->loseAnswerOf(0x2C, std::nullopt);
    EXPECT_EQ(resetWithCode(flowId, NEW_PIN)->reason(), "CARD_REMOVED");
    EXPECT_EQ(journalStep(card_->cardId()), "reset");
    EXPECT_EQ(card_->pin(), NEW_PIN);  // the card did take it

    const json done = resetWithCode(flowId, SECOND_PIN)->result();
    EXPECT_EQ(done["step"], "done");
    EXPECT_FALSE(done.contains("pinFromEarlierAttempt"));
    expectRotated(*card_, SECOND_PIN, SERIAL);
    EXPECT_EQ(card_->wrongPukAnswers(), 0);
    EXPECT_EQ(card_->pinResets(), 2);
}

TEST_F(Recovery, TheCardsNextInsertionFinishesAnInterruptedRotation) {
    auto armed = std::make_shared<std::atomic<bool>>(true);
    startUnlock(true, [&](UnlockOptions& o) { crashAfter(o, JournalStep::Rotate, armed); });
    const std::string flowId = smsFlow()["flowId"];
    resetWithCode(flowId, NEW_PIN)->error();
    ASSERT_EQ(journalStep(card_->cardId()), "rotate");

    insert(card_);  // pulled and put back
    EXPECT_TRUE(eventually([&] { return !std::filesystem::exists(journalPath(card_->cardId())); }))
        << journalStep(card_->cardId());
    expectRotated(*card_, NEW_PIN, SERIAL);
    EXPECT_EQ(card_->wrongPukAnswers(), 0);
}

// After a repair without the user (the card's insertion here; a new begin does the same), the flow that was
// interrupted still shows "approved". Calling it again writes a fresh journal at step credential, the
// authority answers NOT_AUTHORISED {state: completed} (WRONG_STATE), and that journal is never removed:
// every later unlock.begin on this card resumes the dead request in step "approved" and its resetApproved
// fails the same way, so the card can never be unlocked through the daemon again (the journal must be
// removed by hand). Expected: the retry answers done (the PIN from the earlier attempt), and no journal
// stays.
TEST_F(Recovery, RetryingTheFlowAfterARepairLeavesNoJournalBehind) {
    auto armed = std::make_shared<std::atomic<bool>>(true);
    startUnlock(true, [&](UnlockOptions& o) { crashAfter(o, JournalStep::Rotate, armed); });
    const std::string flowId = smsFlow()["flowId"];
    resetWithCode(flowId, NEW_PIN)->error();
    insert(card_);
    ASSERT_TRUE(eventually([&] { return !std::filesystem::exists(journalPath(card_->cardId())); }));

    const auto retry = resetWithCode(flowId, SECOND_PIN);
    retry->wait();
    EXPECT_FALSE(std::filesystem::exists(journalPath(card_->cardId()))) << journalStep(card_->cardId());
    const json flow = begin();
    EXPECT_NE(flow["step"], "approved") << flow.dump();
    expectRotated(*card_, NEW_PIN, SERIAL);
}

}  // namespace
}  // namespace cardbridge::test
